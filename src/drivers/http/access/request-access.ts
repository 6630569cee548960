import {ForbiddenError, UnauthorizedError} from '../../../model/errors.js'
import {tokenMatches} from '../admin-token.js'
import {type SessionClaims, type SessionSigner, type SessionSubject, sessionCookieOf} from './session-cookie.js'

export type AccessRole = 'admin' | 'read'

/** What a named access token grants (`kedge token create`), as its store answers it. */
export interface TokenGrant {
  role: AccessRole
  name: string
  tokenId: number
  /** The start of the token's hash, which a session keeps beside the id. */
  fingerprint: string
}

/** The named access tokens: how a presented one is checked, and whether a session's token still stands. */
export interface NamedTokens {
  verify(presented: string): TokenGrant | null
  grant(tokenId: number, fingerprint: string): TokenGrant | null
}

/** Who is asking and what they may do. */
export interface RequestAccess {
  role: AccessRole
  /** The token's name, or `admin token`. */
  name: string
  /** Set when the request came with the dashboard's session cookie rather than a bearer token. */
  session: SessionClaims | null
}

export interface AccessSettings {
  adminToken: string
  tokens: NamedTokens
  sessions: SessionSigner
}

export const ADMIN_NAME = 'admin token'

const MISSING_TOKEN_HINT =
  'send the admin token (<home>/admin.token, or KEDGE_ADMIN_TOKEN) or a token from "kedge token create" as a bearer token in the Authorization header, or log in to the dashboard at /'

interface AskingRequest {
  method: string
  headers: Record<string, string | string[] | undefined>
}

/** A bearer token first (the API's clients), else the session cookie (the dashboard); 401 for neither. */
export function requestAccess(request: AskingRequest, settings: AccessSettings, now: number): RequestAccess {
  const authorization = headerOf(request, 'authorization')
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization)
    const access = match ? tokenAccess(match[1]!, settings)?.access : null
    if (!access) throw new UnauthorizedError('missing or wrong token', {hint: MISSING_TOKEN_HINT})
    return access
  }
  const cookie = sessionCookieOf(headerOf(request, 'cookie'))
  const claims = cookie === undefined ? null : settings.sessions.read(cookie, now)
  const access = claims ? sessionAccess(claims, settings) : null
  if (!access) {
    throw new UnauthorizedError(cookie === undefined ? 'missing or wrong token' : 'the session has ended', {hint: cookie === undefined ? MISSING_TOKEN_HINT : 'log in again'})
  }
  return access
}

/** The admin token or a named token, with what a session of it names as its subject; null for neither. */
export function tokenAccess(presented: string, settings: AccessSettings): {access: RequestAccess; subject: SessionSubject} | null {
  if (tokenMatches(settings.adminToken, presented)) return {access: {role: 'admin', name: ADMIN_NAME, session: null}, subject: 'admin'}
  const grant = settings.tokens.verify(presented)
  if (!grant) return null
  return {access: {role: grant.role, name: grant.name, session: null}, subject: {tokenId: grant.tokenId, fingerprint: grant.fingerprint}}
}

/**
 * A write needs the admin role, and, from a session, the session's CSRF token in `X-CSRF-Token` and no
 * other site's Origin: the cookie goes with any request the browser makes, the header only with the
 * dashboard's own.
 */
export function checkWrite(request: AskingRequest, access: RequestAccess, settings: AccessSettings, options: {anyRole?: boolean} = {}): void {
  if (access.session) {
    if (!settings.sessions.csrfMatches(access.session, headerOf(request, 'x-csrf-token'))) {
      throw new ForbiddenError('the request has no valid CSRF token', {code: 'csrf_failed', hint: 'reload the dashboard and try again'})
    }
    refuseOtherSites(request)
  }
  if (!options.anyRole) requireAdmin(access)
}

/** The admin role: for every write, and for the reads that act (a diff fetches the branch, takes the repository's lock and records drift). */
export function requireAdmin(access: RequestAccess): void {
  if (access.role !== 'admin') {
    throw new ForbiddenError(`"${access.name}" is a read-only token`, {hint: 'use the admin token, or a token made with "kedge token create --role admin"'})
  }
}

function sessionAccess(claims: SessionClaims, settings: AccessSettings): RequestAccess | null {
  // The admin token's sessions are signed with a key derived from it: a valid signature is the check.
  if (claims.subject === 'admin') return {role: 'admin', name: ADMIN_NAME, session: claims}
  const grant = settings.tokens.grant(claims.subject.tokenId, claims.subject.fingerprint)
  return grant ? {role: grant.role, name: grant.name, session: claims} : null
}

/**
 * A request a page of another site made: its Origin names another host than the one the browser asked
 * for (`X-Forwarded-Host` behind a proxy that changes `Host`, which a page cannot set: it is no header a
 * browser sends across sites without asking first). One with no Origin is not a browser's cross-site write.
 */
export function refuseOtherSites(request: AskingRequest): void {
  const origin = headerOf(request, 'origin')
  if (origin === undefined) return
  // Proxies in a chain append theirs: the first is the one the browser asked for.
  const host = headerOf(request, 'x-forwarded-host')?.split(',')[0]?.trim() ?? headerOf(request, 'host')
  let originHost: string | null = null
  try {
    originHost = new URL(origin).host
  } catch {
    // An Origin that is not a URL ("null", a sandboxed page) is another site's too.
  }
  if (originHost === null || originHost !== host) {
    throw new ForbiddenError('the request comes from another site', {code: 'csrf_failed', hint: 'use the dashboard served by kedge itself'})
  }
}

function headerOf(request: AskingRequest, name: string): string | undefined {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}
