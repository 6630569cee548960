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
