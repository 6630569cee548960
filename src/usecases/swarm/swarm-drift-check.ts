import type {Drift} from '../../model/stack/drift.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import {detectSwarmDrift, shortServices, trackShortServices} from '../../model/swarm/swarm-drift.js'
import type {KedgeContext} from '../context.js'
import {desiredSwarmServices, namespaceOf} from './swarm-stack.js'

/**
 * How long a service may run fewer tasks than it wants before kedge reports it degraded: Swarm notices a
 * node down after about 15 s and starts its tasks elsewhere within a second more, so a minute covers a
 * failover with room; past it, Swarm cannot place them (no node fits, an image a node lacks).
 */
export const DEGRADED_GRACE_MS = 60_000

/** Since when each stack's services (by stack id, then service) have been seen short of tasks: what serve's checks carry between them. */
const shortSince = new Map<number, Map<string, number>>()

/** The drift of a swarm stack, read from Swarm's services, tasks and nodes (model/swarm/swarm-drift.ts). */
export async function swarmDrift(context: Pick<KedgeContext, 'engine' | 'clock'>, stackId: number, snapshot: StackSnapshot): Promise<Drift[]> {
  const namespace = namespaceOf(snapshot)
  const desired = desiredSwarmServices(snapshot)
  const state = await context.engine.swarmState(namespace)
  const now = context.clock.now().getTime()
  const since = trackShortServices(shortSince.get(stackId) ?? new Map(), shortServices(namespace, desired, state), now)
  shortSince.set(stackId, since)
  return detectSwarmDrift(namespace, desired, state, {now, graceMs: DEGRADED_GRACE_MS, shortSince: since})
}
