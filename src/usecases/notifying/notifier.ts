import {setTimeout as sleep} from 'node:timers/promises'

import {errorMessage} from '../../model/errors.js'
import {formatDuration} from '../../model/config/duration.js'
import {DEFAULT_ENDPOINTS, messageFor, type ServiceEndpoints} from '../../model/notify/channel-message.js'
import {parseChannelUrl, type ChannelKind} from '../../model/notify/channel-url.js'
import {foldKeyOf, notificationFor, repositoryNotification} from '../../model/notify/event-notification.js'
import type {KedgeEvent} from '../../model/notify/kedge-event.js'
import type {Notification} from '../../model/notify/notification.js'
import type {Delivery} from '../../model/notify/outgoing-message.js'
import type {NotificationChannelRow} from '../../model/rows.js'
import {redact} from '../../model/secrets/redaction.js'
import type {Drift} from '../../model/stack/drift.js'
import type {Announcer} from '../../ports/announcer.js'
import type {KedgeContext} from '../context.js'
import {channelEvents, openChannelUrl} from './channels.js'
import {postCommitStatus} from './commit-status.js'

export interface NotifierSettings {
  /** The same event for the same stack is sent once per window; what it folds is counted in the next message. */
  foldWindowMs: number
  /** A repository's error is sent only once it has lasted this long; its recovery once. */
  errorAfterMs: number
  /** How long one delivery may take. */
  sendTimeoutMs: number
  /** The waits before each retry of a delivery that failed. */
  retryDelaysMs: readonly number[]
  /** serve's public URL, for a commit status's link; null leaves it out. */
  publicUrl: string | null
  /** This host's name, in a commit status's context (`kedge/<host>/<stack>`). */
  host: string
  endpoints: ServiceEndpoints
  log: (level: 'info' | 'warn' | 'error', event: string, fields: Record<string, string>) => void
}

export const DEFAULT_NOTIFIER_SETTINGS: Omit<NotifierSettings, 'host' | 'log'> = {
  foldWindowMs: 10 * 60_000,
  errorAfterMs: 5 * 60_000,
  sendTimeoutMs: 10_000,
  retryDelaysMs: [2_000, 8_000],
  publicUrl: null,
  endpoints: DEFAULT_ENDPOINTS,
}

export type NotificationResult = 'sent' | 'failed' | 'retried' | 'folded'

/** A window open for one fold key: what it folded since its first message. */
interface FoldWindow {
  folded: number
  last: Notification
  repositoryId: number | null
}

/**
 * Tells people what kedge did: each event becomes a message (model/notify/event-notification.ts) sent to
 * every channel that takes its kind and repository, and a forge's commit status where the repository
 * asked for one. Quiet by design: the same event for the same stack is sent once per fold window, with a
 * count of what it folded at the window's end; a repository error only once it has lasted errorAfterMs,
 * and its recovery once. Never in the way: announce returns at once and never throws; a delivery that
 * fails is retried with backoff, then logged and counted, and changes nothing else.
 */
export class Notifier implements Announcer {
  private readonly windows = new Map<string, FoldWindow>()
  private readonly failing = new Map<number, {since: number; notified: boolean}>()
  private readonly inFlight = new Set<Promise<void>>()
  private readonly counts = new Map<string, {channel: string; result: NotificationResult; total: number}>()
  /** The drift last told of, per stack: a check that finds the same again is no news. */
  private readonly toldDrift = new Map<number, string>()
  /** The pending images last told of, per stack: the same digests found again at the next check are no news. */
  private readonly toldImages = new Map<number, string>()
  /** Per commit of a stack, its statuses in order: a `pending` that is retried never lands after the outcome. */
  private readonly statusChains = new Map<string, {latest: number; chain: Promise<void>}>()
  /** Aborted when drain gives up: what is under way stops, and no retry starts. */
  private readonly abandon = new AbortController()

  constructor(
    private readonly context: Pick<KedgeContext, 'store' | 'secrets' | 'messenger' | 'clock'>,
    private readonly settings: NotifierSettings,
  ) {}

  announce(event: KedgeEvent): void {
    try {
      this.take(event)
    } catch (error) {
      this.settings.log('error', 'notify.failed', {about: event.kind, error: redact(errorMessage(error))})
    }
  }

  /** How long one delivery may take: what a command that exits gives the deliveries under way (see drain). */
  get sendTimeoutMs(): number {
    return this.settings.sendTimeoutMs
  }

