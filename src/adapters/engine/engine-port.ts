import type {Engine} from '../../ports/engine.js'
import {localDockerEngine} from './docker-engine.js'

/** The Engine port over the Docker engine's API socket (DOCKER_HOST, else /var/run/docker.sock). */
export const dockerEngine: Engine = localDockerEngine
