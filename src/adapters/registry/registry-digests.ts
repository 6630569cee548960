import {createHash} from 'node:crypto'
import {homedir} from 'node:os'
import path from 'node:path'

import {parseImageReference, registryOrigin} from '../../model/compose/image-reference.js'
import {type ExternalError, InvalidInputError, quoted} from '../../model/errors.js'
import type {Registries} from '../../ports/registry.js'
import {loginCommand, readRegistryCredentials} from './docker-credentials.js'
import {basicAuthorization, fetchBearerToken, MIN_TOKEN_LIFETIME_SECONDS, parseChallenges, type Authorization} from './registry-auth.js'
import {registryAuthFailed, registryFailed, registrySays, unanswered, type RegistryQuestion} from './registry-errors.js'
import {registryRequest, RegistryRequestError, type RegistryResponse} from './registry-http.js'

/** Each request's bound: a registry answers a manifest's HEAD in well under a second. */
export const REGISTRY_TIMEOUT_MS = 10_000
/** Far more than any manifest or index (registries refuse to store one over 4 MiB). */
export const MANIFEST_MAX_BYTES = 4 * 1024 * 1024

/**
 * What kedge accepts, in Docker's order of preference: an index or a manifest list first, so that a tag
 * that names one is answered with its own digest (what `docker pull` records), never a platform's manifest.
 */
const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ')

const DIGEST = /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/
const USER_AGENT = 'kedge'

export interface RegistryDigestsOptions {
  /** Each request's bound; REGISTRY_TIMEOUT_MS unless a test needs it shorter. */
  timeoutMs?: number
  /** The environment credential helpers run with; kedge's own unless given. */
  env?: NodeJS.ProcessEnv
  /** Milliseconds since the epoch, for the tokens' lifetimes. */
  now?: () => number
}

/**
 * The Registries port over the Registry v2 API. It keeps each token (and each Basic authorization) it
 * was given for as long as it is valid, per Docker configuration, registry and scope, so that checking
 * the tags of a repository asks the token service once; a kept one that is refused is asked for again.
 */
