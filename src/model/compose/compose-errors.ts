/**
 * Compose's refusals, made to name what they are about on every Compose version: v1 names the field
 * ("services.web.ports contains an invalid type"), v2 at times names only the value ("Invalid
 * containerPort: notaport"). Pure.
 */

type Json = Record<string, unknown>

/** A reason that already names a service or a field path, as both versions mostly do. */
const NAMES_ITS_PLACE = /\bservices?[.[\s]|\bservice "|\(root\)/i

/**
 * Compose's reason with the service and field it concerns put first, found by the value it quotes
 * last (after its last ": "), when exactly one field of one service holds that value. `documents` are
 * the compose files as parsed YAML, in the order Compose reads them.
 */
export function locateComposeError(reason: string, documents: readonly unknown[]): string {
  if (NAMES_ITS_PLACE.test(reason)) return reason
  const separator = reason.lastIndexOf(': ')
  if (separator < 0) return reason
  const value = reason.slice(separator + 2).trim().replace(/^["']|["']$/g, '')
  if (value === '') return reason
  const places = new Set<string>()
  for (const document of documents) {
    const services = (document as Json | null)?.services
    if (!isObject(services)) continue
    for (const [service, definition] of Object.entries(services)) {
      if (!isObject(definition)) continue
      for (const [field, setting] of Object.entries(definition)) {
        if (holdsValue(setting, value)) places.add(`service ${JSON.stringify(service)} ${field}`)
      }
    }
  }
  return places.size === 1 ? `${[...places][0]}: ${reason}` : reason
}

function holdsValue(setting: unknown, value: string): boolean {
  if (typeof setting === 'string' || typeof setting === 'number' || typeof setting === 'boolean') return String(setting) === value
  if (Array.isArray(setting)) return setting.some((item) => holdsValue(item, value))
  if (isObject(setting)) return Object.values(setting).some((item) => holdsValue(item, value))
  return false
}

/**
 * Keys of the Compose Specification that Compose v1 (1.29) refuses, by where they stand: a commit that
 * uses one is fine, only the host's Compose is too old for it.
 */
const V2_ONLY_KEYS: Record<string, readonly string[]> = {
  '': ['include', 'name', 'models'],
  service: ['annotations', 'attach', 'cgroup', 'develop', 'gpus', 'label_file', 'models', 'post_start', 'pre_stop', 'provider', 'use_api_socket', 'uts'],
  'service.build': [
    'additional_contexts', 'cache_to', 'dockerfile_inline', 'entitlements', 'no_cache', 'platforms', 'privileged', 'provenance', 'pull', 'sbom', 'secrets', 'ssh', 'tags', 'ulimits',
  ],
  'service.depends_on': ['required', 'restart'],
  'service.healthcheck': ['start_interval'],
  'service.networks.*': ['driver_opts', 'gw_priority', 'interface_name', 'mac_address'],
  'service.ports': ['app_protocol', 'host_ip', 'name'],
  'service.volumes': ['create_host_path', 'recursive', 'selinux', 'subpath'],
  'configs.*': ['content', 'environment'],
  'secrets.*': ['environment'],
}

/** How Compose v1 refuses a key it does not know, in its three wordings; `place` is empty at the top level. */
const V1_UNKNOWN_KEY = [
  // Unsupported config option for services.web: 'develop'
  /Unsupported config option for (?<place>[\w.-]+): '(?<keys>[\w-]+)'/g,
  // services.web.depends_on contains unsupported option: 'restart'
  /(?<place>[\w.-]+) contains unsupported option: '(?<keys>[\w-]+)'/g,
  // 'include', 'name' do not match any of the regexes: '^x-'   /   configs.c value 'content' does not match ...
  /(?:(?<place>[\w.-]+) value )?(?<keys>'[\w-]+'(?:, '[\w-]+')*) do(?:es)? not match any of the regexes: '\^x-'/g,
]

/** Compose v1 on the long form of `env_file` (`- path: a.env`, `required: false`). */
const V1_ENV_FILE_OBJECT = /(?<place>services\.[\w.-]+\.env_file) contains \{"(?:path|required)"/g

/**
 * What a refusal of Compose v1 names that only Compose v2 knows, as `services.web.develop` or
 * `top-level include`; empty when it names nothing of the kind (a misspelt key stays Compose's to explain).
 */
export function composeV2Features(reason: string): string[] {
  const features = new Set<string>()
  for (const pattern of V1_UNKNOWN_KEY) {
    for (const match of reason.matchAll(pattern)) {
      const place = match.groups!.place ?? ''
      const known = V2_ONLY_KEYS[kindOf(place)] ?? []
      for (const key of match.groups!.keys!.split(', ').map((word) => word.replaceAll("'", ''))) {
        if (known.includes(key)) features.add(place === '' ? `top-level ${key}` : `${place}.${key}`)
      }
    }
  }
  for (const match of reason.matchAll(V1_ENV_FILE_OBJECT)) features.add(`${match.groups!.place} as {path, required}`)
  return [...features]
}

/** `services.web.networks.front` as `service.networks.*`: the names of the user's services and resources left out. */
function kindOf(place: string): string {
  const parts = place.split('.')
  if (parts[0] === 'services' && parts.length >= 2) {
    const rest = parts.slice(2)
    return ['service', ...(rest.length === 2 && rest[0] === 'networks' ? ['networks', '*'] : rest)].join('.')
  }
  if ((parts[0] === 'configs' || parts[0] === 'secrets') && parts.length === 2) return `${parts[0]}.*`
  return place
}

/**
 * Compose v1's refusal of a file that uses Compose v2 features, said in one line that names them; null
 * when the refusal is about something else.
 */
export function needsComposeV2(reason: string): string | null {
  const features = composeV2Features(reason)
  if (features.length === 0) return null
  return `${features.join(', ')} ${features.length === 1 ? 'needs' : 'need'} Compose v2, and this host runs Compose v1 (docker-compose)`
}

export const COMPOSE_V2_HINT = 'install the Docker Compose plugin ("docker compose") and leave KEDGE_COMPOSE unset or set it to "docker compose"; see Requirements in README.md'

/**
 * The engine's refusal of one more bridge network: its default address pools hold about 30, and every
 * stack with a default network takes one. A hint that says what ran out and how to fix it; null otherwise.
 */
export function addressPoolHint(reason: string): string | null {
  if (!/could not find an available, non-overlapping IPv4 address pool/i.test(reason)) return null
  return 'the Docker engine ran out of address pools for networks (one per stack network): add "default-address-pools" to /etc/docker/daemon.json and restart dockerd, or let stacks share an external network; see docs/stacks.md'
}

/** v2's whole word on compose files without services, where v1 resolves them to none. */
export function isEmptyProject(reason: string): boolean {
  return /^empty compose file$/.test(reason.trim())
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
