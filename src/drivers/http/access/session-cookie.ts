import {createHmac, randomBytes, timingSafeEqual} from 'node:crypto'

/** The dashboard's session: a cookie the browser sends and its script cannot read (HttpOnly). */
export const SESSION_COOKIE = 'kedge_session'
/** A session lasts this long from its login; then the token is asked for again. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000
/** Longer is no cookie kedge wrote: it is not parsed. */
const MAX_COOKIE_LENGTH = 512

/**
 * Who a session is for: the admin token itself, or a named access token by its id and the start of its
 * hash (so revoking the token ends its sessions, and no other token given the same id inherits them).
 */
export type SessionSubject = 'admin' | {tokenId: number; fingerprint: string}

export interface SessionClaims {
  subject: SessionSubject
  issuedAt: number
  expiresAt: number
  /** Random per login: what the session's CSRF token is derived from. */
  nonce: string
}

/**
 * Signs and reads session cookies. The key is derived from the admin token, so the sessions live in no
 * file and survive a restart of serve, and a new admin token ends every session. Nothing is kept per
 * session on the server: logging out clears the browser's cookie, and a revoked token's sessions fail
 * their next request.
 */
export class SessionSigner {
  private readonly key: Buffer

  constructor(adminToken: string) {
    this.key = createHmac('sha256', adminToken).update('kedge dashboard sessions v1').digest()
  }

  issue(subject: SessionSubject, now: number): {cookie: string; claims: SessionClaims} {
    const claims: SessionClaims = {subject, issuedAt: now, expiresAt: now + SESSION_LIFETIME_MS, nonce: randomBytes(18).toString('base64url')}
    const named = claims.subject === 'admin' ? 'admin' : [claims.subject.tokenId, claims.subject.fingerprint]
    const payload = Buffer.from(JSON.stringify({s: named, i: claims.issuedAt, e: claims.expiresAt, n: claims.nonce})).toString('base64url')
    return {cookie: `${payload}.${this.sign(payload)}`, claims}
  }

  /** The claims of a cookie this signer wrote that has not expired; null for anything else. */
  read(cookie: string, now: number): SessionClaims | null {
    if (cookie.length > MAX_COOKIE_LENGTH) return null
    const [payload, signature, extra] = cookie.split('.')
    if (!payload || !signature || extra !== undefined || !sameText(signature, this.sign(payload))) return null
    let fields: unknown
    try {
      fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    } catch {
      return null
    }
    const claims = claimsOf(fields)
    return claims && claims.expiresAt > now ? claims : null
  }

  /** The CSRF token of a session: sent with every write, which a page of another site cannot read or guess. */
  csrfOf(claims: SessionClaims): string {
    return createHmac('sha256', this.key).update(`csrf\0${claims.nonce}`).digest('base64url')
  }

  csrfMatches(claims: SessionClaims, presented: string | undefined): boolean {
    return presented !== undefined && sameText(presented, this.csrfOf(claims))
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(`session\0${payload}`).digest('base64url')
  }
}

/** The session cookie's value among a request's cookies. */
export function sessionCookieOf(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === SESSION_COOKIE) return value.join('=')
  }
  return undefined
}

/** `secure` when the browser came over HTTPS (a proxy in front says so): the cookie is then never sent in clear. */
export function sessionCookieHeader(cookie: string, options: {secure: boolean}): string {
  return `${SESSION_COOKIE}=${cookie}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_LIFETIME_MS / 1000}${options.secure ? '; Secure' : ''}`
}

export function clearedSessionCookieHeader(options: {secure: boolean}): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${options.secure ? '; Secure' : ''}`
}

function claimsOf(fields: unknown): SessionClaims | null {
  if (typeof fields !== 'object' || fields === null) return null
  const {s, i, e, n} = fields as Record<string, unknown>
  const subject = s === 'admin' ? s : tokenSubjectOf(s)
  if (subject === null || typeof i !== 'number' || typeof e !== 'number' || typeof n !== 'string') return null
  return {subject, issuedAt: i, expiresAt: e, nonce: n}
}

function tokenSubjectOf(value: unknown): SessionSubject | null {
  if (!Array.isArray(value) || value.length !== 2) return null
  const [tokenId, fingerprint] = value as [unknown, unknown]
  if (typeof tokenId !== 'number' || !Number.isSafeInteger(tokenId) || tokenId <= 0 || typeof fingerprint !== 'string') return null
  return {tokenId, fingerprint}
}

/** Compares in constant time for equal lengths; a length that differs says nothing about the secret. */
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
