import {formatDuration} from '../../model/config/duration.js'
import {ExternalError} from '../../model/errors.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import {assessSwarmServices} from '../../model/swarm/swarm-health.js'
import {servicesOfStack, type RecordedSwarmService, type SwarmStackState} from '../../model/swarm/swarm-state.js'
import type {KedgeContext} from '../context.js'
import {desiredSwarmServices, namespaceOf} from './swarm-stack.js'

/** Two requests a poll (services, tasks and nodes): Swarm moves in seconds, so half a second misses nothing. */
const POLL_MS = 500

/**
 * Waits until every service of the stack has finished its update and runs the tasks it wants (healthy,
 * where it has a healthcheck), as model/swarm/swarm-health.ts judges; fails at once when Swarm paused
 * the update or rolled it back, or when its tasks keep failing, and after `timeoutMs` naming every service
 * not ready. Returns what Swarm then holds of each service (its spec's digest, its image), for the
 * snapshot: what drift is measured against. `before` is the swarm's state as read before the stack was
 * deployed: a service whose task template the deploy changed is waited on until Swarm has started its update.
 */
export async function waitForSwarmServices(
  context: KedgeContext,
  snapshot: StackSnapshot,
  timeoutMs: number,
  before: SwarmStackState,
  signal?: AbortSignal,
): Promise<Map<string, RecordedSwarmService>> {
  const namespace = namespaceOf(snapshot)
  const desired = desiredSwarmServices(snapshot).map(({swarm: _before, ...service}) => service)
  const deadline = context.clock.now().getTime() + timeoutMs
  for (;;) {
    signal?.throwIfAborted()
    const state = await context.engine.swarmState(namespace)
    const assessment = assessSwarmServices(namespace, desired, state, before)
    if (assessment.verdict === 'healthy') {
      return new Map(servicesOfStack(namespace, state).map((service) => [service.service, {specDigest: service.specDigest, image: service.image}]))
    }
    if (assessment.verdict === 'failed') throw new ExternalError(`the stack did not come up: ${assessment.reason}`, {code: 'unhealthy', hint: 'see `docker service ps --no-trunc` of the service on the manager'})
    if (context.clock.now().getTime() >= deadline) {
      throw new ExternalError(`the stack did not come up within ${formatDuration(timeoutMs)}: ${assessment.reason}`, {code: 'unhealthy', hint: 'raise reconciliation.health_timeout in kedge.yaml if the services need longer'})
    }
    await context.clock.sleep(POLL_MS, signal)
  }
}

/** The snapshot with what the gate read back of each service. */
export function withRecordedServices(snapshot: StackSnapshot, recorded: ReadonlyMap<string, RecordedSwarmService>): StackSnapshot {
  return {...snapshot, services: snapshot.services.map((service) => (recorded.has(service.name) ? {...service, swarm: recorded.get(service.name)!} : service))}
}
