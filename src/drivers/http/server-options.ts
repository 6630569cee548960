import type {LOG_LEVELS} from '../../model/config/kedge-config.js'
import type {KedgeContext} from '../../usecases/context.js'
import type {Notifier} from '../../usecases/notifying/notifier.js'
import type {NamedTokens} from './access/request-access.js'
import type {DashboardAssets} from './dashboard/dashboard-assets.js'
import type {ChangeFeed} from './live/change-feed.js'
import type {KedgeMetrics} from './metrics.js'

/** What the HTTP side asks of the running daemon. */
export interface DaemonControl {
  /** Asks the repository's loop for a poll now; false when serve does not watch it (yet). `onFailed` is called if that poll fails. */
  requestPoll(repository: string, onFailed?: () => void): boolean
  /**
   * Every repository has been reconciled once since serve started; and the engines serve watches, each
   * with whether its event stream is open and since when (absent from a server that watches none).
   */
  readiness(): {ready: boolean; pending: string[]; engines?: EngineReadiness[]}
}

/** An engine serve watches, as /ready tells of it: the local one is "local". */
export interface EngineReadiness {
  name: string
  up: boolean
  /** When it came up, or went down (or serve began watching it, while it never answered): ISO 8601. */
  since: string
}

/** Where the HTTP side writes its events: serve's log, whose logger has this shape. */
export interface EventLog {
  log(level: (typeof LOG_LEVELS)[number], event: string, fields?: Record<string, string | number | boolean | null | undefined>): void
}

/** What the HTTP side is made of; the routes read it too. */
export interface HttpServerOptions {
  context: KedgeContext
  /** Sends `POST /notifications/:id/test` at once; its totals are kedge_notifications_total. */
  notifier: Pick<Notifier, 'sendNow' | 'totals'>
  logger: EventLog
  metrics: KedgeMetrics
  control: DaemonControl
  adminToken: string
  /** Aborted when serve abandons in-flight work: deploys started through the API stop with the rest. */
  abandon: AbortSignal
  /** How long a client gets to send a request, its headers and its body (REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number
  /** The named access tokens (`kedge token create`), beside the admin token. */
  tokens: NamedTokens
  /** What the dashboard's event stream tells; serve feeds it from the engine's events and the database's commits. */
  feed: ChangeFeed
  /** The built dashboard (loadDashboard); null answers / with dashboard_missing. */
  dashboard: DashboardAssets | null
}
