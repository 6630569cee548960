import {Counter, Gauge, Histogram, Registry} from 'prom-client'

import type {KedgeContext} from '../../usecases/context.js'
import type {Notifier} from '../../usecases/notifying/notifier.js'
import {LABELS} from '../../model/compose/labels.js'
import type {DeploymentRow} from '../../model/rows.js'

const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
const COMMIT_TO_RUNNING_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800]

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
  private readonly engineUp: Gauge
  private readonly engineOutages: Counter
  private engineConnected = false
  /** Per repository: the branch head last polled, and the commit first seen but not running yet. */
  private readonly lastHead = new Map<string, string>()
  private readonly waitingToRun = new Map<string, {commit: string; seenAt: number}>()
  private readonly pushReceivedAt = new Map<string, number>()
  /** Per repository: the drift (service and type) the last check found, so that only new drift is counted. */
  private readonly drifted = new Map<string, Set<string>>()

  constructor({store, engine}: Pick<KedgeContext, 'store' | 'engine'>, version: string, notifications: Pick<Notifier, 'totals'> | null = null) {
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
      help: 'Containers kedge manages, by repository and state, as the Docker engine reports them.',
      labelNames: ['repo', 'state'],
      registers,
      async collect() {
        this.reset()
        const counts = new Map<string, {repo: string; state: string; total: number}>()
        for (const container of await engine.listAllKedgeContainers().catch(() => [])) {
          const repo = container.labels[LABELS.repository] ?? ''
          const key = `${repo}\u0000${container.state}`
          const entry = counts.get(key) ?? {repo, state: container.state, total: 0}
          entry.total++
          counts.set(key, entry)
        }
        for (const {repo, state, total} of counts.values()) this.set({repo, state}, total)
      },
    })
    this.engineUp = new Gauge({name: 'kedge_engine_up', help: 'Whether serve\'s event stream from the Docker engine is connected (1) or not (0).', registers})
    this.engineOutages = new Counter({name: 'kedge_engine_outages_total', help: 'Times the Docker engine\'s event stream broke (the daemon stopped or restarted).', registers})
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

  engineAvailability(connected: boolean): void {
    // An engine down from the start is no outage of one that answered.
    if (!connected && this.engineConnected) this.engineOutages.inc()
    this.engineConnected = connected
    this.engineUp.set(connected ? 1 : 0)
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
