import {ExternalError, type KedgeErrorOptions} from '../model/errors.js'
import type {ContainerMount} from '../model/home-mount.js'
import type {StackContainer} from '../model/stack/containers.js'
import type {SwarmStackState} from '../model/swarm/swarm-state.js'

/** A container event the engine reports about a container kedge labelled. */
/** One event of the engine's stream: of a container, or of an image (a pull or a tag moves what a reference names). */
export interface EngineEvent {
  /** `container` or `image`; other kinds are not asked for. */
  type: string
  action: string
  /** The container's id, or the image's. */
  actorId: string
  /** The container's labels (an image event's attributes: its name, the reference it concerns). */
  labels: Record<string, string>
  /** Nanoseconds since the epoch, for resuming the stream where it broke. */
  timeNano: bigint
}

/** The Docker engine kedge's stacks run on, as the use cases see it. Every call fails with engine_unavailable when it does not answer in time. */
export interface Engine {
  /** kedge's labelled containers of one Compose project. */
  listKedgeContainers(project: string): Promise<StackContainer[]>
  /** Every container kedge labelled, whichever project. */
  listAllKedgeContainers(): Promise<StackContainer[]>
  /** Every container of a Compose project, kedge's or not. */
  listComposeProjectContainers(project: string): Promise<StackContainer[]>
  stopAndRemoveContainer(id: string): Promise<void>
  /** Removes a container at once, running or not; one already gone is no error. */
  removeContainer(id: string): Promise<void>
  /** Restarts a container as `docker restart` does. */
  restartContainer(id: string): Promise<void>
  /** Sends a signal (such as SIGHUP) to a container's main process. */
  signalContainer(id: string, signal: string): Promise<void>
  /** The image id each reference names now, for those the engine has. */
  currentImageIds(references: string[]): Promise<Map<string, string>>
  /** For each reference the engine has: the image's id and the digests it was pulled by (its RepoDigests, `name@sha256:…`). */
  imageDetails(references: string[]): Promise<Map<string, ImageDetails>>
  /** The images that carry every one of `labels`, with their tags (kedge's builds: see prune). */
  listImagesByLabel(labels: Record<string, string>): Promise<LabelledImage[]>
  /** Makes `reference` (`name:tag`) name the image `id`, moving it from the image it named before. */
  tagImage(id: string, reference: string): Promise<void>
  /**
   * Puts files in a container that is created and not started (Compose's `up --no-start`): into its own
   * file system, where they stay across its restarts. Directories the paths need are made.
   */
  putContainerFiles(id: string, files: readonly ContainerFile[]): Promise<void>
  /**
   * Removes an image by id or reference, never forced: a tag of an image other tags also name is only taken
   * off; the last one, or an id, removes the image unless a container uses it (then false). One already
   * gone is no error (true).
   */
  removeImage(reference: string): Promise<boolean>
  /** Whether the engine answers a ping; never throws. */
  answers(): Promise<boolean>
  /** Fails with engine_unavailable when the engine does not answer a ping. */
  ping(): Promise<void>
  /**
   * How many times kedge has lost the engine so far: a request that could not reach it, was cut off or
   * timed out, or its event stream ending unasked. Read before an attempt and again at its failure, it
   * tells that the engine went away meanwhile even when it answers again by then: a daemon restarted
   * within a second stops the containers a deploy waits for, and answers as if nothing happened.
   */
  connectionLosses(): number
  /**
   * The mounts of the container kedge itself runs in; null when it runs in none this engine knows (on the
   * host, or in a container of another engine).
   */
  ownContainerMounts(): Promise<ContainerMount[] | null>
  /**
   * Streams the engine's container and image events until the stream ends or `signal` aborts. Fails with
   * engine_unavailable when the stream does not open in time; once open, it has no time limit. A line
   * that is no event is skipped, and `onUnreadable` told why.
   */
  watchEvents(options: {
    sinceSeconds?: number
    signal: AbortSignal
    onConnected: () => void
    onEvent: (event: EngineEvent) => void
    onUnreadable: (problem: string) => void
  }): Promise<void>

  /*
   * Swarm stacks. Each of these asks the swarm's managers, and fails with NotSwarmManagerError on an
   * engine that is not one (in no swarm, a worker, or a manager whose swarm is locked).
   */

  /**
   * The swarm's view of a stack: its services (those with the label com.docker.stack.namespace=namespace,
   * with the engine's task counts), their tasks (every state, newest and oldest) and the swarm's nodes.
   */
  swarmState(namespace: string): Promise<SwarmStackState>
  /** Removes a service; Swarm then stops its tasks by itself, within their stop grace period. One already gone is no error. */
  removeService(id: string): Promise<void>
  /**
   * The networks, configs and secrets with the stack's namespace label, with their labels, for taking a
   * stack down and pruning. A network just removed may still be listed for a moment, on the node where
   * its last task stops; removing it again is no error.
   */
  listStackObjects(namespace: string): Promise<StackObjects>
  /**
   * Removes a network of a stack; one already gone is no error. While the tasks of removed services still
   * hold it, it waits for them (a bounded time, NETWORK_IN_USE_WAIT_MS); it fails with NetworkInUseError
   * when something else uses it (a service, a container attached to it), or the tasks stay past that time.
   */
  removeNetwork(id: string): Promise<void>
  /** Removes a config; one already gone is no error. A service still using it makes the engine refuse. */
  removeConfig(id: string): Promise<void>
  /** Removes a secret; one already gone is no error. A service still using it makes the engine refuse. */
  removeSecret(id: string): Promise<void>
}

export interface ContainerFile {
  /** Absolute, inside the container. */
  path: string
  content: string
  mode: number
}

export interface ImageDetails {
  id: string
  repoDigests: string[]
}

export interface LabelledImage {
  id: string
  /** `name:tag` references that name it; empty for an image no tag names any more. */
  tags: string[]
  labels: Record<string, string>
  created: Date
}

/** A network, config or secret of a swarm stack. */
export interface StackObject {
  id: string
  /** Its full name: `<namespace>_<key>`, or the `name:` the compose file gave it. */
  name: string
  labels: Record<string, string>
}

export interface StackObjects {
  networks: StackObject[]
  configs: StackObject[]
  secrets: StackObject[]
}

/** How long removeNetwork waits for the tasks still attached to a network to stop: a stop grace period of 10 s (Swarm's default), and some. */
export const NETWORK_IN_USE_WAIT_MS = 20_000

/** The engine cannot answer for a swarm: it is in none, is a worker, or its swarm is locked. */
export class NotSwarmManagerError extends ExternalError {
  constructor(message: string, options: KedgeErrorOptions = {}) {
    super(message, {...options, code: 'engine_error'})
  }
}

/** A network of a stack still in use, so the engine keeps it: by what, in the engine's own words. */
export class NetworkInUseError extends ExternalError {
  constructor(
    readonly networkId: string,
    readonly usedBy: string,
    message: string,
    options: KedgeErrorOptions = {},
  ) {
    super(message, {...options, code: 'engine_error'})
  }
}
