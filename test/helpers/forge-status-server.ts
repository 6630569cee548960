import http from 'node:http'
import type net from 'node:net'

import type {Forge} from '../../src/model/notify/commit-status.js'
import {waitFor} from './wait.js'

/** One status the server accepted, in the same words whichever forge it came to. */
export interface ForgeStatusCall {
  forge: Forge
  commit: string
  /** As the forge names it (GitLab's `failed`, not `failure`). */
  state: string
  /** GitHub's and Gitea's `context`, GitLab's `name`. */
  context: string
  description: string
  targetUrl: string | null
}

export interface ForgeStatusServer {
  /** What kedge is to be given as the forge's API base. */
  apiBase(forge: Forge): string
  /** The accepted statuses, oldest first. */
  readonly calls: ForgeStatusCall[]
  waitFor(predicate: (calls: readonly ForgeStatusCall[]) => boolean, timeoutMs?: number): Promise<void>
  /** While set, every request is answered with this status, as by a forge that is down; null ends it. */
  setFailing(status: number | null): void
  close(): Promise<void>
}

/** The status and JSON body of an answer. */
interface Answer {
  status: number
  body: unknown
}

type Fields = Record<string, unknown>

/**
 * What differs between the forges: where the endpoint is, how the token comes, what each refuses and how
 * it says so, and the status it answers with. Taken from their API documentation (see
 * src/model/notify/commit-status.ts).
 */
interface Dialect {
  /** Matches the raw path: the repository's path, percent-encoded, then the sha. */
  route: RegExp
  repositoryOf(match: RegExpExecArray): string
  tokenOf(headers: http.IncomingHttpHeaders): string | undefined
  unauthorized: Answer
  repositoryNotFound: Answer
  unknownCommit(sha: string): Answer
  unparseable: Answer
  /** A refusal of the fields, or the call they make. */
  check(fields: Fields): Answer | Omit<ForgeStatusCall, 'forge' | 'commit'>
  created(call: ForgeStatusCall, id: number, url: string): unknown
}

const FULL_SHA = /^[0-9a-f]{40}$/
const GITHUB_DOCS = 'https://docs.github.com/rest/commits/statuses#create-a-commit-status'
const CREATOR = {login: 'kedge-bot', id: 1, type: 'User'}

/** `Authorization: Bearer …` or `token …`: GitHub and Gitea take either. */
function authorizationToken(headers: http.IncomingHttpHeaders): string | undefined {
  return /^(?:Bearer|token)\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1]
}

/** Each field in `names` that is there is a string (or, where `nullable`, null). */
function wrongType(fields: Fields, names: string[], nullable: boolean): string | undefined {
  return names.find((name) => name in fields && typeof fields[name] !== 'string' && !(nullable && fields[name] === null))
}

