import type {Engine, ImageDetails, LabelledImage} from '../../ports/engine.js'

import {byCodeUnits} from '../../model/compose/text-order.js'
import {ExternalError} from '../../model/errors.js'
import {engineError, type EngineDescription} from './engine-errors.js'
import type {EngineTransport} from './engine-request.js'
import {QUERY_TIMEOUT_MS, REMOVE_TIMEOUT_MS} from './engine-timeouts.js'

/** What the Engine port asks of an engine's images, beyond the ids of references (currentImageIds). */
export type ImageRequests = Pick<Engine, 'imageDetails' | 'listImagesByLabel' | 'tagImage' | 'removeImage'>

/** How the engine lists an image that no tag names any more (older engines; newer ones list none). */
const UNTAGGED = '<none>:<none>'

/** The image requests of the engine `transport` reaches, named in their errors as `described` says. */
export function imageRequests(transport: EngineTransport, described: EngineDescription): ImageRequests {
  const failure = (error: unknown) => engineError(error, described)
  const statusOf = (error: unknown) => (error as {statusCode?: number}).statusCode

  /** `GET /images/{name}/json` of each reference, all at once; those the engine lacks (404) are left out. */
  async function imageDetails(references: string[]): Promise<Map<string, ImageDetails>> {
    const unique = [...new Set(references)]
    const inspected = await Promise.all(unique.map(inspect))
    return new Map(unique.flatMap((reference, index) => (inspected[index] ? [[reference, inspected[index]] as const] : [])))
  }

  async function inspect(reference: string): Promise<ImageDetails | null> {
    try {
      const raw = (await transport.call({method: 'GET', path: `/images/${imagePath(reference)}/json`, timeoutMs: QUERY_TIMEOUT_MS})) as {Id?: unknown; RepoDigests?: unknown}
      if (typeof raw?.Id !== 'string') throw new Error(`the image ${reference} was described without an id`)
      return {id: raw.Id, repoDigests: Array.isArray(raw.RepoDigests) ? raw.RepoDigests.filter((digest): digest is string => typeof digest === 'string') : []}
    } catch (error) {
      if (statusOf(error) === 404) return null
      throw failure(error)
    }
  }

  /** `GET /images/json` filtered by every label (the engine takes several label filters as all of them). */
  async function listImagesByLabel(labels: Record<string, string>): Promise<LabelledImage[]> {
    const filters = {label: Object.entries(labels).map(([key, value]) => `${key}=${value}`)}
    try {
      const raw = await transport.call({method: 'GET', path: '/images/json', query: {filters}, timeoutMs: QUERY_TIMEOUT_MS})
      if (!Array.isArray(raw)) throw new Error(`the image list was not a list: ${String(raw).slice(0, 200)}`)
      return (raw as Array<{Id?: unknown; RepoTags?: unknown; Labels?: unknown; Created?: unknown}>)
        .filter((image) => typeof image.Id === 'string')
        .map((image) => ({
          id: image.Id as string,
          tags: (Array.isArray(image.RepoTags) ? image.RepoTags : []).filter((tag): tag is string => typeof tag === 'string' && tag !== UNTAGGED).sort(byCodeUnits),
          labels: textLabels(image.Labels),
          created: new Date(typeof image.Created === 'number' ? image.Created * 1000 : 0),
        }))
        .sort((a, b) => a.created.getTime() - b.created.getTime() || byCodeUnits(a.id, b.id))
    } catch (error) {
      throw failure(error)
    }
  }

  /** `POST /images/{id}/tag`: the reference's name and tag go apart, as the engine takes them. */
  async function tagImage(id: string, reference: string): Promise<void> {
    const {repo, tag} = splitTag(reference)
    try {
      await transport.call({method: 'POST', path: `/images/${imagePath(id)}/tag`, query: {repo, tag}, timeoutMs: QUERY_TIMEOUT_MS})
    } catch (error) {
      throw failure(error)
    }
  }

  /**
   * `DELETE /images/{name}`, never forced: a tag of an image that other tags name is only taken off; the
   * last one, or an id, removes the image unless a container uses it, which the engine refuses (409).
   */
  async function removeImage(reference: string): Promise<boolean> {
    try {
      await transport.call({method: 'DELETE', path: `/images/${imagePath(reference)}`, timeoutMs: REMOVE_TIMEOUT_MS})
      return true
    } catch (error) {
      const status = statusOf(error)
      if (status === 409) return false
      if (status === 404) return true
      throw failure(error)
    }
  }

  return {imageDetails, listImagesByLabel, tagImage, removeImage}
}

/** A reference in a request's path: each of its parts escaped, its slashes kept, as the engine routes `/images/{name}`. */
export function imagePath(reference: string): string {
  return reference.split('/').map(encodeURIComponent).join('/')
}

/** `name:tag` as the engine's tag request takes it; a reference without a tag is `latest`, as Docker reads it. */
export function splitTag(reference: string): {repo: string; tag: string} {
  if (reference.includes('@')) throw new ExternalError(`cannot tag an image as ${reference}: a digest names an image, a tag is needed`, {code: 'engine_error'})
  const colon = reference.lastIndexOf(':')
  if (colon > reference.lastIndexOf('/')) return {repo: reference.slice(0, colon), tag: reference.slice(colon + 1)}
  return {repo: reference, tag: 'latest'}
}

function textLabels(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object') return {}
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
}
