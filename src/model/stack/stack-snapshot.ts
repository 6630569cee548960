import type {RecordedSwarmService} from '../swarm/swarm-state.js'
import type {DesiredService} from './plan.js'

export interface SnapshotService extends DesiredService {
  /** The commit that last changed this service: its containers carry it, so an unchanged service keeps its labels. */
  commit: string
  /** For a swarm stack: the service as Swarm held it once the deployment passed its health gate (its spec's digest, its image). */
  swarm?: RecordedSwarmService
  /**
   * For a service kedge builds (`build:`, Compose stacks only): the tag it builds its image under, derived
   * from the build's content (model/compose/build-spec.ts); the service's `image` is that tag. Absent for
   * a service pulled from a registry, and in snapshots written before kedge built images.
   */
  build?: {tag: string}
}

/** What a deployment applied: enough to show it, diff against it and restore it without the remote. */
export interface StackSnapshot {
  version: 1
  commit: string
  project: string
  stackPath: string
  /** Compose files as kedge.yaml named them (relative to the stack directory), with their content. */
  composeFiles: Array<{path: string; content: string}>
  kedgeConfig: {path: string; content: string} | null
  /**
   * Set for one of several stacks of a repository (absent for a repository's single root stack): its
   * name, and its own kedge.yaml, whose settings override the repository's (`kedgeConfig`).
   */
  stack?: {name: string; config: {path: string; content: string} | null}
  /**
   * The files of the commit placed in the stack directory and kept in releases: paths relative to the
   * repository root (see stackSelection). Absent for the whole tree, as in snapshots kedge wrote before.
   */
  placedPaths?: string[]
  services: SnapshotService[]
  /** `swarm` when it was applied with `docker stack deploy` (kedge.yaml's docker.target); absent for Compose. */
  target?: 'swarm'
}
