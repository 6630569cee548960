import type {FastifyInstance, FastifyRequest} from 'fastify'

import {addRepository, type AddRepositoryRequest} from '../../usecases/repositories/add-repository.js'
import {toDeploymentView} from '../../model/repository/deployment-view.js'
import type {DeployOutcome} from '../../usecases/deploying/deploy.js'
import {diffStacks} from '../../usecases/drift/diff.js'
import {healOnRequest} from '../../usecases/drift/heal-on-request.js'
import {repositoryHistory} from '../../usecases/repositories/history.js'
import {listRepositoryViews, repositoryView} from '../../usecases/repositories/list-repositories.js'
import {removeRepository} from '../../usecases/repositories/remove-repository.js'
import type {AuthRequest} from '../../usecases/repositories/repository-auth.js'
import {repositoryStatuses} from '../../usecases/repositories/repository-status.js'
import {rollbackRepository} from '../../usecases/rollback/rollback.js'
import {syncRepository, type SyncOutcome} from '../../usecases/deploying/sync.js'
import {downStacks, resumeStacks, suspendStacks} from '../../usecases/stacks/holds.js'
import {toHoldResult} from '../../usecases/stacks/hold-result.js'
import {updateRepositorySettings} from '../../usecases/repositories/update-repository.js'
import type {WebhookSecretRequest} from '../../usecases/repositories/webhook-receiver.js'
import {InvalidInputError, type KedgeError} from '../../model/errors.js'
import {COMMIT_STATUS_CHOICES} from '../../model/notify/commit-status.js'
import {type AccessSettings, checkWrite, requestAccess, requireAdmin, type RequestAccess} from './access/request-access.js'
import {registerEventStream} from './live/event-stream.js'
import {actionContext} from './live/action-progress.js'
import {stacksOverview} from '../../usecases/stacks/overview.js'
import {registerNotifyRoutes} from './notify-routes.js'
import {errorResponse} from './error-response.js'
import type {HttpServerOptions} from './server-options.js'

interface NameParams {
  name: string
}

interface StackParams extends NameParams {
  stack?: string
}

interface AddBody {
  url: string
  name?: string
  branch?: string
  path?: string
  interval?: string
  sshKey?: string
  knownHosts?: string
  token?: string
  tokenEnv?: string
  webhookSecret?: string
  webhookSecretEnv?: string
  allowHooks?: boolean
  commitStatus?: string
  commitStatusApi?: string
  allowUnreachable?: boolean
}

interface SettingsBody {
  branch?: string
  interval?: string | null
  allowHooks?: boolean
  commitStatus?: string
  commitStatusApi?: string | null
}

const NAME_PARAMS = {type: 'object', properties: {name: {type: 'string', minLength: 1, maxLength: 63}}, required: ['name']} as const
const STACK_PARAMS = {
  type: 'object',
  properties: {name: {type: 'string', minLength: 1, maxLength: 63}, stack: {type: 'string', minLength: 1, maxLength: 64}},
  required: ['name', 'stack'],
} as const
const TEXT = {type: 'string', minLength: 1, maxLength: 16_384} as const
const URL_TEXT = {type: 'string', minLength: 1, maxLength: 2048} as const
const COMMIT_STATUS = {type: 'string', enum: [...COMMIT_STATUS_CHOICES]} as const

/**
 * `/api/v1`: the CLI's operations over HTTP, calling the same core functions. Every route needs a token
 * (the admin token or an access token) as a bearer token, or the dashboard's session; what acts needs
 * the admin role, and from a session its CSRF token.
 */
