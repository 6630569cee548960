/**
 * What kedge tells its operators about: the events a notification channel can subscribe to. `test` is
 * only ever sent by `kedge notify test`.
 */
export const NOTIFICATION_EVENTS = [
  'deploy_succeeded',
  'deploy_failed',
  'rolled_back',
  'drift_detected',
  'drift_healed',
  'heal_stopped',
  'repository_unreachable',
  'repository_recovered',
  'stack_held',
  'images_pending',
  'test',
] as const
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number]

/** Apprise's message types, which its receivers (and kedge's JSON) use to colour a message. */
export type NotificationLevel = 'info' | 'success' | 'warning' | 'failure'

/** One message about one event, as every channel renders it. */
export interface Notification {
  event: NotificationEvent
  /** One short line: "web: deploy of 1a2b3c4 succeeded". */
  title: string
  /** The detail, a few lines at most: what happened and why. */
  message: string
  type: NotificationLevel
  repository: string | null
  stack: string | null
  commit: string | null
  previousCommit: string | null
  /** The deployment's status (success, failed, rolled_back, ...) where there is one. */
  status: string | null
  /** Why it happened, in one line (see the deployment's reason). */
  reason: string | null
  /** When it happened, ISO 8601. */
  time: string
  /** How many more events like this one were folded into this message (0: none). */
  folded: number
}
