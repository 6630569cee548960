import {ExternalError} from '../errors.js'
import type {StackContainer} from './containers.js'
import {COMPOSE_LABELS, LABELS} from '../compose/labels.js'

/**
 * Which containers of a Compose project are the repository's stack. Pure.
 *
 * - kedge's own, labelled for this repository;
 * - once kedge has deployed the project (`deployedHere`, or its containers are there), also containers
 *   without kedge's labels that Compose created in it for one of the stack's `services`: an operator's
 *   `docker compose up -d web` in the stack directory replaces kedge's container with one of its own.
 *   They are drift (see detectDrift), and kedge replaces them as it replaces any drifted container.
 *   Those of other services (a profile the operator started by hand) are left alone;
 * - never a one-off container (`docker compose run`): the operator's, neither refused nor touched.
 *
 * Refuses a project that holds another repository's containers, or, before kedge's first deploy there,
 * anyone else's: kedge never takes over a project it did not start.
 */
export function ownedContainers(
  repository: string,
  project: string,
  inProject: readonly StackContainer[],
  options: {deployedHere: boolean; services?: ReadonlySet<string>},
): StackContainer[] {
  const candidates = inProject.filter((container) => container.labels[COMPOSE_LABELS.oneoff] !== 'True')
  const ours = candidates.filter((container) => isOurs(container, repository))
  const deployedHere = options.deployedHere || ours.length > 0
  const unlabelled = candidates.filter((container) => !container.managedByKedge && options.services?.has(container.service) === true)
  const refused = candidates.filter((container) => !isOurs(container, repository) && (container.managedByKedge || !deployedHere))
  if (refused.length > 0) {
    const owner = refused.find((container) => container.managedByKedge)?.labels[LABELS.repository]
    throw new ExternalError(
      `the Compose project "${project}" has containers kedge did not deploy for ${repository}: ${refused.map((container) => container.name).join(', ')}`,
      {
        code: 'project_taken',
        hint: owner
          ? `kedge repository "${owner}" uses this project name; give one of them another docker.project_name`
          : 'kedge never takes over a project it did not start: take those containers down by hand, or set another docker.project_name in kedge.yaml',
      },
    )
  }
  return deployedHere ? [...ours, ...unlabelled] : ours
}

function isOurs(container: StackContainer, repository: string): boolean {
  return container.managedByKedge && container.labels[LABELS.repository] === repository
}
