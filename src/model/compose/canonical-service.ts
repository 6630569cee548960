import {device, fileReference, ports, volumes, volumesFromEntry} from './canonical-mounts.js'
import {
  asList,
  byteSize,
  commandWords,
  durationMs,
  equalsNumber,
  extraHosts,
  healthcheck,
  isEmpty,
  isRecord,
  numberIfNumeric,
  scalarText,
  stringList,
  stringMap,
  type Json,
} from './canonical-values.js'
import {byCodeUnits} from './text-order.js'

/**
 * One service of `compose config` brought to a single form, whichever Compose printed it: v1
 * (`docker-compose` 1.29, Python) keeps much of the user's text ("8080:80", "data:/data:rw", "90s",
 * a command string), v2 (`docker compose`, Go) prints typed objects and fills in defaults. kedge
 * hashes the result, so a difference that only comes from the Compose version must vanish here, while
 * every setting the user made must survive. Pure: no I/O, the input is not modified.
 * Ports, volumes and other mounts are in canonical-mounts.ts, single values and shared helpers in
 * canonical-values.ts.
 */

export function canonicalService(service: Record<string, unknown>): Record<string, unknown> {
  const result: Json = {...service}
  for (const [key, normalize] of Object.entries(NORMALIZERS)) {
    if (result[key] !== undefined && result[key] !== null) result[key] = normalize(result[key])
  }
  result.depends_on = dependencies(service)
  moveScaleIntoDeploy(result)
  return dropEmptyDefaults(result)
}

const NORMALIZERS: Record<string, (value: unknown) => unknown> = {
  command: commandWords,
  entrypoint: commandWords,
  healthcheck,
  stop_grace_period: durationMs,
  environment: (value) => stringMap(value, null),
  labels: (value) => stringMap(value, ''),
  sysctls: (value) => stringMap(value, ''),
  extra_hosts: extraHosts,
  build,
  expose: (value) => stringList(value).sort(byCodeUnits),
  ports,
  volumes,
  volumes_from: (value) => stringList(value).map(volumesFromEntry),
  networks,
  devices: (value) => asList(value).map(device),
  secrets: (value) => asList(value).map((reference) => fileReference(reference, (source) => `/run/secrets/${source}`)),
  configs: (value) => asList(value).map((reference) => fileReference(reference, (source) => `/${source}`)),
  logging,
  deploy,
  blkio_config: blkioConfig,
  pull_policy,
  group_add: stringList,
  dns: stringList,
  dns_search: stringList,
  dns_opt: stringList,
  tmpfs: stringList,
  cap_add: stringList,
  cap_drop: stringList,
  security_opt: stringList,
  links: stringList,
  external_links: stringList,
  profiles: stringList,
  cpus: numberIfNumeric,
  mem_limit: byteSize,
  memswap_limit: byteSize,
  mem_reservation: byteSize,
  mem_swappiness: byteSize,
  shm_size: byteSize,
  // v2 merges env_file into `environment` (so does v1) and drops the key; the file's content is already
  // in `environment`, and compose-model hashes the file itself by its git object id.
  env_file: () => undefined,
}

// ---------------------------------------------------------------------------------------------------
// depends_on, networks

/**
 * `depends_on` as a map `{condition, restart?: true, required?: false}`. v2 adds `required: true`, and
 * adds the dependencies that links, `service:` namespaces and volumes_from imply; v1 prints neither, so
 * they are derived here the way v2 derives them (an explicit entry wins; links and namespaces restart
 * with their dependency, volumes_from does not).
 */
function dependencies(service: Json): unknown {
  const declared = service.depends_on
  const result: Record<string, Json> = {}
  if (Array.isArray(declared)) for (const name of declared.map(scalarText)) result[name] = {}
  else if (isRecord(declared)) for (const [name, condition] of Object.entries(declared)) result[name] = isRecord(condition) ? {...condition} : {}
  else if (declared !== undefined && declared !== null) return declared

  const implied = (name: string, restart: boolean): void => {
    if (name !== '' && !(name in result)) result[name] = restart ? {restart: true} : {}
  }
  for (const link of stringList(service.links ?? [])) implied(link.split(':')[0]!, true)
  for (const key of ['network_mode', 'ipc', 'pid', 'uts', 'cgroup']) {
    const namespace = service[key]
    if (typeof namespace === 'string' && namespace.startsWith('service:')) implied(namespace.slice('service:'.length), true)
  }
  for (const entry of stringList(service.volumes_from ?? [])) {
    if (!entry.startsWith('container:')) implied(volumesFromEntry(entry).split(':')[0]!, false)
  }

  for (const dependency of Object.values(result)) {
    dependency.condition ??= 'service_started'
    if (dependency.required === true) delete dependency.required
    if (dependency.restart === false) delete dependency.restart
  }
  return Object.keys(result).length === 0 ? undefined : result
}

/**
 * Networks as a map of name to settings or null. v2 adds `{default: null}` to a service without
 * networks or network_mode, which is what Compose does for v1 too: that alone means no setting.
 */
function networks(value: unknown): unknown {
  let result: Record<string, unknown>
  if (Array.isArray(value)) result = Object.fromEntries(value.map((name) => [scalarText(name), null]))
  else if (isRecord(value)) result = Object.fromEntries(Object.entries(value).map(([name, settings]) => [name, networkSettings(settings)]))
  else return value
  const names = Object.keys(result)
  return names.length === 1 && names[0] === 'default' && result.default === null ? undefined : result
}

function networkSettings(settings: unknown): unknown {
  if (!isRecord(settings)) return null
  const result = Object.fromEntries(Object.entries(settings).filter(([, item]) => !isEmpty(item)))
  return Object.keys(result).length === 0 ? null : result
}

