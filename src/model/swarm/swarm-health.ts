import type {StackService, StackTask} from './swarm-services.js'
import {
  carriesConfigOf,
  newestTaskError,
  plural,
  runningTasks,
  servicesOfStack,
  tasksOf,
  wantedTaskCount,
  type DesiredSwarmService,
  type SwarmStackState,
} from './swarm-state.js'

export type SwarmAssessment = {verdict: 'healthy'} | {verdict: 'waiting'; reason: string} | {verdict: 'failed'; reason: string}

/**
 * Tasks that failed or were rejected since a deploy, from which on a service counts as failing: Swarm
 * retries each within seconds. Counted per replica (its slot; a global service's node) while one of the
 * service's tasks runs: a fault of the moment (an overlay network's interface on a node not yet gone
 * when the service scales back up) fails each new replica once, and Swarm's retry places it, while a
 * broken image fails one replica again and again as well as the others.
 */
export const FAILED_TASKS_TOLERATED = 3

const FAILED_STATES = new Set(['failed', 'rejected'])

/**
 * Pure: how the services of a swarm deployment are doing, for the health gate that polls after `docker
 * stack deploy`, with the state read before it (`before`). A service is healthy when its update is done
 * (UpdateStatus null or completed; null after a deploy that left its task template alone), it carries
 * this deployment's config hash, and enough of its tasks run (see runningTasks; a task with a healthcheck runs only once healthy). The gate fails at
 * once when Swarm paused the update or rolled it back, or when a service's tasks keep failing. The
 * reason of a wait names every service not ready yet, so that a timeout names them all.
 */
export function assessSwarmServices(
  namespace: string,
  desired: readonly DesiredSwarmService[],
  state: SwarmStackState,
  before: Pick<SwarmStackState, 'services'> | null = null,
): SwarmAssessment {
  const waiting: string[] = []
  const actual = servicesOfStack(namespace, state)
  const previous = new Map((before ? servicesOfStack(namespace, before) : []).map((service) => [service.id, service]))
  for (const service of desired) {
    const found = actual.find((candidate) => candidate.service === service.name)
    if (!found) {
      waiting.push(`service ${service.name} does not exist yet`)
      continue
    }
    const assessment = assessService(service, found, state, previous.get(found.id))
    if (assessment.verdict === 'failed') return assessment
    if (assessment.verdict === 'waiting') waiting.push(assessment.reason)
  }
  return waiting.length === 0 ? {verdict: 'healthy'} : {verdict: 'waiting', reason: waiting.join('; ')}
}

function assessService(desired: DesiredSwarmService, service: StackService, state: SwarmStackState, previous: StackService | undefined): SwarmAssessment {
  const name = desired.name
  const update = service.updateStatus
  const since = deployedAt(service)
  const failed = tasksOf(service, state).filter((task) => FAILED_STATES.has(task.state) && task.createdAt >= since)
  const failure = (text: string): SwarmAssessment => {
    const error = failed.find((task) => task.err !== null)?.err
    return {verdict: 'failed', reason: `${text}${update?.message ? `: ${update.message}` : ''}${error === undefined ? '' : `; its newest failed task: ${error}`}`}
  }
  // Before the labels: Swarm's rollback puts back the previous spec whole, labels included, so a rolled
  // back service no longer carries this deployment's config hash and would otherwise be waited on.
  if (update?.state === 'rollback_completed') return failure(`Swarm rolled service ${name} back`)
  if (update?.state === 'rollback_paused') return failure(`Swarm paused the rollback of service ${name}`)
  if (update?.state === 'paused') return failure(`Swarm paused the update of service ${name}`)
  if (!carriesConfigOf(desired, service)) return {verdict: 'waiting', reason: `service ${name} does not carry this deployment's configuration yet`}
  // Until Swarm starts the update a changed template asks for, the old tasks still run, and the update
  // status is none or the last one's: on a busy manager that lasts long enough for a look.
  if (previous && previous.templateDigest !== service.templateDigest && (update === null || update.startedAt === previous.updateStatus?.startedAt)) {
    return {verdict: 'waiting', reason: `Swarm has not started updating service ${name} yet`}
  }
  const running = runningTasks(service, state).length
  const failing = running === 0 ? failed : mostFailedReplica(failed)
  if (failing.length >= FAILED_TASKS_TOLERATED) {
    return {verdict: 'failed', reason: `service ${name}: ${plural(failing.length, 'task')} failed since the deploy, the newest: ${failing[0]!.err ?? failing[0]!.state}`}
  }
  if (update?.state === 'updating') return {verdict: 'waiting', reason: `service ${name} is updating`}
  if (update?.state === 'rollback_started') return {verdict: 'waiting', reason: `Swarm is rolling service ${name} back`}
  if (update && update.state !== 'completed') return {verdict: 'waiting', reason: `service ${name}'s update is ${update.state}`}
  const wanted = wantedTaskCount(service, state)
  if (running >= wanted) return {verdict: 'healthy'}
  const error = newestTaskError(service, state, since)
  return {verdict: 'waiting', reason: `service ${name} has ${running} of ${plural(wanted, 'task')} running${error === null ? '' : ` (${error})`}`}
}

/** The failed tasks of the replica with the most of them, in the order given (the newest first). */
function mostFailedReplica(failed: readonly StackTask[]): StackTask[] {
  const byReplica = new Map<string, StackTask[]>()
  for (const task of failed) {
    const replica = task.slot !== null ? `slot ${task.slot}` : `node ${task.nodeId ?? task.id}`
    const tasks = byReplica.get(replica) ?? []
    tasks.push(task)
    byReplica.set(replica, tasks)
  }
  return [...byReplica.values()].reduce<StackTask[]>((most, tasks) => (tasks.length > most.length ? tasks : most), [])
}

/**
 * When this deployment reached the service, by the engine's clock (a remote engine's skew does not
 * matter): the start of its update, else its last change. Not UpdatedAt alone: the engine moves it
 * again when the update pauses, completes or rolls back, after the tasks that failed in it.
 */
export function deployedAt(service: StackService): string {
  return service.updateStatus?.startedAt ?? service.updatedAt
}
