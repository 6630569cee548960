import {createHash} from 'node:crypto'
import path from 'node:path'

import {parse as parseYaml} from 'yaml'
import {canonicalService} from './canonical-service.js'
import {byCodeUnits} from './text-order.js'

/** A service as `compose config` resolved it, reduced to what kedge plans and hashes with. */
export interface ComposeService {
  name: string
  image: string | null
  build: boolean
  /** The `build:` section as `compose config` printed it (local paths absolute) with the service's `platform`; null without one. See build-spec.ts. */
  buildDeclaration: {build: unknown; platform: unknown} | null
  replicas: number
  /**
   * A job meant to run to completion: another service waits for it with `depends_on: {condition:
   * service_completed_successfully}`, Compose's own way of saying so. (An exit code alone cannot tell a
   * finished job from a service stopped by hand, which exits 0 too.)
   */
  oneShot: boolean
  /**
   * The resolved configuration in one form whichever Compose version printed it (see canonicalService),
   * with the checkout's path replaced, so it hashes the same wherever and by whichever Compose it was read.
   */
  normalizedConfig: unknown
  /** The resolved configuration as this Compose version printed it, checkout path replaced: what kedge hashed before it normalised. */
  printedConfig: unknown
  /** Services whose namespaces this one joins (`network_mode`, `ipc` or `pid` set to `service:<name>`). */
  joins: string[]
  /** Files and directories of the repository the service reads (bind mounts, env files, file configs), relative to its root. */
  repositoryPaths: string[]
  /** Those of repositoryPaths the running container sees (bind mounts, file configs and secrets), unlike env files, which only creating it reads. */
  mountedPaths: string[]
  /** `x-kedge: {on_file_change: ...}` as the compose files give it, unvalidated (see file-change.ts); null when absent. */
  onFileChange: unknown
}

type Json = Record<string, unknown>

/**
 * Reads the output of `compose config` (both generations: v1 writes volumes as "src:dst:mode" strings,
 * v2 as objects). `checkoutDir` is the directory the configuration was resolved in.
 */
export function parseComposeConfig(yamlText: string, checkoutDir: string): ComposeService[] {
  // Compose's output holds no duplicate keys, and the parser's check for them is quadratic in a mapping's size.
  const document = (parseYaml(yamlText, {uniqueKeys: false}) ?? {}) as Json
  const services = (document.services ?? {}) as Record<string, Json>
  const topLevelFiles = fileSources(document)
  const jobs = completionDependencies(services)
  return Object.entries(services)
    .map(([name, service]) => {
      const files = referencedFiles(service, topLevelFiles)
      const inCheckout = (list: string[]) => [...new Set(list.flatMap((file) => insideCheckout(file, checkoutDir)))].sort()
      return {
        name,
        image: typeof service.image === 'string' ? service.image : null,
        build: service.build !== undefined,
        buildDeclaration: service.build === undefined ? null : {build: service.build, platform: service.platform},
        replicas: replicasOf(service),
        oneShot: jobs.has(name),
        joins: joinedServices(service),
        normalizedConfig: replacePath(canonicalService(withoutExtension(service)), checkoutDir),
        printedConfig: replacePath(service, checkoutDir),
        repositoryPaths: inCheckout([...files.mounted, ...files.read]),
        mountedPaths: inCheckout(files.mounted),
        onFileChange: onFileChangeOf(service),
      }
    })
    .sort((a, b) => byCodeUnits(a.name, b.name))
}

/**
 * kedge's hash of a service: its resolved configuration plus the git object id of every repository file
 * it reads, so that a changed bind-mounted file changes the hash where Compose's own would not. The
 * replica count is left out, as Compose leaves it out of its own: a new count scales the service, adding
 * or removing containers, and recreates none.
 */
export function serviceHash(service: ComposeService, objectIds: ReadonlyMap<string, string>): string {
  return hashOf(withoutReplicas(service.normalizedConfig), service.repositoryPaths, objectIds)
}

/**
 * The hash for the labels of a service that reloads its mounted files itself (`x-kedge.on_file_change`):
 * its configuration and the files only creating it reads (env files), not the mounted ones, whose
 * change must not recreate it; filesHash covers those.
 */
export function configOnlyHash(service: ComposeService, objectIds: ReadonlyMap<string, string>): string {
  const mounted = new Set(service.mountedPaths)
  return hashOf(withoutReplicas(service.normalizedConfig), service.repositoryPaths.filter((file) => !mounted.has(file)), objectIds)
}

/** The hash of the repository files the service's containers see, by their git object ids. */
export function filesHash(service: ComposeService, objectIds: ReadonlyMap<string, string>): string {
  return hashOf(null, service.mountedPaths, objectIds)
}

/**
 * The hashes older kedge versions gave the same service, which the containers they deployed still carry:
 * before kedge normalised Compose's output (the configuration as printed), and before it left the replica
 * count out. A service whose containers carry one is unchanged, so upgrading kedge recreates nothing.
 */
export function formerServiceHashes(service: ComposeService, objectIds: ReadonlyMap<string, string>): string[] {
  return [hashOf(service.printedConfig, service.repositoryPaths, objectIds), hashOf(service.normalizedConfig, service.repositoryPaths, objectIds)]
}

