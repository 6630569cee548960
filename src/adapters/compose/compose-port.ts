import type {Compose} from '../../ports/compose.js'
import {composeCommand, composeConfig, composeDown, composePull, composeUp} from './compose.js'

/** The Compose port over the Compose CLI found here (KEDGE_COMPOSE, else `docker compose`, else `docker-compose`). */
export const composeCli: Compose = {
  command: composeCommand,
  config: composeConfig,
  pull: composePull,
  up: composeUp,
  down: composeDown,
}

/** The same, showing what Compose prints as it pulls, creates and starts (a command's --verbose). */
export function composeCliShowing(show: (chunk: Buffer) => void): Compose {
  return {
    command: composeCommand,
    config: composeConfig,
    pull: (project, services, options) => composePull(project, services, {...options, onOutput: show}),
    up: (project, options) => composeUp(project, {...options, onOutput: show}),
    down: (project, options) => composeDown(project, {...options, onOutput: show}),
  }
}
