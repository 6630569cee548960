import {Counter, Gauge, Histogram, Registry} from 'prom-client'

import type {KedgeContext} from '../../usecases/context.js'
import type {Notifier} from '../../usecases/notifying/notifier.js'
import {LABELS} from '../../model/compose/labels.js'
import type {DeploymentRow} from '../../model/rows.js'
import type {StackContainer} from '../../model/stack/containers.js'
import {errorMessage} from '../../model/errors.js'
import type {Engine} from '../../ports/engine.js'

const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
const COMMIT_TO_RUNNING_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800]
/** How long a scrape waits for an engine's listing of kedge's containers: a slow engine must not make the scrape itself time out. */
export const SERVICES_LISTING_MS = 2000

/** Where the metrics tell of an engine they could not read: serve's log, whose logger has this shape. */
export interface MetricsLog {
  log(level: 'warn', event: string, fields: {engine: string; error: string}): void
}

/** The engines whose event streams are open now, as serve watches them: what kedge_services_total lists at scrape time. */
export type UpEngines = () => Array<{name: string; engine: Pick<Engine, 'listAllKedgeContainers'>}>

/**
 * kedge's Prometheus metrics, under the Go kedge's names so that its dashboards work. Counts that
 * live in the database (deployments, the last deployment) are read from it at scrape time, so that
 * deployments made by `kedge sync` in another process count too; the services' states are read from
 * the engine at scrape time. It is the observer serve gives each repository's loop (the loop's
 * LoopObserver, met by shape: the HTTP side does not depend on the daemon, which starts it).
 */
export class KedgeMetrics {
  readonly registry = new Registry()
  private readonly driftCounter: Counter<'repo' | 'stack' | 'service'>
  private readonly gitPolls: Counter<'repo' | 'success'>
  private readonly reconciliationDuration: Histogram<'repo' | 'success'>
  private readonly gitPollDuration: Histogram<'repo' | 'success'>
  private readonly commitToRunning: Histogram<'repo'>
  private readonly engineUp: Gauge<'engine'>
  private readonly engineOutages: Counter<'engine'>
  /** Per engine (by name): whether its stream was connected at its last report. */
  private readonly engineConnected = new Map<string, boolean>()
  /** Per repository: the branch head last polled, and the commit first seen but not running yet. */
  private readonly lastHead = new Map<string, string>()
  private readonly waitingToRun = new Map<string, {commit: string; seenAt: number}>()
  private readonly pushReceivedAt = new Map<string, number>()
  /** Per repository: the drift (service and type) the last check found, so that only new drift is counted. */
  private readonly drifted = new Map<string, Set<string>>()

  constructor(
    {store}: Pick<KedgeContext, 'store'>,
    version: string,
    notifications: Pick<Notifier, 'totals'> | null,
    engines: {up: UpEngines; logger: MetricsLog},
  ) {
    const registers = [this.registry]
    new Counter({
      name: 'kedge_notifications_total',
      help: 'Notifications and commit statuses, by channel (json, ntfy, slack, discord, gotify, mail, commit_status) and result (sent, failed, retried, folded).',
      labelNames: ['channel', 'result'],
      registers,
      collect() {
        this.reset()
        for (const {channel, result, total} of notifications?.totals() ?? []) this.inc({channel, result}, total)
      },
    })
    new Gauge({name: 'kedge_info', help: 'kedge build information.', labelNames: ['version'], registers}).set({version}, 1)
    new Counter({
      name: 'kedge_deployments_total',
      help: 'Finished deployments, by repository, stack and status (success, failed, rolled_back, skipped, removed).',
      labelNames: ['repo', 'stack', 'status'],
      registers,
      collect() {
        this.reset()
        for (const row of store.countDeploymentsByStatus()) this.inc({repo: row.repo, stack: row.stack, status: row.status}, row.total)
      },
    })
    new Gauge({
      name: 'kedge_last_deployment_timestamp_seconds',
      help: 'When the newest deployment of the stack finished (or started, while it runs).',
      labelNames: ['repo', 'stack'],
      registers,
      collect() {
        this.reset()
        const latest = store.latestDeployments()
        const repositories = new Map(store.listRepositories().map((repository) => [repository.id, repository.name]))
        for (const stack of store.listAllStacks()) {
          const deployment = latest.get(stack.id)
          const repo = repositories.get(stack.repositoryId)
          if (deployment && repo !== undefined) this.set({repo, stack: stack.name}, (deployment.finishedAt ?? deployment.startedAt).getTime() / 1000)
        }
      },
    })
    new Gauge({
      name: 'kedge_services_total',
      help: 'Containers kedge manages, by engine, repository and state, as each Docker engine that is up reports them.',
      labelNames: ['engine', 'repo', 'state'],
      registers,
      async collect() {
        // Every engine at once, each within its bound: one slow engine costs the scrape its bound, not the sum.
        const listings = await Promise.all(engines.up().map(({name, engine}) => listedWithin(name, engine, engines.logger)))
        this.reset()
        for (const {name, containers} of listings) {
          const counts = new Map<string, {repo: string; state: string; total: number}>()
          for (const container of containers ?? []) {
            const repo = container.labels[LABELS.repository] ?? ''
            const key = `${repo}\u0000${container.state}`
            const entry = counts.get(key) ?? {repo, state: container.state, total: 0}
            entry.total++
            counts.set(key, entry)
          }
          for (const {repo, state, total} of counts.values()) this.set({engine: name, repo, state}, total)
        }
      },
    })
    this.engineUp = new Gauge({
      name: 'kedge_engine_up',
      help: 'Whether serve\'s event stream from the Docker engine is connected (1) or not (0), by engine ("local" for the one kedge runs beside).',
      labelNames: ['engine'],
      registers,
    })
    this.engineOutages = new Counter({
      name: 'kedge_engine_outages_total',
      help: 'Times the Docker engine\'s event stream broke (the daemon stopped or restarted, its host dropped off), by engine.',
      labelNames: ['engine'],
      registers,
    })
    this.driftCounter = new Counter({name: 'kedge_drift_detected_total', help: 'Drift found, by repository, stack and service.', labelNames: ['repo', 'stack', 'service'], registers})
    this.gitPolls = new Counter({name: 'kedge_git_polls_total', help: 'Polls of the remote for the branch head.', labelNames: ['repo', 'success'], registers})
    const histogram = <Label extends string>(name: string, help: string, labelNames: Label[], buckets: number[]) => new Histogram({name, help, labelNames, buckets, registers})
    this.reconciliationDuration = histogram(
      'kedge_reconciliation_duration_seconds',
      'How long a round of the deploy loop took: poll, and fetch and deploy when the branch moved.',
      ['repo', 'success'],
      DURATION_BUCKETS,
    )
    this.gitPollDuration = histogram('kedge_git_poll_duration_seconds', 'How long asking the remote for the branch head took.', ['repo', 'success'], DURATION_BUCKETS)
    this.commitToRunning = histogram(
      'kedge_commit_to_running_seconds',
      'From a new commit being seen (a push webhook, else the poll that found it) to its stack running and healthy.',
      ['repo'],
      COMMIT_TO_RUNNING_BUCKETS,
    )
  }

