import {parseReason, reasonLine, shortDigest} from '../repository/deploy-reason.js'
import type {DeploymentRow, StackTarget} from '../rows.js'
import type {Drift} from '../stack/drift.js'
import {formatDuration} from '../config/duration.js'
import type {ImageUpdate} from '../images/image-updates.js'
import type {KedgeEvent} from './kedge-event.js'
import type {Notification, NotificationEvent} from './notification.js'

const short = (commit: string | null) => (commit === null ? null : commit.slice(0, 7))

/** A time span to the second: "1m5s", or "300ms" under a second. */
function formatDurationShort(ms: number): string {
  return ms < 1000 ? `${Math.max(0, ms)}ms` : formatDuration(Math.round(ms / 1000) * 1000)
}

/** Most lines of drift, or of images, a message lists; the rest are counted. */
const MAX_LINES = 10

/**
 * The message an event makes, or null for an event that is no notification of its own: a deploy
 * starting (a commit status only), a poll that answered, a repository error (the notifier waits to see
 * that it persists, then makes one with repositoryNotification).
 */
export function notificationFor(event: KedgeEvent, time: Date): Notification | null {
  switch (event.kind) {
    case 'deployment_finished':
      return deploymentNotification(event.target, event.deployment, event.previousCommit, time)
    case 'drift_checked':
      if (event.drift.length === 0) return null
      return stackNotification(event.target, time, {
        event: 'drift_detected',
        type: 'warning',
        title: `${event.target.stack.name}: drift detected (${event.mode} mode)`,
        message:
          event.mode === 'auto'
            ? `${driftLines(event.drift)}\nkedge does not redeploy for it: Swarm places the tasks of a degraded service itself, and a foreign service is not kedge's.`
            : `${driftLines(event.drift)}\nkedge leaves it to you in ${event.mode} mode: "kedge sync --repo ${event.target.repository.name}" applies the branch head, which repairs it.`,
        reason: describeDrift(event.drift),
      })
    case 'heal_stopped':
      return stackNotification(event.target, time, {
        event: 'heal_stopped',
        type: 'failure',
        title: `${event.target.stack.name}: healing stopped by the flap guard`,
        message: `${event.maxHeals} heals in ${formatDurationShort(event.windowMs)} did not hold; kedge stops healing until the window has room again.\n${driftLines(event.drift)}`,
        reason: describeDrift(event.drift),
      })
    case 'stack_held':
      return stackNotification(event.target, time, {
        event: 'stack_held',
        type: 'info',
        title: `${event.target.stack.name}: ${event.hold === 'down' ? 'taken down and kept down' : 'suspended'}`,
        message: event.note,
        commit: event.deployment?.commit ?? null,
        status: event.hold,
        reason: event.hold === 'down' ? 'kedge down' : 'kedge suspend',
      })
    case 'images_pending':
      return stackNotification(event.target, time, {
        event: 'images_pending',
        type: 'info',
        title: `${event.target.stack.name}: new images behind ${event.updates.length === 1 ? 'a tag' : `${event.updates.length} tags`} (${event.mode} mode)`,
        message: `${imageLines(event.updates)}\nkedge leaves them to you in ${event.mode} mode: "kedge sync --repo ${event.target.repository.name}" pulls them and recreates the services that use them.`,
        // The new digests: another move of a tag is other news, not folded into this one.
        reason: `images: ${event.updates.map((update) => `${update.image} → ${shortDigest(update.to)}`).join(', ')}`,
      })
    default:
      return null
  }
}

function imageLines(updates: readonly ImageUpdate[]): string {
  const lines = updates.slice(0, MAX_LINES).map((update) => `${update.image} (${update.services.join(', ')}): ${shortDigest(update.from)} → ${shortDigest(update.to)}`)
  if (updates.length > MAX_LINES) lines.push(`and ${updates.length - MAX_LINES} more`)
  return lines.join('\n')
}

/** A repository's error that persisted, or its recovery. */
export function repositoryNotification(repository: string, kind: 'repository_unreachable' | 'repository_recovered', detail: string, time: Date): Notification {
  const unreachable = kind === 'repository_unreachable'
  return {
    event: kind,
    title: unreachable ? `${repository}: the remote cannot be reached` : `${repository}: the remote answers again`,
    message: detail,
    type: unreachable ? 'failure' : 'success',
    repository,
    stack: null,
    commit: null,
    previousCommit: null,
    status: unreachable ? 'unreachable' : 'reachable',
    reason: null,
    time: time.toISOString(),
    folded: 0,
  }
}

