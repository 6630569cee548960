import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import type {DesiredSwarmService} from '../../model/swarm/swarm-state.js'

/** Whether a deployment applied its stack with `docker stack deploy` (kedge.yaml's `docker.target: swarm`). */
export function isSwarmSnapshot(snapshot: Pick<StackSnapshot, 'target'> | null | undefined): boolean {
  return snapshot?.target === 'swarm'
}

/** The stack's name in Swarm: the project's, as `docker stack deploy` gives it to every service (`<namespace>_<service>`). */
export function namespaceOf(snapshot: Pick<StackSnapshot, 'project'>): string {
  return snapshot.project
}

/** The snapshot's services as the swarm model compares them, with what their deployment recorded of each. */
export function desiredSwarmServices(snapshot: Pick<StackSnapshot, 'services'>): DesiredSwarmService[] {
  return snapshot.services.map(({name, image, replicas, hash, formerHash, formerHashes, swarm}) => ({name, image, replicas, hash, formerHash, formerHashes, ...(swarm ? {swarm} : {})}))
}