  /** How many messages each kind of channel sent, failed, retried and folded (kedge_notifications_total). */
  totals(): Array<{channel: string; result: NotificationResult; total: number}> {
    return [...this.counts.values()]
  }

  /**
   * Waits for the deliveries under way, at most `timeoutMs`: a command that exits first gives them that
   * long. Resolves with how many were still under way then, which the caller reports as not delivered.
   */
  async drain(timeoutMs: number): Promise<number> {
    if (this.inFlight.size === 0) return 0
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
    clearTimeout(timer)
    const undelivered = this.inFlight.size
    if (undelivered > 0) this.abandon.abort()
    return undelivered
  }

  /** Sends one message to one channel now, without retries or folding: `kedge notify test`. */
  async sendNow(channel: NotificationChannelRow, notification: Notification): Promise<Delivery> {
    const target = parseChannelUrl(openChannelUrl(this.context, channel))
    return this.context.messenger.deliver(messageFor(target, notification, this.settings.endpoints), {timeoutMs: this.settings.sendTimeoutMs, signal: this.abandon.signal})
  }

  private take(event: KedgeEvent): void {
    const now = this.context.clock.now()
    switch (event.kind) {
      case 'deploy_started':
      case 'deployment_finished':
        if (event.target.repository.commitStatus !== null) this.postStatus(event)
        break
      case 'drift_checked':
        if (!this.driftIsNews(event.target.stack.id, event.drift)) return
        break
      case 'images_pending':
        if (!isNews(this.toldImages, event.target.stack.id, JSON.stringify(event.updates.map(({image, to}) => [image, to])))) return
        break
      case 'repository_failed':
        return this.repositoryFailed(event.repository.id, event.repository.name, event.error, now)
      case 'repository_answered':
        return this.repositoryAnswered(event.repository.id, event.repository.name, now)
    }
    const notification = notificationFor(event, now)
    if (notification) this.offer(notification, 'target' in event ? event.target.repository.id : null)
  }

  /** Whether the drift a check found differs from what was last told of the stack; a check that finds none clears it. */
  private driftIsNews(stackId: number, drift: readonly Drift[]): boolean {
    if (drift.length === 0) {
      this.toldDrift.delete(stackId)
      return false
    }
    return isNews(this.toldDrift, stackId, JSON.stringify(drift.map(({service, type, expected}) => [service, type, expected])))
  }

  /** Each status of a commit of a stack waits for the one before; a `pending` not yet posted when the outcome comes is dropped. */
  private postStatus(event: Extract<KedgeEvent, {kind: 'deploy_started' | 'deployment_finished'}>): void {
    const {repository, stack} = event.target
    const key = `${repository.id}/${stack.id}/${event.deployment.commit}`
    const entry = this.statusChains.get(key) ?? {latest: 0, chain: Promise.resolve()}
    const turn = ++entry.latest
    const stale = () => event.kind === 'deploy_started' && entry.latest !== turn
    entry.chain = entry.chain.then(() => this.withRetries('commit_status', `commit status of ${repository.name}`, event.kind, () => postCommitStatus(this.context, event, this.settings, this.abandon.signal), stale))
    this.statusChains.set(key, entry)
    const settled = entry.chain.finally(() => {
      if (this.statusChains.get(key)?.latest === turn) this.statusChains.delete(key)
    })
    this.track(settled)
  }

  private repositoryFailed(id: number, name: string, error: string, now: Date): void {
    const state = this.failing.get(id) ?? {since: now.getTime(), notified: false}
    this.failing.set(id, state)
    if (state.notified || now.getTime() - state.since < this.settings.errorAfterMs) return
    state.notified = true
    const lasted = formatDuration(Math.max(1000, Math.round((now.getTime() - state.since) / 1000) * 1000))
    this.offer(repositoryNotification(name, 'repository_unreachable', `for ${lasted}: ${redact(error)}`, now), id)
  }

  private repositoryAnswered(id: number, name: string, now: Date): void {
    const state = this.failing.get(id)
    if (!state) return
    this.failing.delete(id)
    if (state.notified) this.offer(repositoryNotification(name, 'repository_recovered', 'the branch head was read again', now), id)
  }

