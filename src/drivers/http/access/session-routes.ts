import type {FastifyInstance, FastifyRequest} from 'fastify'

import {UnauthorizedError} from '../../../model/errors.js'
import type {HttpServerOptions} from '../server-options.js'
import {type AccessSettings, checkWrite, refuseOtherSites, requestAccess, tokenAccess} from './request-access.js'
import {clearedSessionCookieHeader, sessionCookieHeader} from './session-cookie.js'

interface LoginBody {
  token: string
}

/**
 * `/api/v1/session`: the dashboard's login (a token in, a session cookie out), who the session is, and
 * logout. The token is taken in a JSON body only, which a form of another site cannot send.
 */
export async function registerSessionRoutes(routes: FastifyInstance, options: HttpServerOptions, access: AccessSettings): Promise<void> {
  const now = () => options.context.clock.now().getTime()

  routes.get('/', async (request) => {
    const caller = requestAccess(request, access, now())
    return {
      role: caller.role,
      name: caller.name,
      csrf: caller.session ? access.sessions.csrfOf(caller.session) : null,
      expiresAt: caller.session ? new Date(caller.session.expiresAt).toISOString() : null,
    }
  })

  routes.post<{Body: LoginBody}>('/', {
    schema: {body: {type: 'object', additionalProperties: false, required: ['token'], properties: {token: {type: 'string', minLength: 1, maxLength: 256}}}},
  }, async (request, reply) => {
    // A login posted by another site's page would sign the browser in under someone else's token.
    refuseOtherSites(request)
    const presented = tokenAccess(request.body.token, access)
    if (!presented) {
      options.logger.log('warn', 'http.login_refused', {from: request.ip})
      throw new UnauthorizedError('wrong token', {hint: 'give the admin token (<home>/admin.token) or a token from "kedge token create"'})
    }
    const {cookie, claims} = access.sessions.issue(presented.subject, now())
    const caller = presented.access
    options.logger.log('info', 'http.login', {token: caller.name, role: caller.role})
    reply.header('set-cookie', sessionCookieHeader(cookie, {secure: cameOverHttps(request)}))
    return {role: caller.role, name: caller.name, csrf: access.sessions.csrfOf(claims), expiresAt: new Date(claims.expiresAt).toISOString()}
  })

  routes.delete('/', async (request, reply) => {
    const caller = requestAccess(request, access, now())
    checkWrite(request, caller, access, {anyRole: true})
    return reply.header('set-cookie', clearedSessionCookieHeader({secure: cameOverHttps(request)})).status(204).send()
  })
}

/** Behind a proxy that ends TLS, its X-Forwarded-Proto says so; it only adds Secure, which a client lying about it would deny itself. */
function cameOverHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https'
}
