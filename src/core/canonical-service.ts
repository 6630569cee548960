import {byCodeUnits} from './text-order.js'

/**
 * One service of `compose config` brought to a single form, whichever Compose printed it: v1
 * (`docker-compose` 1.29, Python) keeps much of the user's text ("8080:80", "data:/data:rw", "90s",
 * a command string), v2 (`docker compose`, Go) prints typed objects and fills in defaults. kedge
 * hashes the result, so a difference that only comes from the Compose version must vanish here, while
 * every setting the user made must survive. Pure: no I/O, the input is not modified.
 */

type Json = Record<string, unknown>

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
// command, entrypoint, healthcheck

/** v1 keeps a command string; v2 splits it. The words are those the container gets (see splitWords). */
function commandWords(value: unknown): unknown {
  if (typeof value === 'string') return splitWords(value) ?? value
  if (Array.isArray(value)) return value.map(scalarText)
  return value
}

/**
 * Splits a command line as Python's `shlex.split` does: docker-py splits v1's command strings so before
 * it creates the container. v2 splits with Go's shellwords, which agrees on quotes, backslashes and
 * blanks, but stops at an unquoted `;`, `&`, `|`, `<` or `>` and keeps `$(...)` and backquotes as one
 * word. For those lines the two versions start different commands, and the forms rightly differ.
 * Null for a line shlex rejects (an open quote, a trailing backslash): docker-py would reject it too.
 */
export function splitWords(line: string): string[] | null {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote: '"' | "'" | null = null
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!
    if (quote === "'") {
      if (char === "'") quote = null
      else word += char
    } else if (quote === '"') {
      if (char === '"') quote = null
      else if (char === '\\') {
        const next = line[++index]
        if (next === undefined) return null
        // Inside double quotes a backslash escapes only a quote or itself, as in a POSIX shell.
        word += next === '"' || next === '\\' ? next : `\\${next}`
      } else word += char
    } else if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      inWord = true
      if (char === '"' || char === "'") quote = char
      else if (char === '\\') {
        const next = line[++index]
        if (next === undefined) return null
        word += next
      } else word += char
    }
  }
  if (quote) return null
  if (inWord) words.push(word)
  return words
}

const DURATION_KEYS = ['interval', 'timeout', 'start_period', 'start_interval'] as const

function healthcheck(value: unknown): unknown {
  if (!isRecord(value)) return value
  const result: Json = {...value}
  // A string test runs in a shell: docker-py and v2 both turn it into CMD-SHELL.
  if (typeof result.test === 'string') result.test = ['CMD-SHELL', result.test]
  else if (Array.isArray(result.test)) result.test = result.test.map(scalarText)
  // v1 prints `disable: true` as the test Docker gets for it, ["NONE"]; v2 keeps `disable`.
  if (result.disable === true) result.test = ['NONE']
  delete result.disable
  for (const key of DURATION_KEYS) if (result[key] !== undefined) result[key] = durationMs(result[key])
  return result
}

// ---------------------------------------------------------------------------------------------------
// durations and sizes

const NANOSECONDS: Record<string, number> = {ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9}

/** A duration as milliseconds. v1 keeps the user's text ("90s", "1500ms", "0h"); v2 prints Go's ("1m30s"). */
function durationMs(value: unknown): unknown {
  if (typeof value !== 'string') return value
  const nanoseconds = parseDuration(value)
  return nanoseconds === null ? value : nanoseconds / 1e6
}