/** The message of a finished attempt: which event it is by its trigger and status. Skips and removals tell nothing new. */
function deploymentNotification(target: StackTarget, deployment: DeploymentRow, previousCommit: string | null, time: Date): Notification | null {
  const event = eventOfDeployment(deployment)
  if (event === null) return null
  const reason = parseReason(deployment.reason)
  const commit = short(deployment.commit)
  const took = deployment.finishedAt ? ` in ${formatDurationShort(deployment.finishedAt.getTime() - deployment.startedAt.getTime())}` : ''
  const rollback = deployment.trigger === 'rollback' || deployment.trigger === 'auto_rollback'
  const image = deployment.trigger === 'image'
  const failedWhat = deployment.trigger === 'drift' ? 'healing' : rollback ? 'rollback to' : image ? 'image update at' : 'deploy of'
  const titles: Record<typeof event, string> = {
    deploy_succeeded: image ? `${target.stack.name}: new images deployed at ${commit}` : `${target.stack.name}: ${commit} deployed`,
    deploy_failed: `${target.stack.name}: ${failedWhat} ${commit} failed`,
    rolled_back: `${target.stack.name}: rolled back to ${commit}${deployment.trigger === 'auto_rollback' ? ' automatically' : ''}`,
    drift_healed: `${target.stack.name}: drift healed`,
  }
  const lines = [
    event === 'deploy_failed' ? (deployment.error ?? 'failed') : `${deployment.trigger === 'drift' ? 'healed' : 'deployed'}${took}`,
    deployment.note,
    previousCommit && previousCommit !== deployment.commit ? `before: ${short(previousCommit)}` : null,
  ].filter((line): line is string => Boolean(line))
  return {
    event,
    title: titles[event],
    message: lines.join('\n'),
    type: event === 'deploy_failed' ? 'failure' : event === 'rolled_back' ? 'warning' : 'success',
    repository: target.repository.name,
    stack: target.stack.name,
    commit: deployment.commit,
    previousCommit,
    status: deployment.status,
    reason: reason ? reasonLine(reason) : null,
    time: time.toISOString(),
    folded: 0,
  }
}

function eventOfDeployment(deployment: DeploymentRow): Extract<NotificationEvent, 'deploy_succeeded' | 'deploy_failed' | 'rolled_back' | 'drift_healed'> | null {
  if (deployment.status === 'failed') return deployment.interrupted ? null : 'deploy_failed'
  if (deployment.status !== 'success' && deployment.status !== 'rolled_back') return null
  if (deployment.trigger === 'drift') return 'drift_healed'
  if (deployment.trigger === 'auto_rollback' || deployment.trigger === 'rollback') return 'rolled_back'
  return 'deploy_succeeded'
}

function stackNotification(
  target: StackTarget,
  time: Date,
  fields: Pick<Notification, 'event' | 'title' | 'message' | 'type' | 'reason'> & Partial<Pick<Notification, 'commit' | 'status'>>,
): Notification {
  return {
    repository: target.repository.name,
    stack: target.stack.name,
    commit: null,
    previousCommit: null,
    status: null,
    time: time.toISOString(),
    folded: 0,
    ...fields,
  }
}

function driftLines(drift: readonly Drift[]): string {
  const lines = drift.slice(0, MAX_LINES).map((entry) => `${entry.service} ${entry.type}: expected ${entry.expected}, found ${entry.actual}`)
  if (drift.length > MAX_LINES) lines.push(`and ${drift.length - MAX_LINES} more`)
  return lines.join('\n')
}

function describeDrift(drift: readonly Drift[]): string {
  return drift.map((entry) => `${entry.service} ${entry.type}`).join(', ')
}

/**
 * What makes two notifications "the same event for the same stack", which the notifier folds within its
 * window: the event, the stack, the commit and what was found. Two deploys of different commits are not
 * the same event; a container stopped fifty times is.
 */
export function foldKeyOf(notification: Notification): string {
  return JSON.stringify([notification.event, notification.repository, notification.stack, notification.commit, notification.reason])
}
