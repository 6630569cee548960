import {imageWithoutDigest} from './swarm-services.js'
import {carriesConfigOf, servicesOfStack, type DesiredSwarmService, type RecordedSwarmService, type SwarmStackState} from './swarm-state.js'

/**
 * `update`: `docker stack deploy` gives the service a new spec (its configuration, or one changed on the
 * engine, which the deploy puts back); `scale`: only its replicas change.
 */
export type SwarmChangeAction = 'create' | 'update' | 'scale' | 'remove'

/** One service's change, in the shape of model/stack/plan.ts's ServiceChange. */
export interface SwarmServiceChange {
  service: string
  action: SwarmChangeAction
  /** The image of the service now, or null. */
  from: string | null
  /** The image wanted, or null when the service goes away. */
  to: string | null
}

/**
 * What deploying `desired` would change in the stack, for `kedge diff`, notify mode and history. Pure.
 * `recorded` is what the deployment running now recorded of each service (see RecordedSwarmService), by
 * name: a service whose spec changed on the engine since is updated, though its configuration did not
 * change. Services without kedge's label are never touched: a desired one is taken over (updated),
 * any other left alone; a kedge-labelled one the commit drops is removed.
 */
export function planSwarmChanges(
  namespace: string,
  desired: readonly DesiredSwarmService[],
  state: Pick<SwarmStackState, 'services'>,
  recorded: ReadonlyMap<string, RecordedSwarmService> = new Map(),
): SwarmServiceChange[] {
  const changes: SwarmServiceChange[] = []
  const actual = servicesOfStack(namespace, state)
  const wanted = new Set(desired.map((service) => service.name))
  for (const service of desired) {
    const found = actual.find((candidate) => candidate.service === service.name)
    if (!found) {
      changes.push({service: service.name, action: 'create', from: null, to: service.image})
      continue
    }
    const change = (action: SwarmChangeAction): SwarmServiceChange => ({service: service.name, action, from: found.image, to: service.image})
    const before = service.swarm ?? recorded.get(service.name)
    const sameImage = service.image === null || imageWithoutDigest(found.image) === imageWithoutDigest(service.image)
    const paused = found.updateStatus?.state === 'paused' || found.updateStatus?.state === 'rollback_paused'
    if (!found.managedByKedge || !carriesConfigOf(service, found) || !sameImage || (before !== undefined && before.specDigest !== found.specDigest) || paused) {
      changes.push(change('update'))
    } else if (found.replicas !== null && found.replicas !== service.replicas) {
      changes.push(change('scale'))
    }
  }
  for (const found of actual) {
    if (!wanted.has(found.service) && found.managedByKedge) changes.push({service: found.service, action: 'remove', from: found.image, to: null})
  }
  return changes
}

export function describeSwarmChanges(changes: readonly SwarmServiceChange[]): string {
  if (changes.length === 0) return 'no changes'
  return changes.map((change) => `${change.action} ${change.service}`).join(', ')
}