/** Go's time.ParseDuration, to whole nanoseconds. */
export function parseDuration(text: string): number | null {
  const match = /^([-+]?)((?:\d*\.?\d*[a-zµμ]+)+|0)$/.exec(text)
  if (!match) return null
  const sign = match[1] === '-' ? -1 : 1
  if (match[2] === '0') return 0
  let total = 0
  for (const part of match[2]!.matchAll(/(\d*)(?:\.(\d*))?([a-zµμ]+)/g)) {
    const [, whole = '', fraction = '', unit = ''] = part
    const scale = NANOSECONDS[unit]
    if (scale === undefined || (whole === '' && fraction === '')) return null
    total += Number(whole || '0') * scale
    // The fraction as an integer over a power of ten, so that "1.1s" is exactly 1100000000 ns.
    if (fraction !== '') total += Math.trunc((Number(fraction) * scale) / 10 ** fraction.length)
  }
  return sign * total
}

/**
 * A size in bytes, as v2 prints it (go-units RAMInBytes: binary multiples, "1g", "512m", "1gb", "64M").
 * v1 keeps the user's text. Text that is no size stays as it is.
 */
function byteSize(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value)
  if (typeof value !== 'string') return value
  const match = /^(-?\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(value.trim())
  if (!match) return value
  const power = match[2] ? 'kmgtp'.indexOf(match[2].toLowerCase()) + 1 : 0
  return Math.trunc(Number(match[1]) * 1024 ** power)
}

function numberIfNumeric(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value)
  return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value
}

// ---------------------------------------------------------------------------------------------------
// maps and lists of text

/**
 * A list ("KEY=value", "KEY") or a map with any scalar values, as a map of strings. v1 prints numbers
 * (`PORT: 5`), v2 strings (`PORT: "5"`). `valueless` is what an entry without "=" or a null value
 * means: null (an unset variable) for environment, "" for labels (v2 prints `label: ""` for `label:`).
 */
function stringMap(value: unknown, valueless: string | null): unknown {
  if (Array.isArray(value)) {
    const result: Record<string, string | null> = {}
    for (const entry of value.map(scalarText)) {
      const equals = entry.indexOf('=')
      if (equals < 0) result[entry] = valueless
      else result[entry.slice(0, equals)] = entry.slice(equals + 1)
    }
    return result
  }
  if (!isRecord(value)) return value
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, item === null || item === undefined ? valueless : scalarText(item)]))
}

/** `extra_hosts` as sorted "host=ip" lines. v1 prints the user's list ("host:ip") or map; v2 sorted "host=ip". */
function extraHosts(value: unknown): unknown {
  const lines: string[] = []
  if (Array.isArray(value)) {
    for (const entry of value.map(scalarText)) {
      // "host=ip", or the older "host:ip" where the IP (IPv6 too) follows the first colon.
      const separator = entry.includes('=') ? entry.indexOf('=') : entry.indexOf(':')
      lines.push(separator < 0 ? entry : hostLine(entry.slice(0, separator), entry.slice(separator + 1)))
    }
  } else if (isRecord(value)) {
    for (const [host, addresses] of Object.entries(value)) {
      for (const address of Array.isArray(addresses) ? addresses : [addresses]) lines.push(hostLine(host, scalarText(address)))
    }
  } else return value
  return lines.sort(byCodeUnits)
}

function hostLine(host: string, address: string): string {
  return `${host}=${withoutBrackets(address)}`
}

/** A string or list as a list of strings (`dns: 8.8.8.8` is a list of one for both versions). */
function stringList(value: unknown): string[] {
  return asList(value).map(scalarText)
}

// ---------------------------------------------------------------------------------------------------
// ports

/**
 * Ports as objects `{target, published?, protocol, mode, host_ip?}`, sorted. v1 prints short strings
 * when a host IP is set ("127.0.0.1:9000:9000/udp", "::1:81:81/tcp") and objects with a numeric
 * `published` otherwise; v2 prints objects with `published` as a string and fills protocol and mode.
 */
function ports(value: unknown): unknown {
  if (!Array.isArray(value)) return value
  const entries = value.flatMap((entry): unknown[] => (typeof entry === 'string' || typeof entry === 'number' ? portsFromText(String(entry)) : [entry]))
  return sortedByContent(entries.map(portObject))
}