  /** Sends the message, or folds it into the window its key has open. */
  private offer(notification: Notification, repositoryId: number | null): void {
    const key = foldKeyOf(notification)
    const open = this.windows.get(key)
    if (open) {
      open.folded++
      open.last = notification
      for (const channel of this.channelsFor(notification, repositoryId)) this.count(channelKind(channel), 'folded')
      return
    }
    this.windows.set(key, {folded: 0, last: notification, repositoryId})
    this.dispatch(notification, repositoryId)
    // Unreferenced: a command that exits sooner loses only the count of what it folded, which serve keeps.
    setTimeout(() => this.closeWindow(key), this.settings.foldWindowMs).unref()
  }

  /**
   * At a window's end, what it folded is sent as one message with the count, and a new window opens for
   * it. It runs from a timer, outside announce: what it throws (the store failing) is logged here.
   */
  private closeWindow(key: string): void {
    try {
      const open = this.windows.get(key)
      this.windows.delete(key)
      if (!open || open.folded === 0) return
      const window = formatDuration(this.settings.foldWindowMs)
      this.offer({...open.last, folded: open.folded, message: `${open.last.message}\n(${open.folded} more like this in the last ${window})`}, open.repositoryId)
    } catch (error) {
      this.settings.log('error', 'notify.failed', {about: 'folded', error: redact(errorMessage(error))})
    }
  }

  private dispatch(notification: Notification, repositoryId: number | null): void {
    for (const channel of this.channelsFor(notification, repositoryId)) {
      // Named by its id and kind: its display form may be the whole URL, which redaction masks as the secret it was sealed as.
      this.track(this.withRetries(channelKind(channel), `${channelKind(channel)} channel ${channel.id}`, notification.event, () => this.sendNow(channel, notification)))
    }
  }

  private channelsFor(notification: Notification, repositoryId: number | null): NotificationChannelRow[] {
    return this.context.store.listNotificationChannels().filter((channel) => {
      if (channel.repositoryId !== null && channel.repositoryId !== repositoryId) return false
      const events = channelEvents(channel)
      return events === null || events.includes(notification.event)
    })
  }

  /**
   * One delivery, retried after each of retryDelaysMs; counted under `kind`, and logged under `label` when
   * it fails for good. It stops, uncounted, once `stale` says it is no longer worth sending, and once drain gave up.
   */
  private async withRetries(kind: string, label: string, what: string, send: () => Promise<unknown>, stale: () => boolean = () => false): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (stale() || this.abandon.signal.aborted) return
      try {
        await send()
        this.count(kind, 'sent')
        return
      } catch (error) {
        const delay = this.settings.retryDelaysMs[attempt]
        if (delay === undefined) {
          this.count(kind, 'failed')
          this.deliveryFailed(label, what, error)
          return
        }
        this.count(kind, 'retried')
        // Cut short when drain gives up: the loop then ends at its next turn.
        await sleep(delay, undefined, {signal: this.abandon.signal, ref: false}).catch(() => undefined)
      }
    }
  }

  private deliveryFailed(channel: string, what: string, error: unknown): void {
    this.settings.log('warn', 'notify.failed', {channel, about: what, error: redact(errorMessage(error))})
  }

  private track(delivery: Promise<void>): void {
    this.inFlight.add(delivery)
    void delivery.finally(() => this.inFlight.delete(delivery))
  }

  private count(channel: string, result: NotificationResult): void {
    const key = `${channel} ${result}`
    const entry = this.counts.get(key) ?? {channel, result, total: 0}
    entry.total++
    this.counts.set(key, entry)
  }
}

/** Each scheme's kind of channel: the metric's label. */
const KIND_OF_SCHEME: Record<string, ChannelKind> = {json: 'json', jsons: 'json', ntfy: 'ntfy', ntfys: 'ntfy', slack: 'slack', discord: 'discord', gotify: 'gotify', gotifys: 'gotify', mailto: 'mail', mailtos: 'mail'}

/** The channel's kind (json, ntfy, ...), from its display form: known without opening the sealed URL. */
function channelKind(channel: NotificationChannelRow): string {
  return KIND_OF_SCHEME[/^([a-z]+):/.exec(channel.display)?.[1] ?? ''] ?? 'unknown'
}

/** Whether `found` differs from what `told` holds for the stack; it is then what was told. */
function isNews(told: Map<number, string>, stackId: number, found: string): boolean {
  if (told.get(stackId) === found) return false
  told.set(stackId, found)
  return true
}
