import {isLoopbackRegistry} from '../../model/compose/image-reference.js'
import {registerSecret} from '../../model/secrets/redaction.js'
import type {RegistryCredentials} from './docker-credentials.js'
import {registryAuthFailed, registryFailed, registrySays, unanswered, type RegistryQuestion} from './registry-errors.js'
import {jsonObjectOf, registryRequest, RegistryRequestError} from './registry-http.js'

/** One challenge of a WWW-Authenticate header: its scheme, lower case, and its parameters (names lower case). */
export interface AuthChallenge {
  scheme: string
  params: Record<string, string>
}

/** How long a token lasts when its service does not say, and the least Docker assumes (distribution's minimumTokenLifetimeSeconds). */
export const MIN_TOKEN_LIFETIME_SECONDS = 60
/** More than any token service's JSON answer (a JWT is a few KiB). */
const TOKEN_ANSWER_MAX_BYTES = 1024 * 1024
/** The client id Docker's engine gives a token service (the OAuth2 refresh-token grant requires one). */
const CLIENT_ID = 'docker'

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/

/**
 * The challenges of WWW-Authenticate headers (RFC 9110 §11.6.1), several of which may share a header
 * (Node joins repeated headers with ", "): `Bearer realm="https://auth.docker.io/token",service="…"`.
 */
