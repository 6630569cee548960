import path from 'node:path'

import {builtImageTag, dockerfileDigest, readBuildSource, sourceDirectories, type BuildSource} from '../../model/compose/build-spec.js'
import type {ComposeService} from '../../model/compose/compose-model.js'
import {InvalidConfigError, InvalidInputError, quoted} from '../../model/errors.js'
import type {KedgeContext} from '../context.js'

/** The largest Dockerfile kedge reads to tag a build; a real one is a few KiB. */
const DOCKERFILE_MAX_BYTES = 1024 * 1024

/**
 * The tag each service with a `build:` section is built under, by service name, derived from what the
 * commit's build reads (see builtImageTag). A build that would read outside the repository is refused
 * here, naming the service, before anything on the host changes: its context, Dockerfile and additional
 * contexts are resolved in the checkout as kedge resolves the files it reads itself (symbolic links
 * followed inside the repository only), and their tree ids taken at the commit.
 */
export async function readBuildTags(
  context: Pick<KedgeContext, 'files' | 'git'>,
  repoDir: string,
  commit: string,
  project: string,
  services: readonly ComposeService[],
  shownFiles: string,
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const tags = new Map<string, string>()
  for (const service of services) {
    if (!service.buildDeclaration) continue
    const declared = readBuildSource({name: service.name, ...service.buildDeclaration}, repoDir, shownFiles)
    const source = resolvedSource(context, repoDir, declared, shownFiles)
    const treeIds = await treeIdsOf(context, repoDir, commit, sourceDirectories(source), signal)
    tags.set(service.name, builtImageTag(project, source, {treeIds, dockerfileDigest: dockerfileDigest(dockerfileText(context, repoDir, source, shownFiles))}))
  }
  return tags
}

/** The source with each directory as the real one its path leads to inside the repository (a link to a directory of the repository is fine). */
function resolvedSource(context: Pick<KedgeContext, 'files'>, repoDir: string, source: BuildSource, shownFiles: string): BuildSource {
  const real = (key: string, directory: string) => {
    const refuse = (detail: string) =>
      new InvalidConfigError(shownFiles, `services.${source.service}.build.${key}`, `${quoted(directory === '' ? '.' : directory)} ${detail}`, {hint: 'kedge builds only from directories of the repository'})
    let found: string
    try {
      found = context.files.directory(repoDir, directory === '' ? '.' : directory, () => refuse('is not a directory of the commit'))
    } catch (error) {
      // files.directory words its refusal for --path; here it is the build's.
      if (error instanceof InvalidInputError && error.code === 'invalid_path') throw refuse(error.message.replace(/^path "[^"]*" /, ''))
      throw error
    }
    return path.relative(repoDir, found).split(path.sep).join('/')
  }
  return {
    ...source,
    context: real('context', source.context),
    additionalContexts: source.additionalContexts.map((entry) => ({...entry, path: real(`additional_contexts.${entry.name}`, entry.path)})),
  }
}

function dockerfileText(context: Pick<KedgeContext, 'files'>, repoDir: string, source: BuildSource, shownFiles: string): string {
  if (source.dockerfile === null) return source.dockerfileInline ?? ''
  const shown = `${shownFiles}: services.${source.service}.build.dockerfile ${quoted(source.dockerfile)}`
  const text = context.files.readText(repoDir, source.dockerfile, DOCKERFILE_MAX_BYTES, shown)
  if (text === null) throw new InvalidConfigError(shown, undefined, 'is not a file of the commit', {hint: 'commit the Dockerfile, or name the one the build uses'})
  return text
}

/**
 * The git tree id of each directory at the commit; '' is the repository's root. git lists a directory
 * named with one inside it by the inner one's entries only, so directories that contain one another are
 * asked for apart; the root, whose own id git does not list, stands for its top-level entries.
 */
async function treeIdsOf(context: Pick<KedgeContext, 'git'>, repoDir: string, commit: string, directories: readonly string[], signal?: AbortSignal): Promise<Map<string, string>> {
  const ids = new Map<string, string>()
  for (const batch of apartBatches(directories)) {
    const listed = await context.git.objectIds(repoDir, commit, batch.map((directory) => (directory === '' ? '.' : directory)), signal)
    for (const directory of batch) {
      if (directory !== '') {
        const id = listed.get(directory)
        if (id !== undefined) ids.set(directory, id)
      } else {
        ids.set('', listed.get('.') ?? [...listed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, id]) => `${name}=${id}`).join('\n'))
      }
    }
  }
  return ids
}

/** The directories in as few lists as possible, none of which holds two where one contains the other. */
function apartBatches(directories: readonly string[]): string[][] {
  const contains = (outer: string, inner: string) => outer === '' || inner === outer || inner.startsWith(`${outer}/`)
  const batches: string[][] = []
  for (const directory of new Set(directories)) {
    const batch = batches.find((candidate) => candidate.every((other) => !contains(other, directory) && !contains(directory, other)))
    if (batch) batch.push(directory)
    else batches.push([directory])
  }
  return batches
}
