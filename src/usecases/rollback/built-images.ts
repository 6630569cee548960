import {BUILD_LABELS} from '../../model/compose/build-spec.js'
import type {DeploymentRow, StackTarget} from '../../model/rows.js'
import {parseSnapshot} from '../../model/stack/stored-snapshot.js'
import type {KedgeContext} from '../context.js'

/**
 * Removes the images kedge built for the stack's project (by their labels: the repository's, the
 * project's) whose tag none of the newest `keep` deployed commits uses (keep_releases, as the releases
 * kept for a rollback: a rollback to one of them finds its image) and no container of the project was
 * created from. Never forced: the engine keeps an image a container still uses, whatever its tag, and
 * that is no error. An image left without any tag is removed too, unless in use. Returns what it removed.
 */
export async function pruneBuiltImages(context: KedgeContext, target: StackTarget, project: string, keep: number): Promise<string[]> {
  const {engine} = context
  const images = await engine.listImagesByLabel({[BUILD_LABELS.builtBy]: target.repository.name, [BUILD_LABELS.project]: project})
  if (images.length === 0) return []
  const kept = tagsOfKeptReleases(context.store.listGoodDeployments(target.stack.id), keep)
  const containers = await engine.listComposeProjectContainers(project)
  const inUse = new Set(containers.map((container) => container.image))
  const removed: string[] = []
  for (const image of images) {
    const stale = image.tags.filter((tag) => !kept.has(tag) && !inUse.has(tag))
    const references = image.tags.length === 0 ? [image.id] : stale
    for (const reference of references) if (await engine.removeImage(reference)) removed.push(reference)
  }
  return removed
}

/**
 * The built tags of the newest `keep` commits deployed (newest first, each commit once, as releases are
 * kept): a snapshot that cannot be read fails the prune, as what it uses cannot be known.
 */
export function tagsOfKeptReleases(good: readonly DeploymentRow[], keep: number): Set<string> {
  const commits = new Set<string>()
  const tags = new Set<string>()
  for (const deployment of good) {
    if (!commits.has(deployment.commit)) {
      if (commits.size >= keep) break
      commits.add(deployment.commit)
    }
    for (const service of parseSnapshot(deployment.snapshot, deployment.id)?.services ?? []) if (service.build) tags.add(service.build.tag)
  }
  return tags
}