export function registryDigests(options: RegistryDigestsOptions = {}): Registries {
  const timeoutMs = options.timeoutMs ?? REGISTRY_TIMEOUT_MS
  const env = options.env ?? process.env
  const now = options.now ?? Date.now
  const authorizations = new Map<string, KeptAuthorization>()

  return {
    async currentDigest(reference, {dockerConfigDir = env.DOCKER_CONFIG || path.join(homedir(), '.docker'), signal} = {}) {
      const image = parseImageReference(reference)
      if (!image) {
        throw new InvalidInputError(`${quoted(reference)} is not an image reference Docker accepts`, {
          hint: 'write it as [registry/]repository[:tag], with a lower-case repository (nginx:1.27, ghcr.io/o/app:latest)',
        })
      }
      // A reference pinned by digest names the same image forever: no registry is asked.
      if (image.digest !== null) return image.digest
      const question: RegistryQuestion = {registry: image.registry, reference}
      const scope = `repository:${image.repository}:pull`
      const manifest = new URL(`${registryOrigin(image.registry)}/v2/${image.repository}/manifests/${image.tag ?? 'latest'}`)
      const credentialsSource = path.join(dockerConfigDir, 'config.json')
      const cacheKey = JSON.stringify([dockerConfigDir, image.registry, scope])
      if (signal?.aborted) throw registryFailed(question, 'abandoned', 'the work the question was part of was abandoned')

      const send = async (method: 'HEAD' | 'GET', authorization: string | undefined): Promise<RegistryResponse> => {
        try {
          return await registryRequest({method, url: manifest, headers: {'User-Agent': USER_AGENT, Accept: MANIFEST_TYPES}, authorization, maxBodyBytes: MANIFEST_MAX_BYTES, timeoutMs, signal})
        } catch (error) {
          if (error instanceof RegistryRequestError) throw unanswered(question, error)
          throw error
        }
      }

      /** The answer to `method`, authenticated when the registry asks for it (RFC 9110's 401 and its challenges). */
      const ask = async (method: 'HEAD' | 'GET'): Promise<{answer: RegistryResponse; withCredentials: boolean}> => {
        const kept = authorizations.get(cacheKey)
        const valid = kept && kept.expiresAt > now() ? kept : undefined
        const first = await send(method, valid?.header)
        if (first.status !== 401) return {answer: first, withCredentials: valid?.withCredentials ?? false}
        authorizations.delete(cacheKey)
        const challenges = parseChallenges(first.headers['www-authenticate'])
        const challenge = challenges.find((one) => one.scheme === 'bearer') ?? challenges.find((one) => one.scheme === 'basic')
        if (!challenge) {
          throw registryAuthFailed(question, `it refused access (HTTP 401) without a challenge kedge can answer (${challenges.map((one) => one.scheme).join(', ') || 'none'})`, 'kedge answers Basic and Bearer challenges, as Docker does')
        }
        const credentials = await readRegistryCredentials({dockerConfigDir, registry: image.registry, reference, env, signal})
        let authorization: Authorization
        if (challenge.scheme === 'bearer') {
          authorization = await fetchBearerToken({question, challenge, scope, credentials, credentialsSource, userAgent: USER_AGENT, timeoutMs, signal, now: now()})
        } else {
          if (credentials?.kind !== 'password') throw refused(question, false, first, credentialsSource, dockerConfigDir)
          authorization = {header: basicAuthorization(credentials.username, credentials.password), expiresAt: now() + MIN_TOKEN_LIFETIME_SECONDS * 1000}
        }
        const second = await send(method, authorization.header)
        if (second.status === 401 || second.status === 403) throw refused(question, credentials !== null, second, credentialsSource, dockerConfigDir)
        // Those that ran out go as a new one comes: a daemon asks about the same few repositories for months.
        for (const [key, old] of authorizations) if (old.expiresAt <= now()) authorizations.delete(key)
        authorizations.set(cacheKey, {...authorization, withCredentials: credentials !== null})
        return {answer: second, withCredentials: credentials !== null}
      }

      let {answer, withCredentials} = await ask('HEAD')
      // A registry that refuses HEAD, or answers it without the digest, is asked with GET (counted as a pull by some).
      if (answer.status === 405 || (answer.status === 200 && !digestHeader(answer))) ({answer, withCredentials} = await ask('GET'))
      if (answer.status === 404) return null
      if (answer.status === 403) throw refused(question, withCredentials, answer, credentialsSource, dockerConfigDir)
      if (answer.status === 429) {
        throw registryFailed(question, `it limits the rate of requests (HTTP 429)${saying(answer)}`, `kedge asks again at the next check; credentials in ${credentialsSource} may raise the registry's limit`)
      }
      if (answer.status !== 200) throw registryFailed(question, `it answered HTTP ${answer.status}${saying(answer)}`, 'kedge asks again at the next check')
      const digest = digestHeader(answer)
      if (digest) return digest
      if (!answer.complete) throw registryFailed(question, `its manifest is larger than ${MANIFEST_MAX_BYTES / (1024 * 1024)} MiB`, 'no image manifest is this large: check the registry\'s address')
      return `sha256:${createHash('sha256').update(answer.body).digest('hex')}`
    },
  }
}

/** An authorization kept for reuse, and whether it carries credentials (for the words of a later refusal). */
interface KeptAuthorization extends Authorization {
  withCredentials: boolean
}

function digestHeader(answer: RegistryResponse): string | null {
  const header = answer.headers['docker-content-digest']
  const value = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase()
  return value && DIGEST.test(value) ? value : null
}

function saying(answer: RegistryResponse): string {
  const said = answer.complete ? registrySays(answer.body) : null
  return said ? `: ${said}` : ''
}

/** Access refused: with the credentials kedge sent, or for want of any (a private repository, or none at all). */
function refused(question: RegistryQuestion, withCredentials: boolean, answer: RegistryResponse, source: string, dockerConfigDir: string): ExternalError {
  const why = `HTTP ${answer.status}${saying(answer)}`
  const login = loginCommand(question.registry, dockerConfigDir)
  if (withCredentials) return registryAuthFailed(question, `it refused the credentials from ${source} (${why})`, `log in again: ${login}; or check that the repository exists and that these credentials may pull it`)
  return registryAuthFailed(question, `it refused anonymous access (${why}), and ${source} holds no credentials for it`, `log in: ${login}; or check that the repository exists`)
}
