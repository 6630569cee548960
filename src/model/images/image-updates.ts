import {isPinnedReference, parseImageReference} from '../compose/image-reference.js'
import type {StackSnapshot} from '../stack/stack-snapshot.js'

/** Where kedge tags the images it builds: they come from no registry, so no registry is asked about them. */
const BUILT_IMAGE_PREFIX = 'kedge-build/'

/** A tag of the stack whose image the registry has changed: what the engine runs, what the registry names now, and who uses it. */
export interface ImageUpdate {
  image: string
  /** The digest the engine's image was pulled by; null when it was not pulled from this registry (built or loaded here). */
  from: string | null
  to: string
  services: string[]
}

/**
 * The images of a deployed stack kedge follows: each mutable tag a service names, with the services that
 * use it. A reference pinned to a digest (`image@sha256:…`) never changes, and an image kedge built comes
 * from no registry: neither is followed.
 */
export function followedImages(snapshot: Pick<StackSnapshot, 'services'>): Map<string, string[]> {
  const followed = new Map<string, string[]>()
  for (const service of snapshot.services) {
    const image = service.image
    if (image === null || isPinnedReference(image) || image.startsWith(BUILT_IMAGE_PREFIX) || parseImageReference(image) === null) continue
    followed.set(image, [...(followed.get(image) ?? []), service.name])
  }
  return followed
}

/**
 * The digest the engine's image of `image` was pulled by, from its RepoDigests (`name@sha256:…`): the one
 * of the same registry and repository. null when there is none (the image was built or loaded here).
 */
export function pulledDigest(image: string, repoDigests: readonly string[]): string | null {
  const wanted = parseImageReference(image)
  if (!wanted) return null
  for (const entry of repoDigests) {
    const pulled = parseImageReference(entry)
    if (pulled?.digest && pulled.registry === wanted.registry && pulled.repository === wanted.repository) return pulled.digest
  }
  return null
}

/**
 * The followed images whose tag the registry now points elsewhere: `current` is the registry's digest of
 * each (null when the registry has no such tag: nothing to update to), `pulled` the engine's RepoDigests of
 * each image it has. An image the engine lacks is not an update: a deploy pulls it.
 */
export function imageUpdates(
  followed: ReadonlyMap<string, readonly string[]>,
  current: ReadonlyMap<string, string | null>,
  pulled: ReadonlyMap<string, readonly string[]>,
): ImageUpdate[] {
  const updates: ImageUpdate[] = []
  for (const [image, services] of followed) {
    const to = current.get(image)
    const repoDigests = pulled.get(image)
    if (!to || repoDigests === undefined) continue
    const from = pulledDigest(image, repoDigests)
    if (from !== to && !repoDigests.some((entry) => entry.endsWith(`@${to}`))) updates.push({image, from, to, services: [...services]})
  }
  return updates
}

/** The stack row's `pendingImages`, read back; an unreadable value reads as none (kedge writes it again at the next check). */
export function parsePendingImages(stored: string | null): ImageUpdate[] {
  if (stored === null) return []
  try {
    const parsed: unknown = JSON.parse(stored)
    if (!Array.isArray(parsed)) return []
    return parsed.filter(
      (entry): entry is ImageUpdate =>
        typeof entry === 'object' && entry !== null && typeof entry.image === 'string' && typeof entry.to === 'string' && (entry.from === null || typeof entry.from === 'string') && Array.isArray(entry.services),
    )
  } catch {
    return []
  }
}