function portObject(entry: unknown): unknown {
  if (!isRecord(entry)) return entry
  const result: Json = {...entry, protocol: entry.protocol ?? 'tcp', mode: entry.mode ?? 'ingress'}
  result.target = numberIfNumeric(entry.target)
  const published = entry.published === undefined || entry.published === null ? '' : scalarText(entry.published)
  if (published === '') delete result.published
  else result.published = published
  if (typeof entry.host_ip === 'string' && entry.host_ip !== '') result.host_ip = withoutBrackets(entry.host_ip)
  else delete result.host_ip
  return result
}

/** "[host_ip:][published:]target[/protocol]", where the host IP may be IPv6 with or without brackets and ports may be ranges. */
function portsFromText(text: string): Json[] {
  const slash = text.lastIndexOf('/')
  const protocol = slash < 0 ? 'tcp' : text.slice(slash + 1)
  const rest = slash < 0 ? text : text.slice(0, slash)
  const lastColon = rest.lastIndexOf(':')
  const target = rest.slice(lastColon + 1)
  const head = lastColon < 0 ? null : rest.slice(0, lastColon)
  const colon = head === null ? -1 : head.lastIndexOf(':')
  const published = head === null ? '' : head.slice(colon + 1)
  const hostIp = head === null || colon < 0 ? '' : head.slice(0, colon)
  const base: Json = {protocol, ...(hostIp === '' ? {} : {host_ip: hostIp})}

  // Like v2, a range of targets becomes one entry per port; a range of published ports for one target stays.
  const targets = portRange(target)
  const publishedPorts = portRange(published)
  if (targets && targets.length > 1) {
    return targets.map((port, index) => ({
      ...base,
      target: port,
      ...(publishedPorts ? {published: String(publishedPorts[index] ?? publishedPorts[0])} : {}),
    }))
  }
  return [{...base, target: targets?.[0] ?? target, ...(published === '' ? {} : {published})}]
}

function portRange(text: string): number[] | null {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text)
  if (!match) return null
  const first = Number(match[1])
  const last = match[2] === undefined ? first : Number(match[2])
  return last < first ? null : Array.from({length: last - first + 1}, (_, index) => first + index)
}

// ---------------------------------------------------------------------------------------------------
// volumes

const PROPAGATIONS = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'])

/**
 * Volumes as objects without defaults. v1 prints short syntax as "source:target:mode" strings, v2 as
 * objects with `bind.create_host_path: true` (implied by the short syntax) and an empty `volume: {}`.
 */
function volumes(value: unknown): unknown {
  if (!Array.isArray(value)) return value
  return value.map((entry) => volumeObject(typeof entry === 'string' ? volumeFromText(entry) : entry))
}

/** Parses short syntax as v2 does: "ro", "rw", "nocopy", SELinux and propagation options; others (cached, delegated) are ignored. */
function volumeFromText(text: string): Json {
  const parts = text.split(':')
  let source: string | undefined
  let target: string
  let mode = ''
  if (parts.length === 1) target = parts[0]!
  else if (parts.length === 2 && !parts[1]!.startsWith('/')) [target, mode] = [parts[0]!, parts[1]!]
  else [source, target, mode] = [parts[0]!, parts[1]!, parts.slice(2).join(':')]

  const volume: Json = {type: source !== undefined && /^[./~]/.test(source) ? 'bind' : 'volume', target}
  if (source !== undefined && source !== '') volume.source = source
  const bind: Json = {}
  for (const option of mode.split(',')) {
    if (option === 'ro') volume.read_only = true
    else if (option === 'nocopy') volume.volume = {nocopy: true}
    else if (option === 'z' || option === 'Z') bind.selinux = option
    else if (PROPAGATIONS.has(option)) bind.propagation = option
  }
  if (Object.keys(bind).length > 0) volume.bind = bind
  return volume
}