export function parseChallenges(header: string | string[] | undefined): AuthChallenge[] {
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '')
  const challenges: AuthChallenge[] = []
  let at = 0
  const skip = (pattern: RegExp) => {
    const match = pattern.exec(text.slice(at))
    if (match) at += match[0].length
    return match?.[0] ?? ''
  }
  while (at < text.length) {
    skip(/^[\s,]*/)
    const token = skip(TOKEN)
    if (!token) {
      // Something the grammar does not allow here (a token68's padding, a stray character): step over it.
      at++
      continue
    }
    const afterToken = at
    skip(/^\s*/)
    if (text[at] === '=' && challenges.length > 0) {
      at++
      skip(/^\s*/)
      challenges[challenges.length - 1]!.params[token.toLowerCase()] = readValue()
    } else {
      at = afterToken
      challenges.push({scheme: token.toLowerCase(), params: {}})
    }
  }
  return challenges

  function readValue(): string {
    // Unquoted, a value is a token; registries are lenient with what they write there (a URL), and so is this.
    if (text[at] !== '"') return skip(/^[^\s,"]*/)
    let value = ''
    for (at++; at < text.length && text[at] !== '"'; at++) value += text[at] === '\\' ? text[++at] ?? '' : text[at]
    at++
    return value
  }
}

/** What a request is authorised with, and until when kedge may send it again without asking. */
export interface Authorization {
  header: string
  expiresAt: number
}

export interface TokenRequest {
  question: RegistryQuestion
  challenge: AuthChallenge
  /** `repository:<name>:pull` */
  scope: string
  credentials: RegistryCredentials | null
  /** Where the credentials were read, for hints. */
  credentialsSource: string
  userAgent: string
  timeoutMs: number
  signal?: AbortSignal
  now: number
}

/**
 * A token from the realm of a Bearer challenge, asked for as Docker's engine asks (distribution's
 * registry/client/auth): with an identity token, the OAuth2 refresh-token grant (a POST of a form);
 * otherwise a GET with `service` and `scope`, with Basic credentials when there are some, anonymous when
 * there are none. The token is `token`, else `access_token`, of its JSON answer, valid for `expires_in`
 * seconds (at least MIN_TOKEN_LIFETIME_SECONDS).
 *
 * The token is not registered for redaction: it lives a few minutes, is only ever put in an Authorization
 * header, and registering each would grow the process's list of secrets without end in a daemon.
 */
export async function fetchBearerToken(request: TokenRequest): Promise<Authorization> {
  const {question, challenge, credentials} = request
  const realm = realmOf(challenge, question)
  const service = challenge.params.service
  // Credentials cross the network in the clear only to the loopback interface, as to a registry.
  if (credentials && realm.protocol === 'http:' && !isLoopbackRegistry(realm.host)) {
    throw registryAuthFailed(question, `its token service ${realm.origin} is not https, and kedge sends no credentials over plain http`, `ask the registry's operator to serve its token service over https`)
  }
  const headers = {'User-Agent': request.userAgent, Accept: 'application/json'}
  let answer
  try {
    if (credentials?.kind === 'identity-token') {
      const form = new URLSearchParams({grant_type: 'refresh_token', refresh_token: credentials.identityToken, client_id: CLIENT_ID, scope: request.scope})
      if (service) form.set('service', service)
      answer = await registryRequest({method: 'POST', url: realm, headers, form, maxBodyBytes: TOKEN_ANSWER_MAX_BYTES, timeoutMs: request.timeoutMs, signal: request.signal})
    } else {
      const url = new URL(realm.href)
      if (service) url.searchParams.set('service', service)
      url.searchParams.set('scope', request.scope)
      let authorization: string | undefined
      if (credentials?.username && credentials.password) {
        url.searchParams.set('account', credentials.username)
        authorization = basicAuthorization(credentials.username, credentials.password)
      }
      answer = await registryRequest({method: 'GET', url, headers, authorization, maxBodyBytes: TOKEN_ANSWER_MAX_BYTES, timeoutMs: request.timeoutMs, signal: request.signal})
    }
  } catch (error) {
    if (!(error instanceof RegistryRequestError)) throw error
    throw unanswered(question, new RegistryRequestError(error.reason, `its token service ${realm.origin}: ${error.message}`))
  }
  const said = answer.complete ? registrySays(answer.body) : null
  const why = `HTTP ${answer.status}${said ? `: ${said}` : ''}`
  if (answer.status === 401 || answer.status === 403) {
    if (credentials) throw registryAuthFailed(question, `its token service ${realm.origin} refused the credentials from ${request.credentialsSource} (${why})`, `log in again where kedge reads the credentials: ${request.credentialsSource}`)
    throw registryAuthFailed(question, `its token service ${realm.origin} refused anonymous access (${why})`, `log in where kedge reads the credentials: ${request.credentialsSource}`)
  }
  if (answer.status < 200 || answer.status > 299) {
    throw registryFailed(question, `its token service ${realm.origin} failed (${why})`, 'kedge asks again at the next check')
  }
  const token = answer.complete ? tokenOf(answer.body) : null
  if (!token) throw registryFailed(question, `its token service ${realm.origin} answered without a token`, 'the token service is not one Docker could use either; check the registry\'s address')
  return {header: `Bearer ${token.token}`, expiresAt: request.now + token.expiresIn * 1000}
}

export function basicAuthorization(username: string, password: string): string {
  const encoded = Buffer.from(`${username}:${password}`).toString('base64')
  registerSecret(encoded)
  return `Basic ${encoded}`
}

function realmOf(challenge: AuthChallenge, question: RegistryQuestion): URL {
  const realm = challenge.params.realm
  let url: URL | null = null
  try {
    url = realm ? new URL(realm) : null
  } catch {
    url = null
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw registryFailed(question, `it names no token service kedge can ask (realm ${realm === undefined ? 'missing' : JSON.stringify(realm)})`, 'the registry is not one Docker could use either; check the image\'s registry')
  }
  return url
}

function tokenOf(body: Buffer): {token: string; expiresIn: number} | null {
  const parsed = jsonObjectOf(body)
  if (parsed === null) return null
  const answer = parsed as {token?: unknown; access_token?: unknown; expires_in?: unknown; refresh_token?: unknown}
  // A new refresh token is not kept (config.json stays the operator's), but it is a credential all the same.
  if (typeof answer.refresh_token === 'string') registerSecret(answer.refresh_token)
  const token = [answer.token, answer.access_token].find((value): value is string => typeof value === 'string' && value !== '')
  if (token === undefined) return null
  const expiresIn = typeof answer.expires_in === 'number' && Number.isFinite(answer.expires_in) ? Math.max(answer.expires_in, MIN_TOKEN_LIFETIME_SECONDS) : MIN_TOKEN_LIFETIME_SECONDS
  return {token, expiresIn}
}
