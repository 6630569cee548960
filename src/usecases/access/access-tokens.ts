import {checkAccessTokenRow} from '../../model/access/access-token-row.js'
import {DEFAULT_ACCESS_ROLE, hasExpired, hashAccessToken, normalizeAccessTokenName, parseAccessRole, type AccessRole} from '../../model/access/access-token.js'
import {parseTokenLifetime} from '../../model/access/token-lifetime.js'
import {ACCESS_TOKEN_BYTES, formatAccessToken, isAccessTokenShape} from '../../model/access/token-format.js'
import {ConflictError, NotFoundError, quoted} from '../../model/errors.js'
import type {AccessTokenRow} from '../../model/rows.js'
import type {KedgeContext} from '../context.js'

/**
 * Named access tokens (`kedge token`): made here, shown once, kept only as a hash. serve's HTTP side takes
 * them beside the admin token (verifyAccessToken), and a dashboard session carries its token's id, so
 * that revoking or expiring the token ends the session too (accessTokenGrant).
 */

/** What a token lets its bearer do, and which token it is. */
export interface AccessGrant {
  role: AccessRole
  name: string
  tokenId: number
  /**
   * The start of the token's hash: a session names its token by id and this, so that another token given
   * the same id (a database restored or recreated, another home under the same admin token) is not it.
   */
  fingerprint: string
}

/** Hex digits of the token's hash a session keeps: 64 bits, enough that no other token shares them by chance. */
const FINGERPRINT_LENGTH = 16

export interface CreateAccessTokenRequest {
  name: string
  /** `read` (the default) or `admin`. */
  role?: string
  /** How long it lasts, as `--expires` takes it ("90d", "12h"); undefined never expires. */
  expires?: string
}

/** What `token create` answers, the only time the token is ever shown. */
export interface CreatedAccessToken {
  name: string
  role: AccessRole
  token: string
  createdAt: string
  expiresAt: string | null
}

/** A token as `token list` shows it: never the token, nor its hash. */
export interface AccessTokenView {
  name: string
  role: AccessRole
  createdAt: string
  expiresAt: string | null
  lastUsedAt: string | null
  expired: boolean
}

export interface RevokedAccessToken {
  name: string
}

/** How often a token's last use is written at most: a write for each request would be a write per page view. */
export const LAST_USE_RESOLUTION_MS = 60_000

const LIST_HINT = 'run "kedge token list" to see the tokens'

/** What a request says by itself, checked without the home: the CLI asks before it opens the home. */
export function checkAccessTokenRequest(request: CreateAccessTokenRequest): {name: string; role: AccessRole; lifetimeMs: number | null} {
  return {
    name: normalizeAccessTokenName(request.name),
    role: request.role === undefined ? DEFAULT_ACCESS_ROLE : parseAccessRole(request.role),
    lifetimeMs: request.expires === undefined ? null : parseTokenLifetime(request.expires),
  }
}

/** Makes a token from fresh random bytes and stores its hash; the token itself is in the answer and nowhere else. */
export function createAccessToken(context: Pick<KedgeContext, 'store' | 'secrets' | 'clock'>, request: CreateAccessTokenRequest): CreatedAccessToken {
  const {name, role, lifetimeMs} = checkAccessTokenRequest(request)
  const token = formatAccessToken(context.secrets.randomBytes(ACCESS_TOKEN_BYTES))
  const createdAt = context.clock.now()
  const expiresAt = lifetimeMs === null ? null : new Date(createdAt.getTime() + lifetimeMs)
  const row = context.store.insertAccessToken({name, role, tokenHash: hashAccessToken(token), createdAt, expiresAt, lastUsedAt: null})
  if (!row) {
    throw new ConflictError(`an access token named ${quoted(name)} already exists`, {
      hint: `choose another name, or revoke it first with "kedge token revoke ${name}"`,
    })
  }
  return {name: row.name, role: row.role, token, createdAt: row.createdAt.toISOString(), expiresAt: row.expiresAt?.toISOString() ?? null}
}

/** Every token, by name; a row kedge did not write fails the listing with corrupt_row, whose hint names it to revoke. */
export function listAccessTokens(context: Pick<KedgeContext, 'store' | 'clock'>): AccessTokenView[] {
  const now = context.clock.now()
  return context.store.listAccessTokens().map((row) => accessTokenView(checkAccessTokenRow(row), now))
}

/** Deletes the token: from now on it opens nothing, and the sessions it began end. A damaged row is deleted too. */
export function revokeAccessToken(context: Pick<KedgeContext, 'store'>, name: string): RevokedAccessToken {
  // The name as typed first: a row edited by hand may hold a name `token create` would not take.
  const deleted = context.store.deleteAccessToken(name) ?? context.store.deleteAccessToken(name.trim().toLowerCase())
  if (!deleted) throw new NotFoundError(`no access token named ${quoted(name)}`, {hint: LIST_HINT})
  return {name: deleted.name}
}

/**
 * The grant of a presented bearer token; null for a string not of a token's shape, a token kedge does not
 * know (revoked, or never made) or one that has expired. Records its use, at most once a minute. The
 * token is looked up by its hash: comparing hashes leaks nothing of use, since no token can be found from
 * its hash.
 */
export function verifyAccessToken(context: Pick<KedgeContext, 'store' | 'clock'>, presented: string): AccessGrant | null {
  if (!isAccessTokenShape(presented)) return null
  const stored = context.store.findAccessTokenByHash(hashAccessToken(presented))
  if (!stored) return null
  const row = checkAccessTokenRow(stored)
  const now = context.clock.now()
  if (hasExpired(row.expiresAt, now)) return null
  if (row.lastUsedAt === null || now.getTime() - row.lastUsedAt.getTime() >= LAST_USE_RESOLUTION_MS) context.store.recordAccessTokenUse(row.id, now)
  return grantOf(row)
}

/** The grant of a session's token, by its id and fingerprint, while it exists and has not expired; null once it is revoked or expired. */
export function accessTokenGrant(context: Pick<KedgeContext, 'store' | 'clock'>, tokenId: number, fingerprint: string): AccessGrant | null {
  const stored = context.store.findAccessTokenById(tokenId)
  if (!stored) return null
  const row = checkAccessTokenRow(stored)
  if (fingerprintOf(row) !== fingerprint) return null
  return hasExpired(row.expiresAt, context.clock.now()) ? null : grantOf(row)
}

function grantOf(row: AccessTokenRow): AccessGrant {
  return {role: row.role, name: row.name, tokenId: row.id, fingerprint: fingerprintOf(row)}
}

function fingerprintOf(row: AccessTokenRow): string {
  return row.tokenHash.slice(0, FINGERPRINT_LENGTH)
}

function accessTokenView(row: AccessTokenRow, now: Date): AccessTokenView {
  return {
    name: row.name,
    role: row.role,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    expired: hasExpired(row.expiresAt, now),
  }
}
