import type {ComposeCommand, ComposeProject, DownOptions, UpOptions} from '../model/compose/compose-invocation.js'
import {ExternalError, type KedgeErrorOptions} from '../model/errors.js'

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
  /**
   * Builds the services' images (`compose build`), under the `image:` the project's files give them. Fails
   * with BuildFailedError, holding what the build printed, when Compose could not build one.
   */
  build(project: ComposeProject, services: string[], options?: ComposeRunOptions): Promise<void>
  up(project: ComposeProject, options: ComposeRunOptions & UpOptions): Promise<void>
  down(project: ComposeProject, options: ComposeRunOptions & DownOptions): Promise<void>
}

/** A build that failed: why in one line, and everything the build printed (unredacted: the deployment keeps it redacted). */
export class BuildFailedError extends ExternalError {
  constructor(
    readonly services: readonly string[],
    message: string,
    readonly output: string,
    options: KedgeErrorOptions = {},
  ) {
    super(message, {...options, code: 'build_failed'})
  }
}