/**
 * The service as kedge runs it once it built its image under `tag`: the tag is its image, in its
 * configuration too, so that its hash changes with the tag (a changed build context recreates it) and
 * only then. A service without `build:` is never passed here: its hash stays as it was.
 */
export function withBuiltImage(service: ComposeService, tag: string): ComposeService {
  const tagged = (config: unknown) => ({...(config as Json), image: tag})
  return {...service, image: tag, normalizedConfig: tagged(service.normalizedConfig), printedConfig: tagged(service.printedConfig)}
}

function withoutReplicas(config: unknown): unknown {
  const {deploy, ...rest} = config as Json
  if (deploy === null || typeof deploy !== 'object') return config
  const {replicas: _, ...others} = deploy as Json
  return Object.keys(others).length === 0 ? rest : {...rest, deploy: others}
}

function hashOf(config: unknown, paths: readonly string[], objectIds: ReadonlyMap<string, string>): string {
  const files = paths.map((file) => `${file}=${objectIds.get(file) ?? 'untracked'}`)
  return createHash('sha256')
    .update(canonicalJson(config))
    .update('\n')
    .update(files.join('\n'))
    .digest('hex')
    .slice(0, 32)
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Json)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => byCodeUnits(a, b))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** Services another one depends on with `condition: service_completed_successfully`. */
function completionDependencies(services: Record<string, Json>): Set<string> {
  const jobs = new Set<string>()
  for (const service of Object.values(services)) {
    const dependsOn = service.depends_on
    if (!dependsOn || Array.isArray(dependsOn) || typeof dependsOn !== 'object') continue
    for (const [name, condition] of Object.entries(dependsOn as Record<string, Json | null>)) {
      if (condition?.condition === 'service_completed_successfully') jobs.add(name)
    }
  }
  return jobs
}

function joinedServices(service: Json): string[] {
  const joined = ['network_mode', 'ipc', 'pid'].map((key) => service[key]).filter((value): value is string => typeof value === 'string' && value.startsWith('service:'))
  return [...new Set(joined.map((value) => value.slice('service:'.length)))].sort(byCodeUnits)
}

function replicasOf(service: Json): number {
  const deploy = service.deploy as Json | undefined
  const replicas = deploy?.replicas ?? service.scale
  return typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 0 ? replicas : 1
}

/** Top-level `configs:` and `secrets:` that come from files, by kind and name. */
function fileSources(document: Json): Map<string, string> {
  const sources = new Map<string, string>()
  for (const kind of ['configs', 'secrets'] as const) {
    for (const [name, definition] of Object.entries((document[kind] ?? {}) as Record<string, Json | null>)) {
      if (definition && typeof definition.file === 'string') sources.set(`${kind}/${name}`, definition.file)
    }
  }
  return sources
}

/**
 * kedge's own extension, left out of the hash: Compose v1 drops it when it merges several files, v2
 * keeps it, and how kedge reacts to a file's change does not change the container.
 */
function withoutExtension(service: Json): Json {
  if (!('x-kedge' in service)) return service
  const {'x-kedge': _, ...rest} = service
  return rest
}

function onFileChangeOf(service: Json): unknown {
  const extension = service['x-kedge']
  return extension !== null && typeof extension === 'object' ? ((extension as Json).on_file_change ?? null) : null
}

function referencedFiles(service: Json, topLevelFiles: Map<string, string>): {mounted: string[]; read: string[]} {
  const mounted: string[] = []
  const read: string[] = []
  for (const volume of asArray(service.volumes)) {
    if (typeof volume === 'string') {
      const source = volume.split(':')[0]!
      if (path.isAbsolute(source)) mounted.push(source)
    } else if (volume && typeof volume === 'object') {
      const {type, source} = volume as Json
      if ((type === 'bind' || type === undefined) && typeof source === 'string' && path.isAbsolute(source)) mounted.push(source)
    }
  }
  for (const envFile of asArray(service.env_file)) {
    if (typeof envFile === 'string') read.push(envFile)
    else if (envFile && typeof (envFile as Json).path === 'string') read.push((envFile as Json).path as string)
  }
  for (const kind of ['configs', 'secrets'] as const) {
    for (const reference of asArray(service[kind])) {
      const name = typeof reference === 'string' ? reference : ((reference as Json | null)?.source as string | undefined)
      const file = name === undefined ? undefined : topLevelFiles.get(`${kind}/${name}`)
      if (file) mounted.push(file)
    }
  }
  return {mounted, read}
}

function insideCheckout(file: string, checkoutDir: string): string[] {
  const relative = path.relative(checkoutDir, path.resolve(checkoutDir, file))
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? [] : [relative.split(path.sep).join('/')]
}

function replacePath(value: unknown, checkoutDir: string): unknown {
  if (typeof value === 'string') return value.split(checkoutDir).join('.')
  if (Array.isArray(value)) return value.map((item) => replacePath(item, checkoutDir))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Json).map(([key, item]) => [key, replacePath(item, checkoutDir)]))
  }
  return value
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}
