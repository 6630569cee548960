import {LABELS} from '../compose/labels.js'
import type {DesiredService} from '../stack/plan.js'
import type {StackService, StackTask, SwarmNode} from './swarm-services.js'

/** What a deployment recorded of a swarm service once it passed the health gate, read back from the engine. */
export interface RecordedSwarmService {
  /** The service's specDigest then. */
  specDigest: string
  /** Its image then, with the digest `--resolve-image` pinned where a registry answered. */
  image: string
}

/** A swarm service as a commit wants it: the snapshot's service, and what its deployment recorded, once there is one. */
export interface DesiredSwarmService extends Pick<DesiredService, 'name' | 'image' | 'replicas' | 'hash' | 'formerHash' | 'formerHashes'> {
  swarm?: RecordedSwarmService
}

/** What the engine says of a stack: its services, their tasks and the swarm's nodes, each read once per check. */
export interface SwarmStackState {
  services: readonly StackService[]
  tasks: readonly StackTask[]
  nodes: readonly SwarmNode[]
}

/** The services of one stack, by their namespace label (the engine's listing is filtered by it already; this keeps a wider one honest). */
export function servicesOfStack(namespace: string, state: Pick<SwarmStackState, 'services'>): StackService[] {
  return state.services.filter((service) => service.namespace === namespace)
}

/** Whether the service carries the configuration kedge hashed for it, now or as older kedge versions hashed it. */
export function carriesConfigOf(desired: DesiredSwarmService, service: StackService): boolean {
  const label = service.labels[LABELS.configHash]
  if (label === undefined) return false
  return label === desired.hash || label === desired.formerHash || (desired.formerHashes?.includes(label) ?? false)
}

/**
 * The tasks that run for the service: desired running, running, on a node that is ready. Read from the
 * tasks and not from the engine's ServiceStatus: a task on a node that went down stays `running` until
 * the node is declared down, and is counted there beside its replacement (4 of 3), and the tasks of a
 * scale-up are counted before any node took them.
 */
export function runningTasks(service: StackService, state: SwarmStackState): StackTask[] {
  const ready = new Set(state.nodes.filter((node) => node.state === 'ready').map((node) => node.id))
  return state.tasks.filter(
    (task) => task.serviceId === service.id && task.desiredState === 'running' && task.state === 'running' && task.nodeId !== null && ready.has(task.nodeId),
  )
}

/**
 * How many tasks the service should run: its replicas, or for a global service the nodes it should run
 * on. The engine counts those for a global service with its placement constraints; without its count,
 * every ready node that takes tasks.
 */
export function wantedTaskCount(service: StackService, state: SwarmStackState): number {
  if (service.replicas !== null) return service.replicas
  return service.taskCounts?.desired ?? state.nodes.filter((node) => node.state === 'ready' && node.availability === 'active').length
}

/** The service's tasks, newest first. */
export function tasksOf(service: StackService, state: Pick<SwarmStackState, 'tasks'>): StackTask[] {
  return state.tasks.filter((task) => task.serviceId === service.id).sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
}

/**
 * The engine's own word on why a task of the service does not run, newest first: its error ("task:
 * non-zero exit (3)", "No such image: …", "no suitable node (…)"), or null when no task has one.
 */
export function newestTaskError(service: StackService, state: Pick<SwarmStackState, 'tasks'>, since: string | null = null): string | null {
  const task = tasksOf(service, state).find((candidate) => candidate.err !== null && (since === null || candidate.createdAt >= since))
  return task?.err ?? null
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
