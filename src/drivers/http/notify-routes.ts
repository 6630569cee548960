import type {FastifyInstance} from 'fastify'

import {addChannel, listChannels, removeChannel, testChannel} from '../../usecases/notifying/channels.js'
import type {HttpServerOptions} from './server-options.js'

const ID_PARAMS = {type: 'object', properties: {id: {type: 'integer', minimum: 1}}, required: ['id']} as const

/** `/api/v1/notifications`: `kedge notify` over HTTP. The URLs go in and never come out: what is shown is masked. */
export async function registerNotifyRoutes(api: FastifyInstance, options: Pick<HttpServerOptions, 'context' | 'notifier'>): Promise<void> {
  const {context, notifier} = options

  api.get('/notifications', async () => listChannels(context))

  api.post<{Body: {url: string; events?: string[]; repo?: string}}>('/notifications', {
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: {
          url: {type: 'string', minLength: 1, maxLength: 2048},
          events: {type: 'array', maxItems: 32, items: {type: 'string', minLength: 1, maxLength: 64}},
          repo: {type: 'string', minLength: 1, maxLength: 63},
        },
      },
    },
  }, async (request, reply) => reply.status(201).send(addChannel(context, {url: request.body.url, events: request.body.events, repository: request.body.repo})))

  api.delete<{Params: {id: number}}>('/notifications/:id', {schema: {params: ID_PARAMS}}, async (request) => removeChannel(context, request.params.id))

  api.post<{Params: {id: number}}>('/notifications/:id/test', {schema: {params: ID_PARAMS, body: {type: ['object', 'null'], additionalProperties: false}}}, async (request) =>
    testChannel(context, notifier, request.params.id),
  )
}