// ---------------------------------------------------------------------------------------------------
// build, deploy and the rest

function build(value: unknown): unknown {
  if (typeof value === 'string') return {context: value}
  if (!isRecord(value)) return value
  const result: Json = {...value}
  if (result.dockerfile === 'Dockerfile') delete result.dockerfile
  const args = stringMap(result.args, null)
  // v1 prints a valueless build argument (`- VERSION` with no such variable set) as "", v2 leaves it
  // out: the two cannot be told from an argument set to "" by the user, so empty arguments go.
  result.args = isRecord(args) ? Object.fromEntries(Object.entries(args).filter(([, item]) => item !== null && item !== '')) : args
  if (result.labels !== undefined) result.labels = stringMap(result.labels, '')
  if (result.extra_hosts !== undefined) result.extra_hosts = extraHosts(result.extra_hosts)
  if (result.shm_size !== undefined) result.shm_size = byteSize(result.shm_size)
  return pruneEmpty(result)
}

function deploy(value: unknown): unknown {
  if (!isRecord(value)) return value
  const result: Json = {...value}
  if (isRecord(result.resources)) {
    const resources: Json = {...result.resources}
    for (const kind of ['limits', 'reservations']) {
      const limits = resources[kind]
      if (!isRecord(limits)) continue
      const normalized: Json = {...limits}
      if (normalized.cpus !== undefined) normalized.cpus = numberIfNumeric(normalized.cpus)
      if (normalized.memory !== undefined) normalized.memory = byteSize(normalized.memory)
      resources[kind] = normalized
    }
    result.resources = resources
  }
  if (isRecord(result.restart_policy)) {
    result.restart_policy = {...result.restart_policy, ...durationsOf(result.restart_policy, ['delay', 'window'])}
  }
  for (const key of ['update_config', 'rollback_config']) {
    const config = result[key]
    if (!isRecord(config)) continue
    const durations = durationsOf(config, ['delay', 'monitor'])
    // Not pointers in v2's model: a zero delay or monitor is not printed.
    for (const [name, duration] of Object.entries(durations)) if (equalsNumber(duration, 0)) durations[name] = undefined
    result[key] = {...config, ...durations}
  }
  if (result.labels !== undefined) result.labels = stringMap(result.labels, '')
  return pruneEmpty(result)
}

function durationsOf(config: Json, keys: string[]): Json {
  return Object.fromEntries(keys.filter((key) => config[key] !== undefined).map((key) => [key, durationMs(config[key])]))
}

/** v1 prints the byte rates it parsed as numbers, v2 as strings. */
function blkioConfig(value: unknown): unknown {
  if (!isRecord(value)) return value
  const result: Json = {...value}
  for (const key of ['device_read_bps', 'device_write_bps', 'device_read_iops', 'device_write_iops']) {
    const limits = result[key]
    if (Array.isArray(limits)) result[key] = limits.map((limit) => (isRecord(limit) ? {...limit, rate: byteSize(limit.rate)} : limit))
  }
  return result
}

function logging(value: unknown): unknown {
  if (!isRecord(value) || value.options === undefined || value.options === null) return value
  return {...value, options: stringMap(value.options, '')}
}

/** v2 renamed `if_not_present` to its newer name. */
function pull_policy(value: unknown): unknown {
  return value === 'if_not_present' ? 'missing' : value
}

/** v2 writes both `scale` and `deploy.replicas` to one place; one replica is the default. */
function moveScaleIntoDeploy(service: Json): void {
  const deployment: Json = isRecord(service.deploy) ? {...service.deploy} : {}
  const replicas = deployment.replicas ?? service.scale
  delete service.scale
  if (replicas === undefined || replicas === null || equalsNumber(replicas, 1)) delete deployment.replicas
  else deployment.replicas = replicas
  service.deploy = Object.keys(deployment).length === 0 ? undefined : deployment
}

// ---------------------------------------------------------------------------------------------------
// defaults v2 leaves out

/** Booleans and numbers v2 does not print when false or zero (they are not pointers in its model). */
const FALSE_BY_DEFAULT = new Set(['privileged', 'read_only', 'stdin_open', 'tty', 'oom_kill_disable'])
const ZERO_BY_DEFAULT = new Set([
  'cpu_count',
  'cpu_percent',
  'cpu_period',
  'cpu_quota',
  'cpu_rt_period',
  'cpu_rt_runtime',
  'cpu_shares',
  'cpus',
  'mem_limit',
  'mem_reservation',
  'mem_swappiness',
  'memswap_limit',
  'oom_score_adj',
  'pids_limit',
  'shm_size',
])
/** An empty command or entrypoint overrides the image's and is kept; other empty values mean nothing. */
const EMPTY_MEANINGFUL = new Set(['command', 'entrypoint'])

/** v1 prints `tty: false`, `cap_add: []`, `hostname: ''` as written; v2 leaves them out. */
function dropEmptyDefaults(service: Json): Json {
  return Object.fromEntries(
    Object.entries(service).filter(([key, value]) => {
      if (value === undefined || value === null) return false
      if (EMPTY_MEANINGFUL.has(key)) return true
      if (value === '' || isEmpty(value)) return false
      if (value === false && FALSE_BY_DEFAULT.has(key)) return false
      return !(equalsNumber(value, 0) && ZERO_BY_DEFAULT.has(key))
    }),
  )
}

/** Drops empty lists and maps from a map, deeply. */
function pruneEmpty(value: Json): Json {
  const result: Json = {}
  for (const [key, item] of Object.entries(value)) {
    const pruned = isRecord(item) ? pruneEmpty(item) : item
    if (pruned !== undefined && !isEmpty(pruned)) result[key] = pruned
  }
  return result
}
