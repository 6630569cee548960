import {createHash} from 'node:crypto'

import {canonicalJson} from '../compose/compose-model.js'
import {LABELS} from '../compose/labels.js'
import {byCodeUnits} from '../compose/text-order.js'
import {
  at,
  engineTime,
  isObject,
  listOf,
  malformed,
  optionalCount,
  optionalEngineTime,
  optionalText,
  requiredCount,
  requiredText,
  textMap,
  type EngineTime,
  type JsonObject,
  type JsonPlace,
} from './engine-json.js'

/** The label `docker stack deploy` puts on every object of a stack: the stack's name. */
export const STACK_NAMESPACE_LABEL = 'com.docker.stack.namespace'

/** Every UpdateStatus.State the engine reports (moby's swarm.UpdateState). */
export const UPDATE_STATES = ['updating', 'paused', 'completed', 'rollback_started', 'rollback_paused', 'rollback_completed'] as const
export type UpdateState = (typeof UPDATE_STATES)[number]

export interface UpdateStatus {
  /** One of UPDATE_STATES, or a state of a later engine, kept as the engine wrote it. */
  state: UpdateState | (string & {})
  message: string
  startedAt: EngineTime | null
  completedAt: EngineTime | null
}

export type ServiceMode = 'replicated' | 'global'

/** A Swarm service of a stack, as kedge reads it from GET /services?status=true. */
export interface StackService {
  id: string
  /** The service's full name, `<namespace>_<service>`. */
  name: string
  /** The stack it belongs to (its namespace label), or null for a service outside any stack. */
  namespace: string | null
  /** The service's name in the compose files: the full name without `<namespace>_`. */
  service: string
  /** The service's own labels (compose `deploy.labels`), not its containers'. */
  labels: Record<string, string>
  managedByKedge: boolean
  /** The image of its task template, with the `@sha256:` digest `--resolve-image` pinned, if any. */
  image: string
  mode: ServiceMode
  /** The replicas its spec asks for; null for a global service. */
  replicas: number | null
  /**
   * The engine's own counts (ServiceStatus), or null when it gave none. Only `desired` of a global
   * service is used: it is the number of nodes the service should run on. The running count comes from
   * the tasks (see runningTasks), since this one counts tasks on nodes that are down.
   */
  taskCounts: {running: number; desired: number} | null
  /** The last update's status; null for a new service, or one whose last deploy left its task template unchanged. */
  updateStatus: UpdateStatus | null
  /** The spec's version index, which every change raises (labels only, too). */
  version: number
  createdAt: EngineTime
  /** When the spec or update status last changed: also when an update pauses or completes, not only when it starts. */
  updatedAt: EngineTime
  /** See specDigest. */
  specDigest: string
  /** See templateDigest. */
  templateDigest: string
}

/** A task of a service: one replica's attempt to run, on one node. */
export interface StackTask {
  id: string
  serviceId: string
  /** The replica's number; null for a global service's task, which has a node instead. */
  slot: number | null
  /** Null until the scheduler has placed it (a pending task, or one no node can take). */
  nodeId: string | null
  /** new, pending, assigned, accepted, preparing, ready, starting, running, complete, shutdown, failed, rejected, remove, orphaned */
  state: string
  /** What the orchestrator wants of it: running, ready (held back during an update), shutdown, remove. */
  desiredState: string
  /** Why it failed or cannot be placed, e.g. "task: non-zero exit (3)", "No such image: …". */
  err: string | null
  /** The engine's word on its progress, e.g. "started", "pending task scheduling". */
  message: string
  image: string
  createdAt: EngineTime
  /** When its state last changed. */
  statusAt: EngineTime
}

/** A node of the swarm, from GET /nodes. */
export interface SwarmNode {
  id: string
  hostname: string
  /** unknown, down, ready or disconnected */
  state: string
  /** active, pause or drain: the operator's, never kedge's */
  availability: string
  role: string
}

export function parseStackServices(raw: unknown): StackService[] {
  return listOf(raw, "the engine's service list")
    .map(({item, place}) => toStackService(item, place))
    .sort((a, b) => byCodeUnits(a.name, b.name))
}

export function parseStackTasks(raw: unknown): StackTask[] {
  return listOf(raw, "the engine's task list").map(({item, place}) => toStackTask(item, place))
}

export function parseSwarmNodes(raw: unknown): SwarmNode[] {
  return listOf(raw, "the engine's node list").map(({item, place}) => toSwarmNode(item, place))
}

export function toStackService(value: unknown, place: JsonPlace = {what: 'a service from the engine'}): StackService {
  const raw = objectAt(value, place)
  const name = requiredText(raw, 'Spec.Name', place)
  const labels = textMap(raw, 'Spec.Labels', place)
  const namespace = labels[STACK_NAMESPACE_LABEL] ?? null
  const {mode, replicas} = modeOf(raw, place)
  const running = optionalCount(raw, 'ServiceStatus.RunningTasks', place)
  const desired = optionalCount(raw, 'ServiceStatus.DesiredTasks', place)
  return {
    id: requiredText(raw, 'ID', place),
    name,
    namespace,
    service: namespace !== null && name.startsWith(`${namespace}_`) ? name.slice(namespace.length + 1) : name,
    labels,
    managedByKedge: labels[LABELS.managed] === 'true',
    image: requiredText(raw, 'Spec.TaskTemplate.ContainerSpec.Image', place),
    mode,
    replicas,
    taskCounts: running === null || desired === null ? null : {running, desired},
    updateStatus: updateStatusOf(raw, place),
    version: requiredCount(raw, 'Version.Index', place),
    createdAt: engineTime(raw, 'CreatedAt', place),
    updatedAt: engineTime(raw, 'UpdatedAt', place),
    specDigest: specDigest(raw.Spec as JsonObject),
    templateDigest: templateDigest(raw.Spec as JsonObject),
  }
}

