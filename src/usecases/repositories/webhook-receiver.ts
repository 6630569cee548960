import {errorMessage, ExternalError, NotFoundError, UnauthorizedError} from '../../model/errors.js'
import type {NewRepositoryRow, RepositoryRow} from '../../model/rows.js'
import type {KedgeContext} from '../context.js'
import {requireSecretFromEnvironment} from './credentials.js'
import {readSecretVariable, requireSecretInput} from './repository-auth.js'
import {requireRepository} from './require-repository.js'
import {isCorruptRow} from '../../model/repository/row-checks.js'
import type {RecentDeliveries} from '../../model/repository/recent-deliveries.js'
import {deliveryId, SIGNATURE_HEADERS, tokenMatches, verifyWebhook, webhookSignature, type WebhookHeaders, type WebhookProvider} from '../../model/repository/webhook-events.js'

/** How `repo add` was told the secret push webhooks are signed with. */
export type WebhookSecretRequest = {kind: 'env'; variable: string} | {kind: 'value'; secret: string}

export interface WebhookReceipt {
  /** queued: a poll of the repository was asked for; ignored: nothing to do; pong: a ping answered; duplicate: delivered before. */
  status: 'queued' | 'ignored' | 'pong' | 'duplicate'
  provider: WebhookProvider
  reason?: string
}

/** Checks the secret and returns the columns that keep it: the variable's name, or the secret sealed. */
export function webhookSecretColumns(
  {secrets}: Pick<KedgeContext, 'secrets'>,
  request: WebhookSecretRequest | undefined,
): (repositoryName: string) => Pick<NewRepositoryRow, 'webhookSecretEnv' | 'webhookSecret'> {
  if (!request) return () => ({})
  if (request.kind === 'env') {
    readSecretVariable(request.variable, '--webhook-secret-env')
    return () => ({webhookSecretEnv: request.variable})
  }
  const secret = requireSecretInput(request.secret, 'webhook secret', '--webhook-secret-stdin')
  return (repositoryName) => ({webhookSecret: secrets.seal(secret, webhookBinding(repositoryName))})
}

/** What a webhook's address and headers decide, before its body is read. */
export type WebhookAdmission =
  | {admitted: true; repository: RepositoryRow; secret: string}
  | {
      admitted: false
      /** For the operator's log only: an unverified caller is never told. */
      reason: string
      /** The repository exists, but whether it takes webhooks cannot be told now: its secret cannot be read (a variable unset, say), or its row is corrupt. */
      unverifiable: boolean
      /**
       * The body is read (and dropped) before the refusal, as it is to check an HMAC that turns out
       * wrong, so that the time taken does not tell a repository that exists from one that does not.
       */
      readBodyFirst: boolean
    }

/**
 * Decides from the address and the headers alone whether a webhook's body is worth reading: a request
 * with no signature, for no repository, for one without a secret, or with a wrong GitLab token is refused
 * whatever its body says. All of these get the same answer (`webhookRefusal`).
 */
export function admitWebhook(context: KedgeContext, name: string, headers: WebhookHeaders): WebhookAdmission {
  const signature = webhookSignature(headers)
  if (signature === undefined) return {admitted: false, reason: `no signature (${SIGNATURE_HEADERS})`, unverifiable: false, readBodyFirst: false}
  const refused = (reason: string, unverifiable = false): WebhookAdmission => ({admitted: false, reason, unverifiable, readBodyFirst: signature.scheme === 'hmac'})
  let repository: RepositoryRow
  try {
    repository = requireRepository(context, name)
  } catch (error) {
    if (error instanceof NotFoundError) return refused('no such repository')
    // Its stored values are for the operator's log, never for an unverified caller.
    if (isCorruptRow(error)) return refused(error.message, true)
    throw error
  }
  let secret: string | undefined
  try {
    secret = webhookSecret(context, repository)
  } catch (error) {
    return refused(errorMessage(error), true)
  }
  if (secret === undefined) return refused('the repository has no webhook secret')
  if (signature.scheme === 'token' && !tokenMatches(signature, secret)) return refused('the GitLab token does not match the repository\'s secret')
  return {admitted: true, repository, secret}
}

