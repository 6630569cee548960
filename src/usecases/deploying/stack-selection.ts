import path from 'node:path'

import {parseBoundedYaml} from '../../model/config/bounded-yaml.js'
import {parseComposeYaml} from '../../model/config/compose-yaml.js'
import {COMPOSE_FILE_MAX_BYTES} from '../../model/config/repository-limits.js'
import {InvalidConfigError} from '../../model/errors.js'
import {byCodeUnits} from '../../model/compose/text-order.js'
import type {RepositoryFiles} from '../../ports/repository-files.js'

/** What stackSelection works from. */
export interface StackReads {
  /** The stack's directory, relative to the repository root; '.' is the root. */
  stackPath: string
  /** The compose files as kedge.yaml names them, relative to the stack directory. */
  composeFiles: readonly string[]
  /** kedge.yaml, relative to the repository root; null when there is none. */
  kedgeConfigFile: string | null
  /** `compose config`'s output, parsed; its paths are absolute, inside `checkoutDir`. */
  resolved: unknown
  /** The checkout Compose resolved the stack in. */
  checkoutDir: string
  /** A compose file of the checkout (its path relative to the repository root), parsed; undefined when there is none, null when it cannot be read. */
  readCompose: (file: string) => unknown
}

type Json = Record<string, unknown>

/** A path the stack reads that kedge cannot pin down: the whole tree is placed instead. */
class Unknowable extends Error {}

/**
 * Which files of the repository a stack at `--path` reads, so that only those are placed in the stack
 * directory and kept in its releases: the stack's own directory, its compose files and kedge.yaml, and
 * whatever the stack reads outside its directory (bind-mount sources, env files, file configs and
 * secrets, build contexts and Dockerfiles, files named by `extends:` and `include:`). The result is a
 * list of paths (files or directories) relative to the repository root, or null for the whole tree:
 * when the stack is the repository root, reads the root itself, or names a file kedge cannot work out
 * (an interpolated `env_file`, an `include` with its own `project_directory`).
 */
export function stackSelection(reads: StackReads): string[] | null {
  const stackPath = normalize(reads.stackPath)
  if (stackPath === null || stackPath === '') return null
  const selected = [stackPath]
  const add = (file: string | null) => {
    if (file === '') throw new Unknowable('the repository root')
    if (file !== null) selected.push(file)
  }
  try {
    for (const file of reads.composeFiles) add(normalize(path.posix.join(stackPath, file)))
    if (reads.kedgeConfigFile) add(normalize(reads.kedgeConfigFile))
    for (const file of resolvedPaths(reads.resolved)) add(insideCheckout(file, reads.checkoutDir))
    const visited = new Set<string>()
    for (const file of reads.composeFiles) {
      const composeFile = normalize(path.posix.join(stackPath, file))
      // Compose resolves a named compose file's paths against the project directory, the stack's; v1 at times against the file's own.
      if (composeFile !== null) for (const read of composeFileReads(composeFile, [stackPath, path.posix.dirname(composeFile)], reads.readCompose, visited)) add(read)
    }
  } catch (error) {
    if (error instanceof Unknowable) return null
    throw error
  }
  return outermost(selected)
}

/** stackSelection of a stack resolved in `checkoutDir`, its compose files read from there; undefined for the whole tree. */
export function readStackSelection(
  files: Pick<RepositoryFiles, 'readText'>,
  checkoutDir: string,
  stackPath: string,
  composeFiles: readonly string[],
  kedgeConfigFile: string | null,
  resolvedYaml: string,
): string[] | undefined {
  // A file of `extends:` or `include:` is read as kedge reads the compose files: one that is no regular file
  // inside the repository, or too large, is one kedge cannot read, and the whole tree is placed.
  const readCompose = (file: string): unknown => {
    let text: string | null
    try {
      text = files.readText(checkoutDir, file, COMPOSE_FILE_MAX_BYTES)
    } catch (error) {
      if (error instanceof InvalidConfigError) return null
      throw error
    }
    if (text === null) return undefined
    try {
      return parseComposeYaml(text, file, {merge: true, lenient: true}) ?? null
    } catch {
      // Too large, or an alias bomb: Compose has the last word on the file; kedge places the whole tree.
      return null
    }
  }
  const resolved = parseBoundedYaml(resolvedYaml, {maxTokens: Infinity, lenient: true})
  return stackSelection({stackPath, composeFiles, kedgeConfigFile, resolved, checkoutDir, readCompose}) ?? undefined
}

