import {InvalidInputError, NotFoundError, quoted} from '../../model/errors.js'
import {displayChannelUrl, parseChannelUrl} from '../../model/notify/channel-url.js'
import {NOTIFICATION_EVENTS, type NotificationEvent} from '../../model/notify/notification.js'
import type {Delivery} from '../../model/notify/outgoing-message.js'
import type {Notification} from '../../model/notify/notification.js'
import type {NotificationChannelRow} from '../../model/rows.js'
import type {KedgeContext} from '../context.js'

/** The binding a channel's URL is sealed under (see Secrets.seal). */
const SEAL_BINDING = 'notification-url'

/** The events `notify add --events` takes; `test` is only ever sent by `notify test`. */
export const SUBSCRIBABLE_EVENTS = NOTIFICATION_EVENTS.filter((event) => event !== 'test')

/** A channel as `notify list` and the API show it: never its URL, only the URL with its secrets masked. */
export interface ChannelView {
  id: number
  url: string
  events: NotificationEvent[] | 'all'
  repository: string | null
  createdAt: string
}

export interface AddChannelRequest {
  url: string
  /** Event names; undefined or empty is every event. */
  events?: readonly string[]
  /** Only this repository's events. */
  repository?: string
}

/** Registers a channel: its URL checked (parsed as it will be sent to), sealed, and shown only masked. */
/** What a request says by itself, checked without the home: the CLI asks before it opens the home. */
export function checkChannelRequest(request: AddChannelRequest): {url: string; events: NotificationEvent[] | null} {
  const url = request.url.trim()
  parseChannelUrl(url)
  return {url, events: checkedEvents(request.events)}
}

export function addChannel(context: Pick<KedgeContext, 'store' | 'secrets' | 'clock'>, request: AddChannelRequest): ChannelView {
  const {url, events} = checkChannelRequest(request)
  const repository = request.repository === undefined ? null : context.store.findRepository(request.repository)
  if (repository === undefined) throw new NotFoundError(`repository ${quoted(request.repository ?? '')} is not registered`, {hint: 'run "kedge repo list" to see the registered repositories'})
  const row = context.store.insertNotificationChannel({
    url: context.secrets.seal(url, SEAL_BINDING),
    display: displayChannelUrl(url),
    events: events === null ? null : JSON.stringify(events),
    repositoryId: repository?.id ?? null,
    createdAt: context.clock.now(),
  })
  return channelView(context, row)
}

export function listChannels(context: Pick<KedgeContext, 'store'>): ChannelView[] {
  return context.store.listNotificationChannels().map((row) => channelView(context, row))
}

export function removeChannel(context: Pick<KedgeContext, 'store'>, id: number): ChannelView {
  const row = findChannel(context, id)
  context.store.deleteNotificationChannel(id)
  return channelView(context, row)
}

export function findChannel(context: Pick<KedgeContext, 'store'>, id: number): NotificationChannelRow {
  const row = context.store.listNotificationChannels().find((channel) => channel.id === id)
  if (!row) throw new NotFoundError(`no notification channel has id ${id}`, {hint: 'run "kedge notify list" to see the channels and their ids'})
  return row
}

/** The channel's URL in plain text, for one delivery. */
export function openChannelUrl(context: Pick<KedgeContext, 'secrets'>, channel: NotificationChannelRow): string {
  return context.secrets.open(channel.url, SEAL_BINDING, `notification channel ${channel.id}`, {composite: true})
}

/** The events the channel takes; null is every event. A value kedge never writes counts as every event, rather than none. */
export function channelEvents(channel: NotificationChannelRow): NotificationEvent[] | null {
  if (channel.events === null) return null
  try {
    const parsed: unknown = JSON.parse(channel.events)
    return Array.isArray(parsed) ? parsed.filter((event): event is NotificationEvent => (NOTIFICATION_EVENTS as readonly unknown[]).includes(event)) : null
  } catch {
    return null
  }
}

function checkedEvents(events: readonly string[] | undefined): NotificationEvent[] | null {
  const names = (events ?? []).flatMap((entry) => entry.split(',')).map((entry) => entry.trim()).filter(Boolean)
  if (names.length === 0 || names.includes('all')) return null
  const unknown = names.filter((name) => !(SUBSCRIBABLE_EVENTS as readonly string[]).includes(name))
  if (unknown.length > 0) {
    throw new InvalidInputError(`unknown event ${unknown.map(quoted).join(', ')}`, {code: 'invalid_events', hint: `the events are: all, ${SUBSCRIBABLE_EVENTS.join(', ')}`})
  }
  return [...new Set(names as NotificationEvent[])]
}

function channelView(context: Pick<KedgeContext, 'store'>, row: NotificationChannelRow): ChannelView {
  const repository = row.repositoryId === null ? null : (context.store.listRepositories().find((entry) => entry.id === row.repositoryId)?.name ?? null)
  return {id: row.id, url: row.display, events: channelEvents(row) ?? 'all', repository, createdAt: row.createdAt.toISOString()}
}

/** What `notify test` sends: a message of its own kind, so that a channel taking only some events gets it too. */
export function testNotification(time: Date): Notification {
  return {
    event: 'test',
    title: 'kedge: test notification',
    message: 'This channel is set up: kedge sends its notifications here.',
    type: 'info',
    repository: null,
    stack: null,
    commit: null,
    previousCommit: null,
    status: null,
    reason: null,
    time: time.toISOString(),
    folded: 0,
  }
}

/** Sends the test message to one channel now, once, and says what the receiver answered; a refusal or no answer is thrown (notify_failed). */
export async function testChannel(
  context: Pick<KedgeContext, 'store' | 'clock'>,
  sender: {sendNow(channel: NotificationChannelRow, notification: Notification): Promise<Delivery>},
  id: number,
): Promise<{channel: ChannelView; delivery: Delivery}> {
  const row = findChannel(context, id)
  const delivery = await sender.sendNow(row, testNotification(context.clock.now()))
  return {channel: channelView(context, row), delivery}
}
