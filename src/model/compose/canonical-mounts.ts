import {byteSize, isEmpty, isRecord, numberIfNumeric, scalarText, sortedByContent, withoutBrackets, type Json} from './canonical-values.js'

/**
 * The forms canonicalService gives what a service mounts or publishes: ports, volumes, volumes_from,
 * devices, and its secret and config references. Pure.
 */

// ---------------------------------------------------------------------------------------------------
// ports

/**
 * Ports as objects `{target, published?, protocol, mode, host_ip?}`, sorted. v1 prints short strings
 * when a host IP is set ("127.0.0.1:9000:9000/udp", "::1:81:81/tcp") and objects with a numeric
 * `published` otherwise; v2 prints objects with `published` as a string and fills protocol and mode.
 */
export function ports(value: unknown): unknown {
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
export function volumes(value: unknown): unknown {
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
export function volumesFromEntry(entry: string): string {
  const withoutPrefix = entry.startsWith('service:') ? entry.slice('service:'.length) : entry
  return withoutPrefix.endsWith(':rw') ? withoutPrefix.slice(0, -':rw'.length) : withoutPrefix
}

// ---------------------------------------------------------------------------------------------------
// devices, secrets and configs

/** "source[:target[:permissions]]" (v1) or `{source, target, permissions}` (v2), with the defaults filled in. */
export function device(value: unknown): unknown {
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
export function fileReference(reference: unknown, defaultTarget: (source: string) => string): unknown {
  if (typeof reference === 'string') return {source: reference}
  if (!isRecord(reference)) return reference
  const result: Json = {...reference}
  if (typeof result.source === 'string' && result.target === defaultTarget(result.source)) delete result.target
  for (const key of ['uid', 'gid']) if (result[key] !== undefined) result[key] = scalarText(result[key])
  return result
}