/** The paths of the repository `compose config` names, all absolute: bind-mount sources, build contexts and Dockerfiles, env files, file configs and secrets. */
function resolvedPaths(resolved: unknown): string[] {
  const document = isObject(resolved) ? resolved : {}
  const files: string[] = []
  const absolute = (value: unknown) => {
    if (typeof value === 'string' && path.isAbsolute(value)) files.push(value)
  }
  for (const service of Object.values(isObject(document.services) ? document.services : {})) {
    if (!isObject(service)) continue
    for (const volume of asArray(service.volumes)) {
      // v1 writes "source:target:mode", v2 an object; a named volume's source is a name, not a path.
      if (typeof volume === 'string') absolute(volume.split(':')[0])
      else if (isObject(volume) && (volume.type === 'bind' || volume.type === undefined)) absolute(volume.source)
    }
    const build = service.build
    if (typeof build === 'string') absolute(build)
    if (isObject(build) && typeof build.context === 'string' && path.isAbsolute(build.context)) {
      files.push(build.context)
      if (typeof build.dockerfile === 'string') files.push(path.resolve(build.context, build.dockerfile))
      const contexts = isObject(build.additional_contexts) ? Object.values(build.additional_contexts) : asArray(build.additional_contexts)
      for (const context of contexts) absolute(typeof context === 'string' ? context.replace(/^[^=/]+=/, '') : context)
    }
    for (const envFile of asArray(service.env_file)) absolute(isObject(envFile) ? envFile.path : envFile)
  }
  for (const kind of ['configs', 'secrets'] as const) {
    for (const definition of Object.values(isObject(document[kind]) ? document[kind] : {})) if (isObject(definition)) absolute(definition.file)
  }
  return files
}

/**
 * What Compose reads again on every `up` and `compose config` does not print: env files and label files
 * (printed inlined), the files of `extends:` and `include:`, and what those read in turn. A relative
 * path is taken against each of `bases` (directories); in a file of `extends:` or `include:`, against
 * that file's own directory.
 */
function composeFileReads(file: string, bases: readonly string[], readCompose: (file: string) => unknown, visited: Set<string>): string[] {
  if (visited.has(file)) return []
  visited.add(file)
  const document = readCompose(file)
  // Of the places a relative path may be taken against, only one need hold the file.
  if (document === undefined) return []
  if (!isObject(document)) throw new Unknowable(`${file} could not be read`)
  const reads: string[] = []
  const relative = (value: unknown): string[] => {
    if (typeof value !== 'string') return []
    // An interpolated path depends on variables kedge does not resolve.
    if (value.includes('$')) throw new Unknowable(value)
    if (path.posix.isAbsolute(value)) return []
    return [...new Set(bases.map((base) => normalize(path.posix.join(base, value))).filter((target): target is string => target !== null))]
  }
  const follow = (value: unknown) => {
    for (const target of relative(value)) reads.push(target, ...composeFileReads(target, [path.posix.dirname(target)], readCompose, visited))
  }
  for (const service of Object.values(isObject(document.services) ? document.services : {})) {
    if (!isObject(service)) continue
    for (const envFile of asList(service.env_file)) reads.push(...relative(isObject(envFile) ? envFile.path : envFile))
    for (const labelFile of asList(service.label_file)) reads.push(...relative(labelFile))
    if (isObject(service.extends)) follow(service.extends.file)
  }
  for (const entry of asArray(document.include)) {
    const definition = isObject(entry) ? entry : {path: entry}
    if (definition.project_directory !== undefined) throw new Unknowable('include with project_directory')
    const included = asList(definition.path).filter((value): value is string => typeof value === 'string' && !isRemote(value))
    for (const target of included) follow(target)
    for (const envFile of asList(definition.env_file)) reads.push(...relative(envFile))
    // An included project reads the .env beside its first file unless it names its env files.
    if (included.length > 0 && definition.env_file === undefined) reads.push(...relative(path.posix.join(path.posix.dirname(included[0]!), '.env')))
  }
  return reads
}

/** `include:` may name a git repository or an OCI artifact: nothing of this repository. */
function isRemote(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.startsWith('git@') || value.startsWith('oci:')
}

/** `file` relative to the repository root, as a POSIX path without "." or ".." steps; '' for the root, null outside the repository. */
function normalize(file: string): string | null {
  const normalized = path.posix.normalize(file.replaceAll('\\', '/')).replace(/\/+$/, '')
  if (normalized === '.' || normalized === '') return ''
  if (path.posix.isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../')) return null
  return normalized
}

function insideCheckout(file: string, checkoutDir: string): string | null {
  const relative = path.relative(checkoutDir, file)
  if (path.isAbsolute(relative) || relative === '..' || relative.startsWith(`..${path.sep}`)) return null
  return normalize(relative.split(path.sep).join('/'))
}

/** The paths in code-unit order, without those inside another one of them. */
function outermost(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort(byCodeUnits)
  return sorted.filter((candidate) => !sorted.some((other) => other !== candidate && candidate.startsWith(`${other}/`)))
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
