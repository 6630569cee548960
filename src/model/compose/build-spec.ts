import {createHash} from 'node:crypto'
import path from 'node:path'

import {isInGitDirectory} from '../config/repository-limits.js'
import {InvalidConfigError, quoted} from '../errors.js'
import {LABELS} from './labels.js'
import {byCodeUnits} from './text-order.js'

/**
 * What kedge builds a service's image from, as `compose config` resolved its `build:` section, with every
 * path relative to the repository root (POSIX separators; '' is the root). Pure: the use case reads the
 * files and asks git for their ids (usecases/deploying/build-tags.ts).
 */
export interface BuildSource {
  service: string
  context: string
  /** The Dockerfile; null when the compose file gives its text (`dockerfile_inline`). */
  dockerfile: string | null
  dockerfileInline: string | null
  /** `NAME=value`, sorted; arguments without a value are left out, as Compose v2 leaves them out. */
  args: string[]
  target: string | null
  /** The service's `platform` and the build's `platforms`, sorted. */
  platforms: string[]
  /** Named contexts beside the main one (`additional_contexts`), sorted by name. */
  additionalContexts: Array<{name: string; path: string}>
}

/** What identifies the content a build reads: each directory's git tree id, and a digest of the Dockerfile's text. */
export interface BuildContent {
  /** The git tree id of each directory of the source (the context and the additional contexts), by its path. */
  treeIds: ReadonlyMap<string, string>
  /** The SHA-256 of the Dockerfile's text (the file's or the inline one). */
  dockerfileDigest: string
}

/** Every image kedge builds is named under this repository prefix, so that it can never be taken for one of a registry. */
export const BUILT_IMAGE_PREFIX = 'kedge-build/'

/** The labels kedge puts on the images it builds, to find them again (prune): the project's and the service's are those of its containers. */
export const BUILD_LABELS = {
  builtBy: 'io.kedge.built-by',
  project: LABELS.project,
  service: LABELS.service,
} as const

/** A tag kedge derives (builtImageTag): what a snapshot read back from the database may hold. */
const BUILT_IMAGE_TAG = /^kedge-build\/[a-z0-9]+(?:-[a-z0-9]+)*:[0-9a-f]{16}$/

/** Build options that would let a build read the host beyond the repository: a secret's file or variable, the ssh agent or a key file, a local cache directory. */
const HOST_READING_OPTIONS: Record<string, string> = {
  secrets: 'a build secret is a file or a variable of the host',
  ssh: 'ssh forwards the agent or a key file of the host',
  cache_to: 'a cache export writes to the host or a registry',
}

type Json = Record<string, unknown>

/**
 * The build source of a service, or a one-line refusal naming it (invalid_config): a context, Dockerfile
 * or additional context that leaves the repository (`../..`, an absolute path elsewhere), a URL or git
 * context, or a build option that reads the host. `build` is the service's `build` as `compose config`
 * printed it (its local paths absolute, inside `checkoutDir`); `shownFiles` names the compose files.
 */
export function readBuildSource(service: {name: string; build: unknown; platform: unknown}, checkoutDir: string, shownFiles: string): BuildSource {
  const field = (key?: string) => `services.${service.name}.build${key ? `.${key}` : ''}`
  const refuse = (key: string | undefined, detail: string, hint = 'kedge builds only from directories of the repository') => new InvalidConfigError(shownFiles, field(key), detail, {hint})
  const build: Json = typeof service.build === 'string' ? {context: service.build} : isRecord(service.build) ? service.build : {}
  for (const [key, why] of Object.entries(HOST_READING_OPTIONS)) {
    if (build[key] !== undefined && !isEmpty(build[key])) throw refuse(key, `is not supported: ${why}`, 'leave it out: kedge builds from the repository alone')
  }
  for (const entry of asList(build.cache_from)) {
    if (typeof entry === 'string' && /(^|,)\s*type\s*=\s*local\b/.test(entry)) throw refuse('cache_from', 'type=local is not supported: it reads a directory of the host', 'leave it out, or name an image')
  }
  const inside = (key: string, value: unknown): string => {
    if (typeof value !== 'string' || value === '') throw refuse(key, 'is not given')
    if (!path.isAbsolute(value)) throw refuse(key, `${quoted(value)} is not a directory of the repository: kedge does not build from a URL or a git repository`)
    const relative = toPosix(path.relative(checkoutDir, value))
    if (relative === '..' || relative.startsWith('../') || path.isAbsolute(relative)) throw refuse(key, `${quoted(shownPath(checkoutDir, value))} leads outside the repository`)
    if (isInGitDirectory(relative)) throw refuse(key, `${quoted(relative)} is inside .git, which kedge does not read`)
    return relative
  }
  const context = inside('context', build.context)
  const inline = typeof build.dockerfile_inline === 'string' ? build.dockerfile_inline : null
  const dockerfile = inline === null ? inside('dockerfile', path.resolve(path.join(checkoutDir, context), typeof build.dockerfile === 'string' && build.dockerfile !== '' ? build.dockerfile : 'Dockerfile')) : null
  const additionalContexts = namedEntries(build.additional_contexts)
    .map(([name, value]) => ({name, path: inside(`additional_contexts.${name}`, value)}))
    .sort((a, b) => byCodeUnits(a.name, b.name))
  const platforms = [...new Set([...(typeof service.platform === 'string' && service.platform !== '' ? [service.platform] : []), ...asList(build.platforms).filter((entry): entry is string => typeof entry === 'string')])].sort(byCodeUnits)
  return {
    service: service.name,
    context,
    dockerfile,
    dockerfileInline: inline,
    args: buildArgsOf(build.args),
    target: typeof build.target === 'string' && build.target !== '' ? build.target : null,
    platforms,
    additionalContexts,
  }
}

