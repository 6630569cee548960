import Fastify, {type FastifyError, type FastifyInstance} from 'fastify'

import {checkEngineName, LOCAL_ENGINE} from '../../model/engine/engine-name.js'
import {InvalidInputError, isKedgeError, NotFoundError} from '../../model/errors.js'
import {redactDeep} from '../../model/secrets/redaction.js'
import {registerApiRoutes} from './api-routes.js'
import {SessionSigner} from './access/session-cookie.js'
import type {AccessSettings} from './access/request-access.js'
import {registerSessionRoutes} from './access/session-routes.js'
import {registerDashboardRoutes} from './dashboard/dashboard-routes.js'
import {SECURITY_HEADERS} from './dashboard/security-headers.js'
import {API_BODY_LIMIT, describeLimit, WEBHOOK_BODY_LIMIT} from './body-limits.js'
import {boundedEcho} from './bounded-echo.js'
import {errorResponse} from './error-response.js'
import {clientError, frameworkError} from './framework-errors.js'
import {refuseBodiesCleanly} from './refusing-bodies.js'
import type {EngineReadiness, HttpServerOptions} from './server-options.js'
import {registerWebhookRoutes} from './webhook-routes.js'

/** A client gets this long to send its request (a webhook body included); answers may take longer. */
export const REQUEST_TIMEOUT_MS = 30_000
/** How often Node looks for requests over their time: a request is cut at most this long after it. */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000

export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
  const app = Fastify({
    logger: false,
    bodyLimit: API_BODY_LIMIT,
    requestTimeout,
    // The headers' time is the request's; Node checks every 30 s by default, so a slow client kept nearly a minute.
    http: {headersTimeout: requestTimeout, connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS},
    // Short, so that stopping serve does not wait long for idle connections.
    keepAliveTimeout: 5_000,
    // HEAD on a GET route would run it: GET /diff fetches and takes the repository's lock.
    exposeHeadRoutes: false,
    // An unknown field is refused, not dropped, and a value of the wrong type is refused, not converted.
    ajv: {customOptions: {removeAdditional: false, coerceTypes: false}},
    // Refusals before a route is known, by the router and by Node's parser, in kedge's format too.
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
  })

  refuseBodiesCleanly(app)
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // The API's writes fail on a full or read-only home as the CLI's do.
    const fault = options.context.store.storageFault(error)
    const {status, body} = fault ? errorResponse(fault) : fastifyErrorResponse(error, request.routeOptions.bodyLimit)
    if (status >= 500) options.logger.log('error', 'http.failed', {error: error.message})
    return reply.status(status).send(body)
  })
  app.setNotFoundHandler((request, reply) => reply.status(404).send({error: {code: 'not_found', message: `no route ${request.method} ${boundedEcho(request.url.split('?')[0]!)}`}}))
  // Whatever kedge answers passes through redaction, as everything else it writes.
  app.addHook('preSerialization', async (_request, _reply, payload) => redactDeep(payload))
  app.addHook('onResponse', async (request, reply) => {
    options.logger.log('debug', 'http.request', {method: request.method, route: request.routeOptions.url ?? request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime)})
  })

  app.addHook('onSend', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS)
  })
  // The event streams are long requests: they end before the server waits for its requests to finish.
  app.addHook('preClose', async () => options.feed.close())

  app.get('/health', async () => ({status: 'ok'}))
  // Readiness is the repositories': an engine down (a remote one, say) does not make serve unready; ?engine=NAME asks of that engine alone.
  app.get<{Querystring: {engine?: string}}>('/ready', {schema: {querystring: READY_QUERY}}, async (request, reply) => {
    const readiness = options.control.readiness()
    if (request.query.engine === undefined) return reply.status(readiness.ready ? 200 : 503).send(readiness)
    const engine = watchedEngine(readiness.engines ?? [], request.query.engine)
    return reply.status(engine.up ? 200 : 503).send(engine)
  })
  app.get('/metrics', async (_request, reply) => {
    const text = await options.metrics.registry.metrics()
    return reply.type(options.metrics.registry.contentType).send(text)
  })

  const access: AccessSettings = {adminToken: options.adminToken, tokens: options.tokens, sessions: new SessionSigner(options.adminToken)}
  registerDashboardRoutes(app, options.dashboard)
  app.register(async (session) => registerSessionRoutes(session, options, access), {prefix: '/api/v1/session'})
  app.register(async (api) => registerApiRoutes(api, options, access), {prefix: '/api/v1'})
  app.register(async (hooks) => registerWebhookRoutes(hooks, options), {prefix: '/hooks'})
  return app
}

/** `/ready`'s one parameter: an engine's name, no longer than an engine name may be (and the echo of an error is bounded). */
const READY_QUERY = {type: 'object', properties: {engine: {type: 'string', minLength: 1, maxLength: 100}}} as const

/** The engine /ready?engine=NAME asks of: 400 for a name no engine can have, 404 for one serve does not watch. */
function watchedEngine(engines: readonly EngineReadiness[], name: string): EngineReadiness {
  if (name !== LOCAL_ENGINE) checkEngineName(name)
  const found = engines.find((engine) => engine.name === name)
  if (found) return found
  throw new NotFoundError(`serve watches no engine named ${name}`, {
    hint: 'serve watches the local engine and each registered engine a repository or stack is set to; "kedge engine list" shows the registered ones',
  })
}

/** Fastify's own errors (validation, body limits, media types) in kedge's error format; kedge's errors as mapped. */
function fastifyErrorResponse(error: FastifyError, bodyLimit: number): ReturnType<typeof errorResponse> {
  if (error.validation) {
    return {status: 400, body: {error: {code: 'invalid_request', message: `invalid request: ${boundedEcho(error.message)}`}}}
  }
  if (isKedgeError(error)) return errorResponse(error)
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errorResponse(new InvalidInputError(`the request body is larger than the ${describeLimit(bodyLimit)} taken here`, {
        code: 'payload_too_large',
        hint: `webhooks take bodies of up to ${describeLimit(WEBHOOK_BODY_LIMIT)}, the API up to ${describeLimit(API_BODY_LIMIT)}`,
      }))
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {status: 415, body: {error: {code: 'unsupported_media_type', message: 'send application/json'}}}
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return {status: 400, body: {error: {code: 'invalid_request', message: 'the request body is not valid JSON'}}}
  }
  if (error.statusCode && error.statusCode < 500) {
    return {status: error.statusCode, body: {error: {code: 'invalid_request', message: boundedEcho(error.message)}}}
  }
  return errorResponse(error)
}