function volumeObject(entry: unknown): unknown {
  if (!isRecord(entry)) return entry
  const result: Json = {...entry}
  if (result.read_only !== true) delete result.read_only
  if (result.source === '' || result.source === null) delete result.source
  if (isRecord(result.bind)) result.bind = withoutDefaults(result.bind, {create_host_path: true})
  if (isRecord(result.volume)) result.volume = withoutDefaults(result.volume, {nocopy: false})
  if (isRecord(result.tmpfs)) {
    const tmpfs: Json = {...result.tmpfs}
    if (tmpfs.size !== undefined) tmpfs.size = byteSize(tmpfs.size)
    if (tmpfs.mode !== undefined) tmpfs.mode = numberIfNumeric(tmpfs.mode)
    result.tmpfs = tmpfs
  }
  for (const key of ['bind', 'volume', 'tmpfs']) if (key in result && (result[key] === null || isEmpty(result[key]))) delete result[key]
  return result
}

/** The map without the entries equal to the given defaults. */
function withoutDefaults(value: Json, defaults: Json): Json {
  return Object.fromEntries(Object.entries(value).filter(([key, item]) => item !== defaults[key]))
}

/** v1 prints "service:db:rw", v2 "db": the service prefix and the default mode rw go. */
function volumesFromEntry(entry: string): string {
  const withoutPrefix = entry.startsWith('service:') ? entry.slice('service:'.length) : entry
  return withoutPrefix.endsWith(':rw') ? withoutPrefix.slice(0, -':rw'.length) : withoutPrefix
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

/** "source[:target[:permissions]]" (v1) or `{source, target, permissions}` (v2), with the defaults filled in. */
function device(value: unknown): unknown {
  if (isRecord(value)) return deviceObject(value, value.source, value.target, value.permissions)
  if (typeof value !== 'string') return value
  // Both docker-py and v2 take a second part as the target, even "rwm" in "/dev/sda:rwm".
  const [source, target, permissions] = value.split(':')
  return deviceObject({}, source, target, permissions)
}

function deviceObject(value: Json, source: unknown, target: unknown, permissions: unknown): Json {
  return {...value, source, target: target || source, permissions: permissions || 'rwm'}
}

/** A secret or config reference as an object, without the default target v2 fills in for secrets. */
function fileReference(reference: unknown, defaultTarget: (source: string) => string): unknown {
  if (typeof reference === 'string') return {source: reference}
  if (!isRecord(reference)) return reference
  const result: Json = {...reference}
  if (typeof result.source === 'string' && result.target === defaultTarget(result.source)) delete result.target
  for (const key of ['uid', 'gid']) if (result[key] !== undefined) result[key] = scalarText(result[key])
  return result
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

// ---------------------------------------------------------------------------------------------------
// helpers

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function isEmpty(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (isRecord(value) && Object.keys(value).length === 0)
}

function asList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value
  return value === undefined || value === null ? [] : [value]
}

/** A scalar as the text Compose passes on: v1 prints numbers where v2 prints strings. */
function scalarText(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  return value === null || value === undefined ? '' : JSON.stringify(value)
}

/** Also true for a bigint, which a caller parsing with the `yaml` option `intAsBigInt` gets for every integer. */
function equalsNumber(value: unknown, number: number): boolean {
  return (typeof value === 'number' || typeof value === 'bigint') && Number(value) === number
}

function withoutBrackets(address: string): string {
  return address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address
}

/** Sorts by a rendering with ordered keys, so that order in the file does not matter. */
function sortedByContent(items: unknown[]): unknown[] {
  return items
    .map((item) => ({item, key: orderedText(item)}))
    .sort((a, b) => byCodeUnits(a.key, b.key))
    .map(({item}) => item)
}

function orderedText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(orderedText).join(',')}]`
  if (isRecord(value)) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined)
    entries.sort(([a], [b]) => byCodeUnits(a, b))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${orderedText(item)}`).join(',')}}`
  }
  return typeof value === 'bigint' ? value.toString() : JSON.stringify(value)
}
