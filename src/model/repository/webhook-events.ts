import {createHmac, timingSafeEqual} from 'node:crypto'

import {InvalidInputError, UnauthorizedError} from '../errors.js'

export type WebhookProvider = 'github' | 'gitea' | 'gitlab'

export type WebhookEvent =
  /** A push; `branch` is null for a tag. */
  | {kind: 'push'; provider: WebhookProvider; branch: string | null; after: string | null}
  | {kind: 'ping'; provider: WebhookProvider}
  | {kind: 'other'; provider: WebhookProvider; event: string}

/** Header names in lower case, as Node gives them. */
export type WebhookHeaders = Record<string, string | string[] | undefined>

/**
 * The signature a webhook request presents, read from its headers alone: an HMAC of the body (GitHub,
 * Gitea, Forgejo), which needs the body to check, or the secret itself (GitLab), which does not.
 */
export interface WebhookSignature {
  provider: WebhookProvider
  scheme: 'hmac' | 'token'
  value: string
}

/** The signature headers kedge checks, for a message that names them. */
export const SIGNATURE_HEADERS = 'X-Hub-Signature-256, X-Gitea-Signature, X-Forgejo-Signature or X-Gitlab-Token'

/** The headers a forge names a delivery with; the same delivery sent again carries the same id. */
const DELIVERY_HEADERS: Record<WebhookProvider, string[]> = {
  github: ['x-github-delivery'],
  gitea: ['x-gitea-delivery', 'x-forgejo-delivery', 'x-github-delivery'],
  // Idempotency-Key stays the same across GitLab's retries; older GitLab sends only the event's UUID.
  gitlab: ['idempotency-key', 'x-gitlab-event-uuid'],
}

/** Longer delivery ids are not ids a forge sends; they are not remembered. */
const MAX_DELIVERY_ID_LENGTH = 200

/** The signature the request presents, or undefined when it presents none. */
export function webhookSignature(headers: WebhookHeaders): WebhookSignature | undefined {
  const github = header(headers, 'x-hub-signature-256')
  if (github !== undefined) return {provider: 'github', scheme: 'hmac', value: github.replace(/^sha256=/, '').toLowerCase()}
  const gitea = header(headers, 'x-gitea-signature') ?? header(headers, 'x-forgejo-signature')
  if (gitea !== undefined) return {provider: 'gitea', scheme: 'hmac', value: gitea.toLowerCase()}
  const gitlab = header(headers, 'x-gitlab-token')
  if (gitlab !== undefined) return {provider: 'gitlab', scheme: 'token', value: gitlab}
  return undefined
}

/** Whether a GitLab token is the secret: decided from the headers, before the body is read. */
export function tokenMatches(signature: WebhookSignature, secret: string): boolean {
  return signature.scheme === 'token' && equalInConstantTime(signature.value, secret)
}

/** The forge's id of this delivery, when it sends one of a plausible length. */
export function deliveryId(headers: WebhookHeaders, provider: WebhookProvider): string | undefined {
  for (const name of DELIVERY_HEADERS[provider]) {
    const value = header(headers, name)?.trim()
    if (value && value.length <= MAX_DELIVERY_ID_LENGTH) return value
  }
  return undefined
}

/**
 * Checks that a webhook request was signed with the repository's secret, as GitHub
 * (X-Hub-Signature-256), Gitea and Forgejo (X-Gitea-Signature, X-Forgejo-Signature) and GitLab
 * (X-Gitlab-Token) do it, and says what it reports. Throws UnauthorizedError for a missing or wrong
 * signature: nothing else is read from such a request.
 */
export function verifyWebhook(headers: WebhookHeaders, body: Buffer, secret: string): WebhookEvent {
  const provider = verifySignature(webhookSignature(headers), body, secret)
  const event = eventName(headers, provider)
  if (provider === 'github' && event === 'ping') return {kind: 'ping', provider}
  if (event !== 'push' && event !== 'Push Hook') return {kind: 'other', provider, event}
  const payload = parsePayload(body)
  const ref = typeof payload.ref === 'string' ? payload.ref : ''
  const after = typeof payload.after === 'string' ? payload.after : null
  return {kind: 'push', provider, branch: ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null, after}
}

function verifySignature(signature: WebhookSignature | undefined, body: Buffer, secret: string): WebhookProvider {
  if (signature === undefined) throw new UnauthorizedError(`the webhook carries no signature (${SIGNATURE_HEADERS})`, {code: 'bad_signature'})
  const expected = signature.scheme === 'hmac' ? hmac(secret, body) : secret
  if (equalInConstantTime(signature.value, expected)) return signature.provider
  throw new UnauthorizedError(`the webhook's ${signature.provider} signature does not match the repository's secret`, {code: 'bad_signature'})
}

/** Compared in constant time, as digests of equal length whatever was sent. */
function equalInConstantTime(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected)) && presented.length > 0
}

function hmac(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex')
}

function digest(text: string): Buffer {
  return createHmac('sha256', 'kedge webhook comparison').update(text).digest()
}

function eventName(headers: WebhookHeaders, provider: WebhookProvider): string {
  const names = {github: ['x-github-event'], gitea: ['x-gitea-event', 'x-forgejo-event', 'x-github-event'], gitlab: ['x-gitlab-event']}[provider]
  for (const name of names) {
    const value = header(headers, name)
    if (value) return value
  }
  return 'push'
}

function parsePayload(body: Buffer): Record<string, unknown> {
  try {
    const payload: unknown = JSON.parse(body.toString('utf8'))
    if (payload && typeof payload === 'object' && !Array.isArray(payload)) return payload as Record<string, unknown>
  } catch {
    // reported below
  }
  throw new InvalidInputError('the webhook body is not a JSON object', {code: 'invalid_webhook'})
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}
