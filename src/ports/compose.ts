import type {ComposeCommand, ComposeProject, DownOptions, UpOptions} from '../model/compose/compose-invocation.js'

export interface ComposeRunOptions {
  signal?: AbortSignal
}

/** The Docker Compose CLI (v2 or v1), run as a process with an argument array. */
export interface Compose {
  /** Which Compose runs here, asked once per process. */
  command(): Promise<ComposeCommand>
  /** The merged configuration Compose would apply, as YAML; fails with Compose's own message when invalid. */
  config(project: ComposeProject, options?: ComposeRunOptions): Promise<string>
  pull(project: ComposeProject, services: string[], options?: ComposeRunOptions): Promise<void>
  up(project: ComposeProject, options: ComposeRunOptions & UpOptions): Promise<void>
  down(project: ComposeProject, options: ComposeRunOptions & DownOptions): Promise<void>
}
