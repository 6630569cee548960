import {ExternalError, UnauthorizedError} from '../errors.js'
import {seal, unseal} from '../secrets/secret-box.js'
import type {NewRepositoryRow, RepositoryRow} from '../store/schema.js'
import type {KedgeContext} from './context.js'
import {requireSecretFromEnvironment} from './credentials.js'
import {readSecretVariable, requireSecretInput} from './repository-auth.js'
import {requireRepository} from './require-repository.js'
import {verifyWebhook, type WebhookHeaders, type WebhookProvider} from './webhook-events.js'

/** How `repo add` was told the secret push webhooks are signed with. */
export type WebhookSecretRequest = {kind: 'env'; variable: string} | {kind: 'value'; secret: string}

export interface WebhookReceipt {
  /** queued: a poll of the repository was asked for; ignored: nothing to do; pong: a ping answered. */
  status: 'queued' | 'ignored' | 'pong'
  provider: WebhookProvider
  reason?: string
}

/** Checks the secret and returns the columns that keep it: the variable's name, or the secret sealed. */
export function webhookSecretColumns(request: WebhookSecretRequest | undefined): (home: string, repositoryName: string) => Pick<NewRepositoryRow, 'webhookSecretEnv' | 'webhookSecret'> {
  if (!request) return () => ({})
  if (request.kind === 'env') {
    readSecretVariable(request.variable, '--webhook-secret-env')
    return () => ({webhookSecretEnv: request.variable})
  }
  const secret = requireSecretInput(request.secret, 'webhook secret', '--webhook-secret-stdin')
  return (home, repositoryName) => ({webhookSecret: seal(home, secret, webhookBinding(repositoryName))})
}

/**
 * A push webhook for a registered repository: verified with the repository's secret, and when it
 * reports a push to the watched branch, a poll of that repository is asked for (`requestPoll`); the
 * deploy loop coalesces a burst into one round in flight and one queued.
 */
export function receiveWebhook(
  context: KedgeContext,
  name: string,
  headers: WebhookHeaders,
  body: Buffer,
  requestPoll: (repository: string) => boolean,
): WebhookReceipt {
  const repository = requireRepository(context, name)
  const event = verifyWebhook(headers, body, webhookSecret(context, repository))
  if (event.kind === 'ping') return {status: 'pong', provider: event.provider}
  if (event.kind === 'other') return {status: 'ignored', provider: event.provider, reason: `event "${event.event}" is not a push`}
  if (event.branch !== repository.branch) {
    return {status: 'ignored', provider: event.provider, reason: event.branch === null ? 'a tag, not a branch' : `branch "${event.branch}" is not the watched branch "${repository.branch}"`}
  }
  if (!requestPoll(repository.name)) {
    throw new ExternalError(`kedge serve is not watching "${repository.name}" yet`, {code: 'not_watching', hint: 'retry in a second'})
  }
  return {status: 'queued', provider: event.provider}
}

function webhookSecret(context: KedgeContext, repository: RepositoryRow): string {
  if (repository.webhookSecretEnv) return requireSecretFromEnvironment(repository.webhookSecretEnv, `the webhook secret of repository "${repository.name}"`)
  if (repository.webhookSecret) return unseal(context.home.root, repository.webhookSecret, webhookBinding(repository.name), `repository "${repository.name}"`)
  throw new UnauthorizedError(`repository "${repository.name}" takes no webhooks: it has no webhook secret`, {
    code: 'webhook_disabled',
    hint: 'add the repository with --webhook-secret-env VAR or --webhook-secret-stdin',
  })
}

function webhookBinding(repositoryName: string): string {
  return `kedge webhook secret ${repositoryName}`
}
