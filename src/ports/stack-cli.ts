import {ExternalError, type KedgeErrorOptions} from '../model/errors.js'
import type {StackDeployOptions, StackDeployProject} from '../model/swarm/stack-invocation.js'

/** A swarm stack as kedge hands it to `docker stack deploy`. */
export interface StackProject extends StackDeployProject {
  /** The stack directory, where the CLI runs. */
  directory: string
  /**
   * The variables the compose files are interpolated with (model/swarm stackDeployEnvironment): the CLI
   * reads no `.env`, only its own environment.
   */
  environment: Record<string, string>
}

export interface StackDeployRunOptions extends StackDeployOptions {
  signal?: AbortSignal
  /** A registered engine's DOCKER_HOST and TLS variables; a StackCli made for an engine uses its own. */
  engineEnvironment?: Record<string, string>
  /** What the CLI prints as it creates and updates (a command's --verbose). */
  onOutput?: (chunk: Buffer) => void
}

/** The docker CLI's `stack deploy`, run as a process with an argument array. */
export interface StackCli {
  /**
   * Creates or updates the stack's services, networks, configs and secrets, and returns once Swarm took
   * them: it does not wait for the tasks. Fails with StackDeployFailedError, the CLI's own line.
   */
  deploy(project: StackProject, options: StackDeployRunOptions): Promise<void>
}

/**
 * `docker stack deploy` refused or failed: `reason` is kedge's one line of what the CLI said (its stack
 * loader refusing a file, the engine refusing a service); its whole output is the cause, shown with --debug.
 */
export class StackDeployFailedError extends ExternalError {
  constructor(
    readonly reason: string,
    options: KedgeErrorOptions = {},
  ) {
    super(`docker stack deploy failed: ${reason}`, {...options, code: 'compose_failed'})
  }
}