/** The directories whose git tree ids the tag is made of. */
export function sourceDirectories(source: BuildSource): string[] {
  return [...new Set([source.context, ...source.additionalContexts.map((entry) => entry.path)])]
}

/**
 * The tag kedge builds a service's image under: `kedge-build/<project>-<service>:<16 hex>`, the hex the
 * start of the SHA-256 of what the build reads (the context's tree id, the Dockerfile's text, the
 * arguments, the target, the platforms, the additional contexts' tree ids). The same content always
 * has the same tag, so an unchanged context is never built again, and a changed one always is.
 */
export function builtImageTag(project: string, source: BuildSource, content: BuildContent): string {
  const tree = (directory: string) => content.treeIds.get(directory) ?? 'untracked'
  const inputs = {
    format: 1,
    // The exact name: two services whose names sanitize alike keep tags of their own.
    service: source.service,
    context: tree(source.context),
    dockerfile: content.dockerfileDigest,
    args: source.args,
    target: source.target,
    platforms: source.platforms,
    additionalContexts: source.additionalContexts.map((entry) => [entry.name, tree(entry.path)]),
  }
  const digest = createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16)
  return `${BUILT_IMAGE_PREFIX}${referenceComponent(`${project}-${source.service}`)}:${digest}`
}

/** Whether a snapshot's tag is one kedge derives: anything else is not used as an image reference. */
export function isBuiltImageTag(tag: unknown): tag is string {
  return typeof tag === 'string' && BUILT_IMAGE_TAG.test(tag)
}

/** The labels of an image kedge builds for a service (see BUILD_LABELS). */
export function builtImageLabels(input: {repository: string; project: string; service: string}): Record<string, string> {
  return {[BUILD_LABELS.builtBy]: input.repository, [BUILD_LABELS.project]: input.project, [BUILD_LABELS.service]: input.service}
}

/** The SHA-256 of a Dockerfile's text, as builtImageTag takes it. */
export function dockerfileDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/**
 * A name Docker takes as one component of a repository: lower-case letters and digits joined by single
 * hyphens (a Compose service may hold capitals, dots and underscores), at most 100 characters.
 */
function referenceComponent(name: string): string {
  const sanitized = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 100)
    .replace(/^-+|-+$/g, '')
  return sanitized === '' ? 'service' : sanitized
}

/** v1 prints an argument without a value as "", v2 leaves it out: both are left out. */
function buildArgsOf(value: unknown): string[] {
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.filter((entry): entry is string => typeof entry === 'string' && entry.includes('=')).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)])
    : isRecord(value)
      ? Object.entries(value)
      : []
  return entries
    .filter(([, item]) => item !== null && item !== undefined && item !== '')
    .map(([name, item]) => `${name}=${typeof item === 'string' ? item : JSON.stringify(item)}`)
    .sort(byCodeUnits)
}

/** A mapping, or a list of `name=value`, as Compose takes additional contexts. */
function namedEntries(value: unknown): Array<[string, unknown]> {
  if (isRecord(value)) return Object.entries(value)
  return asList(value)
    .filter((entry): entry is string => typeof entry === 'string')
    .map((entry) => [entry.slice(0, Math.max(entry.indexOf('='), 0)), entry.slice(entry.indexOf('=') + 1)])
}

function shownPath(checkoutDir: string, value: string): string {
  return toPosix(path.relative(checkoutDir, value))
}

function toPosix(relative: string): string {
  return relative.split(path.sep).join('/')
}

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

function isEmpty(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (isRecord(value) && Object.keys(value).length === 0)
}
