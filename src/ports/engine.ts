import type {ContainerMount} from '../model/home-mount.js'
import type {StackContainer} from '../model/stack/containers.js'

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
  /** Whether the engine answers a ping; never throws. */
  answers(): Promise<boolean>
  /** Fails with engine_unavailable when the engine does not answer a ping. */
  ping(): Promise<void>
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
}
