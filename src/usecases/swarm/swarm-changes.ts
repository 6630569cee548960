import type {ServiceChange} from '../../model/stack/plan.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import {planSwarmChanges} from '../../model/swarm/swarm-plan.js'
import type {RecordedSwarmService, SwarmStackState} from '../../model/swarm/swarm-state.js'
import {desiredSwarmServices, namespaceOf} from './swarm-stack.js'

/**
 * What applying the snapshot would change of the stack's services, worded as a Compose stack's changes
 * are (history, notifications, `diff`): a service Swarm updates has its tasks replaced, a recreate.
 */
export function swarmChanges(snapshot: StackSnapshot, state: SwarmStackState, running: StackSnapshot | null): ServiceChange[] {
  const recorded = new Map<string, RecordedSwarmService>((running?.services ?? []).flatMap((service) => (service.swarm ? [[service.name, service.swarm] as const] : [])))
  return planSwarmChanges(namespaceOf(snapshot), desiredSwarmServices(snapshot), state, recorded).map((change) => ({
    service: change.service,
    action: change.action === 'update' ? 'recreate' : change.action,
    from: change.from,
    to: change.to,
  }))
}
