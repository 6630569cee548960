import {LABELS} from '../../model/compose/labels.js'
import type {StackContainer} from '../../model/stack/containers.js'
import {ownedContainers} from '../../model/stack/project-ownership.js'
import type {KedgeContext} from '../context.js'

/**
 * The repository's containers in the project (see ownedContainers): kedge's, and once kedge has deployed
 * there (`deployedHere`, or its containers are there), those Compose created in it without kedge's labels.
 * Refuses a project that is someone else's.
 */
export async function listOwnedContainers(
  context: KedgeContext,
  repository: string,
  project: string,
  options: {deployedHere?: boolean; services?: readonly {name: string}[]} = {},
): Promise<StackContainer[]> {
  const [composed, labelled] = await Promise.all([context.engine.listComposeProjectContainers(project), context.engine.listKedgeContainers(project)])
  // kedge's labels without Compose's: a container made by hand to look like kedge's, still kedge's to replace.
  const byId = new Map([...composed, ...labelled.filter((container) => container.labels[LABELS.repository] === repository)].map((container) => [container.id, container]))
  const services = new Set((options.services ?? []).map((service) => service.name))
  return ownedContainers(repository, project, [...byId.values()], {deployedHere: options.deployedHere ?? false, services})
}

/** After a change of `docker.project_name`: the repository's containers under the old name are kedge's to remove. */
export async function removeOtherProject(context: KedgeContext, repository: string, oldProject: string, newProject: string): Promise<void> {
  if (oldProject === newProject) return
  const old = (await context.engine.listKedgeContainers(oldProject)).filter((container) => container.labels[LABELS.repository] === repository)
  for (const container of old) await context.engine.removeContainer(container.id)
}