export async function registerApiRoutes(api: FastifyInstance, options: HttpServerOptions, access: AccessSettings): Promise<void> {
  const {context} = options
  const now = () => context.clock.now().getTime()
  /** Who each request is, as its hook found: a hold's history row says who set it. */
  const callers = new WeakMap<FastifyRequest, RequestAccess>()
  api.addHook('onRequest', async (request, reply) => {
    let caller: RequestAccess
    try {
      caller = requestAccess(request, access, now())
    } catch (error) {
      reply.header('www-authenticate', 'Bearer')
      throw error
    }
    if (request.method !== 'GET') checkWrite(request, caller, access)
    else if (request.routeOptions.url?.endsWith('/diff')) requireAdmin(caller)
    callers.set(request, caller)
  })
  const holdBy = (request: FastifyRequest) => {
    const caller = callers.get(request)!
    return `${caller.session ? 'the dashboard' : 'the API'} (${caller.name})`
  }

  // A POST without a body (sync) may still say it is JSON; anything else must be valid JSON. Only JSON:
  // Fastify would also take text/plain, and answer a JSON body sent as text "body must be object".
  api.removeAllContentTypeParsers()
  api.addContentTypeParser('application/json', {parseAs: 'string'}, (_request, body, done) => {
    if ((body as string).trim().length === 0) return done(null, undefined)
    try {
      done(null, JSON.parse(body as string))
    } catch {
      done(new InvalidInputError('the request body is not valid JSON', {code: 'invalid_request'}), undefined)
    }
  })

  api.get('/repos', async () => listRepositoryViews(context))
  api.get('/stacks', async () => stacksOverview(context))
  registerEventStream(api, options.feed, access, now, options.logger)

  api.post<{Body: AddBody}>('/repos', {
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: {
          url: TEXT, name: TEXT, branch: TEXT, path: TEXT, interval: TEXT, sshKey: TEXT, knownHosts: TEXT, token: TEXT,
          tokenEnv: TEXT, webhookSecret: TEXT, webhookSecretEnv: TEXT, allowHooks: {type: 'boolean'}, commitStatus: COMMIT_STATUS,
          commitStatusApi: URL_TEXT, allowUnreachable: {type: 'boolean'},
        },
      },
    },
  }, async (request, reply) => {
    const result = await addRepository(context, toAddRequest(request.body))
    return reply.status(201).send(result)
  })

  api.get<{Params: NameParams}>('/repos/:name', {schema: {params: NAME_PARAMS}}, async (request) => repositoryView(context, request.params.name))

  api.patch<{Params: NameParams; Body: SettingsBody}>('/repos/:name', {
    schema: {
      params: NAME_PARAMS,
      body: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          branch: {type: 'string', minLength: 1, maxLength: 255},
          interval: {type: ['string', 'null'], minLength: 1, maxLength: 32},
          allowHooks: {type: 'boolean'},
          commitStatus: COMMIT_STATUS,
          commitStatusApi: {...URL_TEXT, type: ['string', 'null']},
        },
      },
    },
  }, async (request) => updateRepositorySettings(context, request.params.name, request.body))

  await registerNotifyRoutes(api, options)

  api.delete<{Params: NameParams; Querystring: {down?: 'true' | 'false'}}>('/repos/:name', {
    schema: {params: NAME_PARAMS, querystring: {type: 'object', additionalProperties: false, properties: {down: {type: 'string', enum: ['true', 'false']}}}},
  }, async (request) => removeRepository(context, request.params.name, {down: request.query.down === 'true', volumes: false, purge: false}))

  // Each stack's own routes beside the repository's: `/repos/:name/X` is all of its stacks, `/repos/:name/stacks/:stack/X` one.
  for (const prefix of ['/repos/:name', '/repos/:name/stacks/:stack']) {
    const params = prefix.includes(':stack') ? STACK_PARAMS : NAME_PARAMS
    const addressOf = (request: {params: StackParams}) => (request.params.stack === undefined ? request.params.name : `${request.params.name}/${request.params.stack}`)

    api.get<{Params: StackParams}>(`${prefix}/status`, {schema: {params}}, async (request) => {
      const statuses = await repositoryStatuses(context, addressOf(request))
      return statuses.length === 1 ? statuses[0] : statuses
    })

    api.get<{Params: StackParams}>(`${prefix}/diff`, {schema: {params}}, async (request) => {
      const results = await diffStacks(context, addressOf(request))
      return results.length === 1 ? results[0] : {repo: results[0]!.repo, stacks: results}
    })

    api.get<{Params: StackParams; Querystring: {limit?: string}}>(`${prefix}/history`, {
      schema: {
        params,
        querystring: {type: 'object', additionalProperties: false, properties: {limit: {type: 'string', pattern: '^([1-9][0-9]{0,2}|1000)$'}}},
      },
    }, async (request) => repositoryHistory(context, addressOf(request), Number(request.query.limit ?? 20)))

    // No body, or an empty object: a field (a "commit", say) would be ignored, and the head deployed instead.
    api.post<{Params: StackParams}>(`${prefix}/sync`, {schema: {params, body: {type: ['object', 'null'], additionalProperties: false}}}, async (request, reply) => {
      const outcomes = await syncRepository(actionContext(request, options, addressOf(request)), addressOf(request), {signal: options.abandon})
      if (outcomes.length === 1) return sendOutcome(reply, request.params.name, outcomes[0]!)
      return sendStacks(reply, request.params.name, outcomes, deployedStacks(outcomes))
    })

    for (const [action, hold] of [['down', downStacks], ['suspend', suspendStacks], ['resume', resumeStacks]] as const) {
      api.post<{Params: StackParams}>(`${prefix}/${action}`, {schema: {params, body: {type: ['object', 'null'], additionalProperties: false}}}, async (request, reply) => {
        const changes = await hold(actionContext(request, options, addressOf(request)), addressOf(request), {by: holdBy(request), signal: options.abandon})
        return sendStacks(reply, request.params.name, changes, changes.map(toHoldResult))
      })
    }

    api.post<{Params: StackParams}>(`${prefix}/heal`, {schema: {params, body: {type: ['object', 'null'], additionalProperties: false}}}, async (request, reply) => {
      const healed = await healOnRequest(actionContext(request, options, addressOf(request)), addressOf(request), {signal: options.abandon})
      const stacks = healed.map((outcome) => ({
        stack: outcome.stack,
        address: outcome.address,
        result: outcome.result,
        reason: outcome.reason,
        deployment: outcome.deployment ? toDeploymentView(outcome.deployment, outcome.stack) : null,
      }))
      return sendStacks(reply, request.params.name, healed, stacks)
    })

    api.post<{Params: StackParams}>(`${prefix}/up`, {schema: {params, body: {type: ['object', 'null'], additionalProperties: false}}}, async (request, reply) => {
      const outcomes = await syncRepository(actionContext(request, options, addressOf(request)), addressOf(request), {up: true, signal: options.abandon})
      return sendStacks(reply, request.params.name, outcomes, deployedStacks(outcomes))
    })

    api.post<{Params: StackParams; Body: {commit: string}}>(`${prefix}/rollback`, {
      schema: {
        params,
        body: {type: 'object', additionalProperties: false, required: ['commit'], properties: {commit: {type: 'string', minLength: 1, maxLength: 64}}},
      },
    }, async (request, reply) => sendOutcome(reply, request.params.name, await rollbackRepository(actionContext(request, options, addressOf(request)), addressOf(request), request.body.commit, {signal: options.abandon})))
  }
}