const DIALECTS: Record<Forge, Dialect> = {
  github: {
    route: /^\/github\/repos\/([^/]+)\/([^/]+)\/statuses\/([^/]+)$/,
    repositoryOf: (match) => `${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`,
    tokenOf: authorizationToken,
    unauthorized: {status: 401, body: {message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest'}},
    repositoryNotFound: {status: 404, body: {message: 'Not Found', documentation_url: GITHUB_DOCS}},
    unknownCommit: (sha) => ({status: 422, body: {message: `No commit found for SHA: ${sha}`, documentation_url: GITHUB_DOCS}}),
    unparseable: {status: 400, body: {message: 'Problems parsing JSON', documentation_url: GITHUB_DOCS}},
    check(fields) {
      const invalid = (message: string): Answer => ({status: 422, body: {message, documentation_url: GITHUB_DOCS}})
      const failed = (field: string, message: string): Answer => ({
        status: 422,
        body: {message: 'Validation Failed', errors: [{resource: 'Status', code: 'custom', field, message}], documentation_url: GITHUB_DOCS},
      })
      if (!('state' in fields)) return invalid('Invalid request.\n\n"state" wasn\'t supplied.')
      const mistyped = wrongType(fields, ['target_url', 'description'], true) ?? wrongType(fields, ['state', 'context'], false)
      if (mistyped) return invalid(`Invalid request.\n\nFor 'properties/${mistyped}', ${JSON.stringify(fields[mistyped])} is not a string.`)
      if (!['error', 'failure', 'pending', 'success'].includes(fields.state as string)) return failed('state', 'state is not included in the list')
      const description = (fields.description as string | null | undefined) ?? ''
      if ([...description].length > 140) return failed('description', 'description is too long (maximum is 140 characters)')
      return {state: fields.state as string, context: (fields.context as string | undefined) ?? 'default', description, targetUrl: (fields.target_url as string | null | undefined) ?? null}
    },
    created: (call, id, url) => ({
      url,
      avatar_url: null,
      id,
      node_id: `SC_${id}`,
      state: call.state,
      description: call.description,
      target_url: call.targetUrl,
      context: call.context,
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
      creator: CREATOR,
    }),
  },

  gitea: {
    route: /^\/gitea\/api\/v1\/repos\/([^/]+)\/([^/]+)\/statuses\/([^/]+)$/,
    repositoryOf: (match) => `${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`,
    tokenOf: authorizationToken,
    unauthorized: {status: 401, body: {message: 'token is required', url: 'https://gitea.example/api/swagger'}},
    repositoryNotFound: {status: 404, body: {errors: ['repository does not exist'], message: "The target couldn't be found.", url: ''}},
    unknownCommit: (sha) => ({status: 404, body: {errors: [`sha ${sha} does not exist`], message: "The target couldn't be found.", url: ''}}),
    unparseable: {status: 422, body: [{fieldNames: [], classification: 'DeserializationError', message: 'invalid character'}]},
    check(fields) {
      const mistyped = wrongType(fields, ['state', 'target_url', 'description', 'context'], false)
      // Gitea's documented CommitStatusState values.
      if (mistyped || !['pending', 'success', 'error', 'failure', 'warning'].includes(fields.state as string)) {
        return {status: 422, body: {message: `invalid ${mistyped ?? 'state'}`, url: ''}}
      }
      return {
        state: fields.state as string,
        context: (fields.context as string | undefined) ?? '',
        description: (fields.description as string | undefined) ?? '',
        targetUrl: (fields.target_url as string | undefined) ?? null,
      }
    },
    created: (call, id, url) => ({
      id,
      status: call.state,
      target_url: call.targetUrl ?? '',
      description: call.description,
      url,
      context: call.context,
      creator: CREATOR,
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
    }),
  },

  gitlab: {
    // :id is one path segment: the project's path with its slashes encoded.
    route: /^\/gitlab\/api\/v4\/projects\/([^/]+)\/statuses\/([^/]+)$/,
    repositoryOf: (match) => decodeURIComponent(match[1]!),
    tokenOf: (headers) => (typeof headers['private-token'] === 'string' ? headers['private-token'] : /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1]),
    unauthorized: {status: 401, body: {message: '401 Unauthorized'}},
    repositoryNotFound: {status: 404, body: {message: '404 Project Not Found'}},
    unknownCommit: () => ({status: 404, body: {message: '404 Commit Not Found'}}),
    unparseable: {status: 400, body: {error: 'the body is not valid JSON'}},
    check(fields) {
      if (!('state' in fields)) return {status: 400, body: {error: 'state is missing'}}
      if (!['pending', 'running', 'success', 'failed', 'canceled'].includes(fields.state as string)) {
        return {status: 400, body: {error: 'state does not have a valid value'}}
      }
      const mistyped = wrongType(fields, ['name', 'context', 'target_url', 'description'], false)
      if (mistyped) return {status: 400, body: {error: `${mistyped} is invalid`}}
      return {
        state: fields.state as string,
        // `name` and `context` are the same parameter.
        context: (fields.name as string | undefined) ?? (fields.context as string | undefined) ?? 'default',
        description: (fields.description as string | undefined) ?? '',
        targetUrl: (fields.target_url as string | undefined) ?? null,
      }
    },
    created: (call, id) => ({
      id,
      sha: call.commit,
      ref: 'main',
      status: call.state,
      name: call.context,
      target_url: call.targetUrl,
      description: call.description || null,
      created_at: new Date().toISOString(),
      started_at: null,
      finished_at: null,
      allow_failure: false,
      coverage: null,
      author: {id: 1, username: 'kedge-bot', name: 'kedge', state: 'active'},
    }),
  },
}

const API_PATHS: Record<Forge, string> = {github: '/github', gitea: '/gitea/api/v1', gitlab: '/gitlab/api/v4'}

/**
 * A forge's commit status API for one repository, GitHub's, Gitea's and GitLab's side by side on one
 * port on 127.0.0.1, strict as the forges are: the method, the token, the repository, a full sha, the
 * fields and their allowed values. It records each status it accepts.
 */
export async function startForgeStatusServer(options: {token: string; repositoryPath: string}): Promise<ForgeStatusServer> {
  const calls: ForgeStatusCall[] = []
  let failing: number | null = null

  const answer = (request: http.IncomingMessage, body: Buffer): Answer => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    for (const [forge, dialect] of Object.entries(DIALECTS) as Array<[Forge, Dialect]>) {
      const match = dialect.route.exec(url.pathname)
      if (!match) continue
      if (failing !== null) return {status: failing, body: {message: http.STATUS_CODES[failing] ?? 'failing'}}
      if (request.method !== 'POST') return {status: 405, body: {message: 'Method Not Allowed'}}
      if (dialect.tokenOf(request.headers) !== options.token) return dialect.unauthorized
      if (dialect.repositoryOf(match).toLowerCase() !== options.repositoryPath.toLowerCase()) return dialect.repositoryNotFound
      const sha = match.at(-1)!
      if (!FULL_SHA.test(sha)) return dialect.unknownCommit(sha)

      const fields = parseFields(body)
      if (!fields) return dialect.unparseable
      // GitLab reads its parameters from the query string as well as the body.
      const checked = dialect.check(forge === 'gitlab' ? {...Object.fromEntries(url.searchParams), ...fields} : fields)
      if ('status' in checked) return checked
      const call: ForgeStatusCall = {forge, commit: sha, ...checked}
      calls.push(call)
      return {status: 201, body: dialect.created(call, calls.length, `http://${request.headers.host}${url.pathname}`)}
    }
    return {status: 404, body: {message: 'Not Found'}}
  }

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const {status, body} = answer(request, Buffer.concat(chunks))
      response.writeHead(status, {'content-type': 'application/json; charset=utf-8'})
      response.end(JSON.stringify(body))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const {port} = server.address() as net.AddressInfo

  return {
    apiBase: (forge) => `http://127.0.0.1:${port}${API_PATHS[forge]}`,
    calls,
    async waitFor(predicate, timeoutMs = 10_000) {
      await waitFor('the statuses on the forge to match', () => predicate(calls), timeoutMs, 20).catch((error: Error) => {
        throw new Error(`${error.message}; it has ${JSON.stringify(calls)}`)
      })
    },
    setFailing(status) {
      failing = status
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      // close() alone would wait for the client's keep-alive connections to time out.
      server.closeAllConnections()
      await closed
    },
  }
}

/** The body as a JSON object; an empty body is no fields. Null when it is not a JSON object. */
function parseFields(body: Buffer): Fields | null {
  if (body.length === 0) return {}
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'))
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Fields) : null
  } catch {
    return null
  }
}
