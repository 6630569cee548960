import type {FastifyInstance} from 'fastify'

import {receiveWebhook, type WebhookReceipt} from '../core/webhook-receiver.js'
import {ExternalError, isKedgeError, NotFoundError} from '../errors.js'
import {WEBHOOK_BODY_LIMIT} from './body-limits.js'
import type {HttpServerOptions} from './server.js'

/**
 * `POST /hooks/:name`: push events from GitHub, Gitea/Forgejo and GitLab. The body is kept as the bytes
 * that arrived, because the signature is over those bytes; nothing of a request is acted on before its
 * signature is checked.
 */
export async function registerWebhookRoutes(hooks: FastifyInstance, options: HttpServerOptions): Promise<void> {
  hooks.removeAllContentTypeParsers()
  hooks.addContentTypeParser('application/json', {parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT}, (_request, body, done) => done(null, body))

  hooks.post<{Params: {name: string}; Body: Buffer}>('/:name', {bodyLimit: WEBHOOK_BODY_LIMIT}, async (request, reply) => {
    const {name} = request.params
    let receipt: WebhookReceipt
    try {
      receipt = receiveWebhook(options.context, name, request.headers, request.body ?? Buffer.alloc(0), (repository) => {
        options.metrics.pushReceived(repository)
        return options.control.requestPoll(repository)
      })
    } catch (error) {
      throw unverified(error, name, options)
    }
    options.logger.log('info', 'webhook.received', {repo: name, provider: receipt.provider, status: receipt.status, reason: receipt.reason})
    return reply.status(receipt.status === 'pong' ? 200 : 202).send(receipt)
  })
}

/**
 * What an unverified caller learns is only that this did not work: not whether the repository exists,
 * takes webhooks, or lacks its secret. The operator finds the reason in the log.
 */
function unverified(error: unknown, name: string, options: HttpServerOptions): unknown {
  const code = isKedgeError(error) ? error.code : 'internal'
  const message = error instanceof Error ? error.message : String(error)
  if (code === 'bad_signature' || code === 'invalid_webhook') {
    options.logger.log('debug', 'webhook.refused', {repo: name, error: message})
    return error
  }
  if (code === 'not_found' || code === 'webhook_disabled') {
    options.logger.log('debug', 'webhook.refused', {repo: name, error: message})
    return new NotFoundError('no repository takes webhooks at this address')
  }
  options.logger.log('warn', 'webhook.unverifiable', {repo: name, error: message})
  return new ExternalError('the webhook cannot be verified now', {code: 'webhook_unavailable'})
}
