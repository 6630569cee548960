import type {IncomingMessage} from 'node:http'

import type {FastifyInstance} from 'fastify'

import {RecentDeliveries} from '../../model/repository/recent-deliveries.js'
import {admitWebhook, receiveWebhook, webhookRefusal, type WebhookAdmission, type WebhookReceipt} from '../../usecases/repositories/webhook-receiver.js'
import {errorMessage, isKedgeError} from '../../model/errors.js'
import {WEBHOOK_BODY_LIMIT} from './body-limits.js'
import type {HttpServerOptions} from './server-options.js'
import {WebhookBodyBudget} from './webhook-body-budget.js'

/**
 * `POST /hooks/:name`: push events from GitHub, Gitea/Forgejo and GitLab. The body is kept as the bytes
 * that arrived, because the signature is over those bytes; nothing of a request is acted on before its
 * signature is checked.
 *
 * What an unverified caller learns is only that this did not work: not whether the repository exists,
 * takes webhooks, or lacks its secret; the operator finds the reason in the log. A request refused from
 * its address and headers alone is answered before its body is read, and the connection closed.
 */
export async function registerWebhookRoutes(hooks: FastifyInstance, options: HttpServerOptions, deliveries = new RecentDeliveries(), bodies = new WebhookBodyBudget()): Promise<void> {
  const admissions = new WeakMap<IncomingMessage, WebhookAdmission>()
  hooks.removeAllContentTypeParsers()
  hooks.addContentTypeParser('application/json', {parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT}, (_request, body, done) => done(null, body))

  hooks.post<{Params: {name: string}; Body: Buffer}>('/:name', {
    bodyLimit: WEBHOOK_BODY_LIMIT,
    // Before "100 Continue" is said and before any of the body is read.
    onRequest: async (request, reply) => {
      const admission = admitWebhook(options.context, request.params.name, request.headers)
      admissions.set(request.raw, admission)
      if (admission.admitted) return
      logRefusal(options, request.params.name, admission.reason, admission.unverifiable)
      if (admission.readBodyFirst) return
      reply.header('connection', 'close')
      throw webhookRefusal()
    },
    // A refused request's body is dropped as it arrives, holding nothing; a kept body is held against the budget until answered.
    preParsing: async (request, reply, payload) => {
      const {body, release} = bodies.meter(payload, {keep: admissions.get(request.raw)?.admitted === true, limit: WEBHOOK_BODY_LIMIT})
      reply.raw.once('close', release)
      return body
    },
  }, async (request, reply) => {
    const {name} = request.params
    const admission = admissions.get(request.raw)
    if (!admission?.admitted) throw webhookRefusal()
    let receipt: WebhookReceipt
    try {
      receipt = receiveWebhook(admission, request.headers, request.body ?? Buffer.alloc(0), {
        deliveries,
        requestPoll: (repository, onFailed) => {
          options.metrics.pushReceived(repository)
          return options.control.requestPoll(repository, onFailed)
        },
      })
    } catch (error) {
      if (!isKedgeError(error) || error.code !== 'bad_signature') throw error
      logRefusal(options, name, errorMessage(error), false)
      throw webhookRefusal()
    }
    options.logger.log('info', 'webhook.received', {repo: name, provider: receipt.provider, status: receipt.status, reason: receipt.reason})
    return reply.status(receipt.status === 'pong' ? 200 : 202).send(receipt)
  })
}

function logRefusal(options: HttpServerOptions, name: string, reason: string, unverifiable: boolean): void {
  if (unverifiable) options.logger.log('warn', 'webhook.unverifiable', {repo: name, error: reason})
  else options.logger.log('debug', 'webhook.refused', {repo: name, error: reason})
}