type Reply = {status(code: number): {send(body: unknown): unknown}}

/** Several stacks' results: 200 with them, or the first stack's error with them alongside. */
function sendStacks(reply: Reply, repo: string, outcomes: ReadonlyArray<{error?: KedgeError | null}>, stacks: unknown[]): unknown {
  const failed = outcomes.find((outcome) => outcome.error)?.error
  if (!failed) return reply.status(200).send({repo, stacks})
  const {status, body} = errorResponse(failed)
  return reply.status(status).send({...body, stacks})
}

/** Each stack's deployment as a sync or an `up` answers it. */
function deployedStacks(outcomes: SyncOutcome[]): unknown[] {
  return outcomes.map((outcome) => ({stack: outcome.stack, deployment: toDeploymentView(outcome.deployment, outcome.stack), changes: outcome.changes, ...(outcome.skipped ? {skipped: outcome.skipped} : {})}))
}

/** A deployment that ran and failed is an error with the deployment alongside, as the CLI prints both. */
function sendOutcome(reply: Reply, repo: string, outcome: DeployOutcome): unknown {
  const deployment = toDeploymentView(outcome.deployment, outcome.stack)
  if (outcome.error) {
    const {status, body} = errorResponse(outcome.error)
    return reply.status(status).send({...body, deployment})
  }
  return reply.status(200).send({repo, deployment, changes: outcome.changes})
}

function toAddRequest(body: AddBody): AddRepositoryRequest {
  return {
    url: body.url,
    name: body.name,
    branch: body.branch,
    path: body.path,
    interval: body.interval,
    auth: authOf(body),
    webhookSecret: webhookSecretOf(body),
    allowHooks: body.allowHooks,
    commitStatus: body.commitStatus,
    commitStatusApi: body.commitStatusApi,
    allowUnreachable: body.allowUnreachable,
  }
}

function authOf(body: AddBody): AuthRequest | undefined {
  const given = [body.sshKey, body.token, body.tokenEnv].filter((value) => value !== undefined).length
  if (given > 1) throw invalidBody('give one of sshKey, token and tokenEnv')
  if (body.knownHosts !== undefined && body.sshKey === undefined) throw invalidBody('knownHosts goes with sshKey')
  if (body.sshKey !== undefined) {
    return {kind: 'ssh_key', key: {content: body.sshKey, name: 'sshKey'}, knownHosts: body.knownHosts === undefined ? undefined : {content: body.knownHosts, name: 'knownHosts'}}
  }
  if (body.token !== undefined) return {kind: 'token', token: body.token}
  if (body.tokenEnv !== undefined) return {kind: 'token_env', variable: body.tokenEnv}
  return undefined
}

function webhookSecretOf(body: AddBody): WebhookSecretRequest | undefined {
  if (body.webhookSecret !== undefined && body.webhookSecretEnv !== undefined) throw invalidBody('give webhookSecret or webhookSecretEnv, not both')
  if (body.webhookSecret !== undefined) return {kind: 'value', secret: body.webhookSecret}
  if (body.webhookSecretEnv !== undefined) return {kind: 'env', variable: body.webhookSecretEnv}
  return undefined
}

function invalidBody(message: string): InvalidInputError {
  return new InvalidInputError(`invalid request: ${message}`, {code: 'invalid_request'})
}
