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
 * Checks that a webhook request was signed with the repository's secret, as GitHub
 * (X-Hub-Signature-256), Gitea and Forgejo (X-Gitea-Signature, X-Forgejo-Signature) and GitLab
 * (X-Gitlab-Token) do it, and says what it reports. Throws UnauthorizedError for a missing or wrong
 * signature: nothing else is read from such a request.
 */
export function verifyWebhook(headers: WebhookHeaders, body: Buffer, secret: string): WebhookEvent {
  const provider = verifySignature(headers, body, secret)
  const event = eventName(headers, provider)
  if (provider === 'github' && event === 'ping') return {kind: 'ping', provider}
  if (event !== 'push' && event !== 'Push Hook') return {kind: 'other', provider, event}
  const payload = parsePayload(body)
  const ref = typeof payload.ref === 'string' ? payload.ref : ''
  const after = typeof payload.after === 'string' ? payload.after : null
  return {kind: 'push', provider, branch: ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null, after}
}

function verifySignature(headers: WebhookHeaders, body: Buffer, secret: string): WebhookProvider {
  const github = header(headers, 'x-hub-signature-256')
  if (github !== undefined) return check(github.replace(/^sha256=/, '').toLowerCase(), hmac(secret, body), 'github')
  const gitea = header(headers, 'x-gitea-signature') ?? header(headers, 'x-forgejo-signature')
  if (gitea !== undefined) return check(gitea.toLowerCase(), hmac(secret, body), 'gitea')
  const gitlab = header(headers, 'x-gitlab-token')
  if (gitlab !== undefined) return check(gitlab, secret, 'gitlab')
  throw new UnauthorizedError('the webhook carries no signature (X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token)', {
    code: 'bad_signature',
  })
}

/** Compared in constant time, as digests of equal length whatever was sent. */
function check(presented: string, expected: string, provider: WebhookProvider): WebhookProvider {
  if (timingSafeEqual(digest(presented), digest(expected)) && presented.length > 0) return provider
  throw new UnauthorizedError(`the webhook's ${provider} signature does not match the repository's secret`, {code: 'bad_signature'})
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
