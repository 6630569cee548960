import type {DesiredService} from '../../model/stack/plan.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import type {KedgeContext} from '../context.js'
import type {StackPaths} from '../repositories/stack-paths.js'
import {cloneProjectOf} from './compose-project.js'

/**
 * Pulls only the images the engine lacks, before anything on the host changes; returns whether it pulled.
 * `present` is the engine's answer for (at least) the snapshot's images when the caller asked already.
 * The services kedge builds are never pulled: their tags are in no registry (see buildMissingImages).
 */
export async function ensureImages(
  context: KedgeContext,
  snapshot: StackSnapshot,
  paths: StackPaths,
  signal?: AbortSignal,
  present?: ReadonlyMap<string, string>,
  say: (what: string) => void = () => {},
): Promise<boolean> {
  const images = [...new Set(imagesOf(snapshot))]
  const known = present ?? (await context.engine.currentImageIds(images))
  const missing = new Set(images.filter((image) => !known.has(image)))
  const services = snapshot.services.filter((service) => !service.build && service.image !== null && missing.has(service.image)).map((service) => service.name)
  if (services.length === 0) return false
  say(`pulling the images of ${services.join(', ')}`)
  // From the clone: the stack directory must not change before the images are there.
  await context.compose.pull(cloneProjectOf(paths, snapshot), services, {signal})
  return true
}

export function imagesOf(snapshot: StackSnapshot): string[] {
  return imagesOfServices(snapshot.services)
}

export function imagesOfServices(services: readonly DesiredService[]): string[] {
  return services.map((service) => service.image).filter((image): image is string => image !== null)
}