function objectAt(value: unknown, place: JsonPlace): JsonObject {
  if (!isObject(value)) throw malformed(place, 'expected an object')
  return value
}

function modeOf(raw: JsonObject, place: JsonPlace): {mode: ServiceMode; replicas: number | null} {
  const mode = at(raw, 'Spec.Mode')
  if (!isObject(mode)) throw malformed(place, 'Spec.Mode is missing')
  if (isObject(mode.Replicated)) return {mode: 'replicated', replicas: requiredCount(raw, 'Spec.Mode.Replicated.Replicas', place)}
  if (isObject(mode.Global)) return {mode: 'global', replicas: null}
  const kind = Object.keys(mode)[0] ?? 'none'
  // Jobs (ReplicatedJob, GlobalJob) run to completion: kedge's drift and health gate would take a
  // finished job for a failed service. swarm-compat refuses them in kedge's own stacks.
  throw malformed(place, `Spec.Mode is ${kind}: kedge reads replicated and global services only`)
}

function updateStatusOf(raw: JsonObject, place: JsonPlace): UpdateStatus | null {
  const status = at(raw, 'UpdateStatus')
  if (status === undefined) return null
  if (!isObject(status)) throw malformed(place, 'UpdateStatus is not an object')
  return {
    state: requiredText(raw, 'UpdateStatus.State', place),
    message: optionalText(raw, 'UpdateStatus.Message', place) ?? '',
    startedAt: optionalEngineTime(raw, 'UpdateStatus.StartedAt', place),
    completedAt: optionalEngineTime(raw, 'UpdateStatus.CompletedAt', place),
  }
}

export function toStackTask(value: unknown, place: JsonPlace = {what: 'a task from the engine'}): StackTask {
  const raw = objectAt(value, place)
  return {
    id: requiredText(raw, 'ID', place),
    serviceId: requiredText(raw, 'ServiceID', place),
    slot: optionalCount(raw, 'Slot', place),
    nodeId: optionalText(raw, 'NodeID', place),
    state: requiredText(raw, 'Status.State', place),
    desiredState: requiredText(raw, 'DesiredState', place),
    err: optionalText(raw, 'Status.Err', place),
    message: optionalText(raw, 'Status.Message', place) ?? '',
    image: requiredText(raw, 'Spec.ContainerSpec.Image', place),
    createdAt: engineTime(raw, 'CreatedAt', place),
    statusAt: engineTime(raw, 'Status.Timestamp', place),
  }
}

export function toSwarmNode(value: unknown, place: JsonPlace = {what: 'a node from the engine'}): SwarmNode {
  const raw = objectAt(value, place)
  return {
    id: requiredText(raw, 'ID', place),
    hostname: optionalText(raw, 'Description.Hostname', place) ?? '',
    state: requiredText(raw, 'Status.State', place),
    availability: requiredText(raw, 'Spec.Availability', place),
    role: requiredText(raw, 'Spec.Role', place),
  }
}

/**
 * A digest of what a service runs, to tell a change made by hand (`docker service update --env-add`,
 * `service rollback`, …) from the spec kedge deployed: sha256 over the sorted-key JSON of the task
 * template, mode, update and rollback settings and endpoint spec. Left out:
 * - TaskTemplate.ForceUpdate, which `service update --force` raises to restart the tasks as they are:
 *   an operator's restart, not drift;
 * - the replica count, which drift compares by itself (`scaled`), so a hand scale is one drift and not
 *   also a changed configuration;
 * - the labels, whose config-hash label drift compares against the snapshot's own hash.
 */
export function specDigest(spec: JsonObject): string {
  const template = isObject(spec.TaskTemplate) ? spec.TaskTemplate : {}
  const {ForceUpdate: _, ...taskTemplate} = template
  const mode = isObject(spec.Mode) ? Object.fromEntries(Object.keys(spec.Mode).map((kind) => [kind, {}])) : null
  const digested = {
    TaskTemplate: taskTemplate,
    Mode: mode,
    UpdateConfig: spec.UpdateConfig ?? null,
    RollbackConfig: spec.RollbackConfig ?? null,
    EndpointSpec: spec.EndpointSpec ?? null,
  }
  return createHash('sha256').update(canonicalJson(digested)).digest('hex')
}

/**
 * A digest of the task template, which Swarm makes the service's tasks from: a deploy that changes it
 * starts an update of the tasks, one that leaves it alone (labels, replicas) does not. Placement is left
 * out: a change of the constraints alone that the nodes running the tasks still meet moves no task.
 */
export function templateDigest(spec: JsonObject): string {
  const {Placement: _, ...template} = isObject(spec.TaskTemplate) ? spec.TaskTemplate : {}
  return createHash('sha256').update(canonicalJson(template)).digest('hex')
}

/** An image reference without the digest `--resolve-image` pins: `busybox:1@sha256:…` → `busybox:1`. */
export function imageWithoutDigest(image: string): string {
  const sign = image.indexOf('@')
  return sign < 0 ? image : image.slice(0, sign)
}

/** The digest an image reference pins, or null. */
export function imageDigest(image: string): string | null {
  const sign = image.indexOf('@')
  return sign < 0 ? null : image.slice(sign + 1)
}