  /** Whether the engine's event stream is connected, reported by its watcher at each (re)connection and break. */
  engineAvailability(engine: string, connected: boolean): void {
    // An engine down from the start is no outage of one that answered.
    if (!connected && this.engineConnected.get(engine) === true) this.engineOutages.inc({engine})
    // Shown at 0 from the first report, so that a rate over it has a start.
    else this.engineOutages.inc({engine}, 0)
    this.engineConnected.set(engine, connected)
    this.engineUp.set({engine}, connected ? 1 : 0)
  }

  /** serve no longer watches the engine (nothing is set to it): it has no state to show; its outages stay counted. */
  engineUnwatched(engine: string): void {
    this.engineConnected.delete(engine)
    this.engineUp.remove({engine})
  }

  /** A push webhook for the repository arrived: a commit the next poll finds was seen now. */
  pushReceived(repo: string): void {
    if (!this.pushReceivedAt.has(repo)) this.pushReceivedAt.set(repo, Date.now())
  }

  polled(repo: string, outcome: {success: boolean; seconds: number; head: string | null}): void {
    const success = String(outcome.success)
    this.gitPolls.inc({repo, success})
    this.gitPollDuration.observe({repo, success}, outcome.seconds)
    if (!outcome.head) return
    const seenAt = this.pushReceivedAt.get(repo) ?? Date.now() - outcome.seconds * 1000
    this.pushReceivedAt.delete(repo)
    if (this.lastHead.get(repo) !== outcome.head) this.waitingToRun.set(repo, {commit: outcome.head, seenAt})
    this.lastHead.set(repo, outcome.head)
  }

  reconciled(repo: string, outcome: {success: boolean; seconds: number}): void {
    this.reconciliationDuration.observe({repo, success: String(outcome.success)}, outcome.seconds)
  }

  deployed(repo: string, deployment: DeploymentRow, succeeded: boolean): void {
    const waiting = this.waitingToRun.get(repo)
    if (!succeeded || waiting?.commit !== deployment.commit) return
    this.waitingToRun.delete(repo)
    this.commitToRunning.observe({repo}, ((deployment.finishedAt?.getTime() ?? Date.now()) - waiting.seenAt) / 1000)
  }

  driftChecked(repo: string, stack: string, drift: Array<{service: string; type: string}>): void {
    const key = `${repo}/${stack}`
    const before = this.drifted.get(key) ?? new Set<string>()
    const now = new Set(drift.map((entry) => `${entry.service}\u0000${entry.type}`))
    for (const entry of drift) {
      if (!before.has(`${entry.service}\u0000${entry.type}`)) this.driftCounter.inc({repo, stack, service: entry.service})
    }
    this.drifted.set(key, now)
  }
}

/**
 * The engine's listing of kedge's containers, or null when it failed or took longer than
 * SERVICES_LISTING_MS (logged: the scrape shows that engine's services as absent).
 */
async function listedWithin(name: string, engine: Pick<Engine, 'listAllKedgeContainers'>, logger: MetricsLog): Promise<{name: string; containers: StackContainer[] | null}> {
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the engine did not list kedge's containers within ${SERVICES_LISTING_MS / 1000} s`)), SERVICES_LISTING_MS)
  })
  try {
    return {name, containers: await Promise.race([engine.listAllKedgeContainers(), bound])}
  } catch (error) {
    logger.log('warn', 'metrics.services_unlisted', {engine: name, error: errorMessage(error)})
    return {name, containers: null}
  } finally {
    clearTimeout(timer)
  }
}
