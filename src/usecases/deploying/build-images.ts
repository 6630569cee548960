import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import type {ComposeProject} from '../../model/compose/compose-invocation.js'
import {renderOverrideFile} from '../../model/compose/override-file.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import type {KedgeContext} from '../context.js'
import type {StackPaths} from '../repositories/stack-paths.js'
import {cloneProjectOf} from './compose-project.js'

/**
 * Where a build reads the commit's files from: the clone, which a deploy has checked the commit out in;
 * or a tree-ish of the clone (a rollback's or a heal's, see releaseTree), placed in a scratch directory
 * for the build and removed after it.
 */
export type BuildFrom = {clone: true} | {tree: string}

/** The tags of the services kedge builds, by service. */
export function builtImagesOf(snapshot: StackSnapshot): string[] {
  return snapshot.services.flatMap((service) => (service.build ? [service.build.tag] : []))
}

/**
 * Builds the images of the snapshot's `build:` services whose tag the engine lacks, and no others: an
 * unchanged build context has the same tag, which is there. Runs before anything on the host changes (the
 * stack directory, its override file, the containers): the build reads the commit's files where `from`
 * says, with kedge's override file in a scratch directory, so that the images get kedge's tag and labels.
 * Returns whether it built; a failed build throws BuildFailedError, with what the build printed.
 * `present` is the engine's answer for (at least) the snapshot's images when the caller asked already.
 */
export async function buildMissingImages(
  context: KedgeContext,
  paths: StackPaths,
  repository: string,
  snapshot: StackSnapshot,
  options: {from: BuildFrom; signal?: AbortSignal; present?: ReadonlyMap<string, string>; say?: (what: string) => void},
): Promise<boolean> {
  const tags = builtImagesOf(snapshot)
  if (tags.length === 0) return false
  const present = options.present ?? (await context.engine.currentImageIds(tags))
  const services = snapshot.services.filter((service) => service.build && !present.has(service.build.tag)).map((service) => service.name)
  if (services.length === 0) return false
  options.say?.(`building the images of ${services.join(', ')}`)
  mkdirSync(paths.generatedDir, {recursive: true})
  const scratch = mkdtempSync(path.join(paths.generatedDir, '.build-'))
  try {
    const override = path.join(scratch, 'compose.override.yaml')
    writeFileSync(override, renderOverrideFile(repository, snapshot))
    const project = await buildProject(context, paths, snapshot, options.from, scratch, options.signal)
    await context.compose.build({...project, files: [...project.files, override]}, services, {signal: options.signal})
  } finally {
    rmSync(scratch, {recursive: true, force: true})
  }
  return true
}

/** The commit's stack as the build reads it: from the clone, or from the tree placed in `scratch`. */
async function buildProject(context: KedgeContext, paths: StackPaths, snapshot: StackSnapshot, from: BuildFrom, scratch: string, signal?: AbortSignal): Promise<ComposeProject> {
  const project = cloneProjectOf(paths, snapshot)
  if ('clone' in from) return project
  const tree = path.join(scratch, 'tree')
  mkdirSync(tree)
  await context.git.updateTree(paths.repoDir, from.tree, tree, path.join(scratch, 'index'), signal, snapshot.placedPaths)
  return {...project, directory: path.join(tree, snapshot.stackPath)}
}
