/**
 * Image references (`nginx`, `user/app:1`, `ghcr.io/o/app:tag`, `127.0.0.1:5000/app@sha256:…`) read as
 * the Docker CLI reads them (github.com/distribution/reference: its grammar, then its normalisation),
 * so that kedge asks the registry Docker would pull from, for the repository and tag Docker would pull.
 */

/** Docker Hub's name in a reference (`docker.io/nginx`) and its older name, which Docker reads as the same. */
const DOCKER_HUB_NAMES = new Set(['docker.io', 'index.docker.io'])

/** Where Docker Hub's Registry API answers: `docker.io` names the registry, not the host that serves it. */
export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io'

/** The key under which `docker login` keeps Docker Hub's credentials in config.json (the CLI's IndexServer). */
export const DOCKER_HUB_CREDENTIALS_KEY = 'https://index.docker.io/v1/'

/** A name with no registry in front and no `/` in it is one of Docker Hub's official images, under `library/`. */
const OFFICIAL_IMAGES_NAMESPACE = 'library'

/** The longest name (registry and repository, as written) Docker accepts. */
const NAME_MAX_LENGTH = 255

// distribution/reference's grammar, kept in its own terms.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:]+)\\]'
const DOMAIN = `(?:(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|${IPV6_ADDRESS})(?::[0-9]+)?)`
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*'
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`
const TAG = '[\\w][\\w.-]{0,127}'
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}'
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`)

/** The digests Docker verifies (go-digest's registered algorithms), each with its length of lowercase hex. */
const DIGEST_HEX_LENGTHS: Readonly<Record<string, number>> = {sha256: 64, sha384: 96, sha512: 128}

/** Docker refuses a bare 64-hex name: it would read as an image ID. */
const IMAGE_ID = /^[a-f0-9]{64}$/

export interface ImageReference {
  /** The host (and port) that serves the registry's API: `registry-1.docker.io` for Docker Hub, else as written (`ghcr.io`, `127.0.0.1:5000`). */
  registry: string
  /** The repository in that registry: `library/nginx`, `o/app`. */
  repository: string
  /** The tag: `latest` when the reference names neither a tag nor a digest; null when it names a digest alone. */
  tag: string | null
  /** The digest the reference is pinned to (`sha256:…`), or null. */
  digest: string | null
}

/**
 * `reference` as Docker reads it, or null when Docker would refuse it (an upper-case repository, a bad
 * tag or digest, an unresolved `${VARIABLE}`, …). Surrounding white space is not part of a reference.
 */
export function parseImageReference(reference: string): ImageReference | null {
  const match = REFERENCE.exec(reference)
  if (!match) return null
  const [, name = '', tag, digest] = match
  if (name.length > NAME_MAX_LENGTH || IMAGE_ID.test(name)) return null
  if (digest !== undefined && !isVerifiableDigest(digest)) return null
  const {domain, path} = splitDomain(name)
  // The grammar lets an upper-case first component through as a domain; Docker then refuses the rest.
  if (path.toLowerCase() !== path) return null
  const dockerHub = DOCKER_HUB_NAMES.has(domain)
  return {
    registry: dockerHub ? DOCKER_HUB_REGISTRY : domain,
    repository: dockerHub && !path.includes('/') ? `${OFFICIAL_IMAGES_NAMESPACE}/${path}` : path,
    tag: tag ?? (digest === undefined ? 'latest' : null),
    digest: digest ?? null,
  }
}

/** Whether `reference` names its image by digest (`…@sha256:…`): what it names never changes. */
export function isPinnedReference(reference: string): boolean {
  return parseImageReference(reference)?.digest != null
}

/**
 * The key of a registry's entry in the Docker CLI's config.json (`auths`, `credHelpers`), which is also the
 * server address a credential helper is asked about: `https://index.docker.io/v1/` for Docker Hub, the
 * host (and port) for any other registry.
 */
export function registryCredentialsKey(registry: string): string {
  return registry === DOCKER_HUB_REGISTRY ? DOCKER_HUB_CREDENTIALS_KEY : registry
}

/**
 * Whether the registry is on the loopback interface (`localhost`, 127.0.0.0/8, `[::1]`), which Docker
 * treats as an insecure registry out of the box: it is reached over plain http.
 */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, '').toLowerCase()
  return host === 'localhost' || host === '[::1]' || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(host)
}

/** The base of the registry's API, scheme included: `https://ghcr.io`, `http://127.0.0.1:5000`. */
export function registryOrigin(registry: string): string {
  return `${isLoopbackRegistry(registry) ? 'http' : 'https'}://${registry}`
}

/**
 * Docker's split of a name into its registry and its path: the first component is a registry when it
 * holds a `.` or a `:`, is `localhost`, or is not lower case; anything else is Docker Hub's.
 */
function splitDomain(name: string): {domain: string; path: string} {
  const slash = name.indexOf('/')
  const first = slash === -1 ? '' : name.slice(0, slash)
  if (slash === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) return {domain: 'docker.io', path: name}
  return {domain: first, path: name.slice(slash + 1)}
}

function isVerifiableDigest(digest: string): boolean {
  const colon = digest.indexOf(':')
  const length = DIGEST_HEX_LENGTHS[digest.slice(0, colon)]
  return length !== undefined && new RegExp(`^[a-f0-9]{${length}}$`).test(digest.slice(colon + 1))
}
