import type {Compose} from '../../ports/compose.js'
import {composeBuild, composeCommand, composeConfig, composeDown, composePull, composeUp} from './compose.js'

/** The Compose port over the Compose CLI found here (KEDGE_COMPOSE, else `docker compose`, else `docker-compose`). */
export const composeCli: Compose = {
  command: composeCommand,
  config: composeConfig,
  pull: composePull,
  build: composeBuild,
  up: composeUp,
  down: composeDown,
}

/** The same, showing what Compose prints as it pulls, builds, creates and starts (a command's --verbose). */
export function composeCliShowing(show: (chunk: Buffer) => void): Compose {
  return composeCliFor({onOutput: show})
}

/**
 * Compose run with `engineEnvironment` (a registered engine's DOCKER_HOST and TLS variables), so that it
 * applies to that engine, and showing its output to `onOutput` when given.
 */
export function composeCliFor(options: {engineEnvironment?: Record<string, string>; onOutput?: (chunk: Buffer) => void}): Compose {
  return {
    command: composeCommand,
    // Its output is the merged file kedge reads, not progress: it is not shown.
    config: (project, run) => composeConfig(project, {...run, engineEnvironment: options.engineEnvironment}),
    pull: (project, services, run) => composePull(project, services, {...run, ...options}),
    build: (project, services, run) => composeBuild(project, services, {...run, ...options}),
    up: (project, run) => composeUp(project, {...run, ...options}),
    down: (project, run) => composeDown(project, {...run, ...options}),
  }
}
