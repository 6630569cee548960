import type {Engine} from '../../ports/engine.js'
import {
  currentImageIds,
  engineAnswers,
  listAllKedgeContainers,
  listComposeProjectContainers,
  listKedgeContainers,
  pingEngine,
  removeContainer,
  restartContainer,
  signalContainer,
  stopAndRemoveContainer,
  watchEvents,
} from './docker-engine.js'
import {ownContainerMounts} from './own-container.js'

/** The Engine port over the Docker engine's API socket (DOCKER_HOST, else /var/run/docker.sock). */
export const dockerEngine: Engine = {
  listKedgeContainers,
  listAllKedgeContainers,
  listComposeProjectContainers,
  stopAndRemoveContainer,
  removeContainer,
  restartContainer,
  signalContainer,
  currentImageIds,
  answers: engineAnswers,
  ping: pingEngine,
  ownContainerMounts,
  watchEvents,
}