/** The one answer to every webhook that is not verified: it does not say whether the repository exists. */
export function webhookRefusal(): UnauthorizedError {
  return new UnauthorizedError('the webhook is refused: no repository at this address takes webhooks signed so', {
    code: 'bad_signature',
    hint: 'check the webhook\'s URL and secret; kedge serve logs the reason (webhook.refused, webhook.unverifiable)',
  })
}

export interface WebhookReceiverOptions {
  /** Asks for a poll of the repository now; false when serve does not watch it (yet). `onFailed` is called if that poll fails. */
  requestPoll: (repository: string, onFailed: () => void) => boolean
  /** Deliveries that asked for a poll lately, and whose poll has not failed; the same delivery again asks for nothing. */
  deliveries: RecentDeliveries
}

/**
 * A push webhook for an admitted repository: verified with the repository's secret, and when it
 * reports a push to the watched branch that was not delivered before, a poll of that repository is
 * asked for (`requestPoll`); the deploy loop coalesces a burst into one round in flight and one queued.
 * The delivery is remembered until its poll fails: then it is forgotten, so that the forge's
 * "Redeliver" (the same id and signature) counts once the remote is back, rather than being a duplicate.
 */
export function receiveWebhook(admission: Extract<WebhookAdmission, {admitted: true}>, headers: WebhookHeaders, body: Buffer, options: WebhookReceiverOptions): WebhookReceipt {
  const {repository} = admission
  const event = verifyWebhook(headers, body, admission.secret)
  if (event.kind === 'ping') return {status: 'pong', provider: event.provider}
  if (event.kind === 'other') return {status: 'ignored', provider: event.provider, reason: `event "${event.event}" is not a push`}
  if (event.branch !== repository.branch) {
    return {status: 'ignored', provider: event.provider, reason: event.branch === null ? 'a tag, not a branch' : `branch "${event.branch}" is not the watched branch "${repository.branch}"`}
  }
  const keys = deliveryKeys(repository.name, headers, event.provider)
  if (options.deliveries.seen(keys)) return {status: 'duplicate', provider: event.provider, reason: 'duplicate delivery'}
  if (!options.requestPoll(repository.name, () => options.deliveries.forget(keys))) {
    throw new ExternalError(`kedge serve is not watching "${repository.name}" yet`, {code: 'not_watching', hint: 'retry in a second'})
  }
  // Only once it asked for a poll: a delivery refused for now may come again and count.
  options.deliveries.remember(keys)
  return {status: 'queued', provider: event.provider}
}

/**
 * A delivery is known by the forge's id for it and, when the body is signed, by its signature: the id
 * is not signed, so a replay under a new id still carries the old body and the old signature.
 */
function deliveryKeys(repositoryName: string, headers: WebhookHeaders, provider: WebhookProvider): string[] {
  const keys: string[] = []
  const id = deliveryId(headers, provider)
  if (id !== undefined) keys.push(`${repositoryName}\0delivery\0${provider}\0${id}`)
  const signature = webhookSignature(headers)
  if (signature?.scheme === 'hmac') keys.push(`${repositoryName}\0signature\0${signature.value}`)
  return keys
}

/** The repository's webhook secret; undefined when it has none; throws when it has one that cannot be read now. */
function webhookSecret(context: KedgeContext, repository: RepositoryRow): string | undefined {
  if (repository.webhookSecretEnv) return requireSecretFromEnvironment(repository.webhookSecretEnv, `the webhook secret of repository "${repository.name}"`)
  if (repository.webhookSecret) return context.secrets.open(repository.webhookSecret, webhookBinding(repository.name), `repository "${repository.name}"`)
  return undefined
}

function webhookBinding(repositoryName: string): string {
  return `kedge webhook secret ${repositoryName}`
}
