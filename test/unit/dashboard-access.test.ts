import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {type AccessSettings, checkWrite, requestAccess, type TokenGrant} from '../../src/drivers/http/access/request-access.js'
import {SESSION_LIFETIME_MS, sessionCookieOf, SessionSigner} from '../../src/drivers/http/access/session-cookie.js'
import {isKedgeError} from '../../src/model/errors.js'

const ADMIN = 'a'.repeat(43)
const NOW = Date.parse('2026-12-06T10:00:00Z')
const VIEWER: TokenGrant = {role: 'read', name: 'viewer', tokenId: 7, fingerprint: '0123456789abcdef'}
const VIEWER_SUBJECT = {tokenId: VIEWER.tokenId, fingerprint: VIEWER.fingerprint}

function settings(tokens: TokenGrant[] = [VIEWER], admin = ADMIN): AccessSettings {
  return {
    adminToken: admin,
    sessions: new SessionSigner(admin),
    tokens: {
      verify: (presented) => tokens.find((grant) => presented === `token-of-${grant.name}`) ?? null,
      grant: (id, fingerprint) => tokens.find((grant) => grant.tokenId === id && grant.fingerprint === fingerprint) ?? null,
    },
  }
}

/** The code of the kedge error `action` throws, or `none` when it lets the request through. */
function codeOf(action: () => unknown): string {
  try {
    action()
  } catch (error) {
    assert.ok(isKedgeError(error), String(error))
    return error.code
  }
  return 'none'
}

describe('the session cookie', () => {
  it('reads back what it signed until it expires, and nothing else', () => {
    const signer = new SessionSigner(ADMIN)
    const {cookie, claims} = signer.issue(VIEWER_SUBJECT, NOW)
    assert.deepEqual(signer.read(cookie, NOW + 1000), claims)
    assert.equal(claims.expiresAt - claims.issuedAt, SESSION_LIFETIME_MS)
    assert.equal(signer.read(cookie, claims.expiresAt), null, 'expired')
    const [payload, signature] = cookie.split('.') as [string, string]
    const forged = Buffer.from(JSON.stringify({s: 'admin', i: NOW, e: NOW + 1e9, n: 'x'})).toString('base64url')
    assert.equal(signer.read(`${forged}.${signature}`, NOW), null, 'another payload under the signature')
    assert.equal(signer.read(`${payload}.${signature.slice(1)}x`, NOW), null, 'a changed signature')
    assert.equal(signer.read(`${payload}.${signature}.extra`, NOW), null)
    assert.equal(signer.read('x'.repeat(600), NOW), null, 'over the length bound')
    assert.equal(new SessionSigner('b'.repeat(43)).read(cookie, NOW), null, 'a new admin token ends every session')
  })

  it('derives a CSRF token per session, compared whole', () => {
    const signer = new SessionSigner(ADMIN)
    const one = signer.issue('admin', NOW).claims
    const two = signer.issue('admin', NOW).claims
    assert.notEqual(signer.csrfOf(one), signer.csrfOf(two))
    assert.ok(signer.csrfMatches(one, signer.csrfOf(one)))
    assert.ok(!signer.csrfMatches(one, signer.csrfOf(two)))
    assert.ok(!signer.csrfMatches(one, undefined))
    assert.ok(!signer.csrfMatches(one, signer.csrfOf(one).slice(0, -1)))
  })

  it('is found among the request\'s cookies', () => {
    assert.equal(sessionCookieOf('a=1; kedge_session=abc.d=ef; b=2'), 'abc.d=ef')
    assert.equal(sessionCookieOf('kedge_sessionx=1'), undefined)
    assert.equal(sessionCookieOf(undefined), undefined)
  })
})

describe('who a request is and what it may do', () => {
  it('takes the admin token or a named token as a bearer token, and refuses others with 401', () => {
    const access = settings()
    assert.deepEqual(requestAccess({method: 'GET', headers: {authorization: `Bearer ${ADMIN}`}}, access, NOW), {role: 'admin', name: 'admin token', session: null})
    assert.equal(requestAccess({method: 'GET', headers: {authorization: 'bearer token-of-viewer'}}, access, NOW).role, 'read')
    for (const authorization of [`Bearer ${ADMIN}x`, 'Bearer token-of-nobody', `Basic ${ADMIN}`, '']) {
      assert.equal(codeOf(() => requestAccess({method: 'GET', headers: {authorization}}, access, NOW)), 'unauthorized', authorization)
    }
    assert.equal(codeOf(() => requestAccess({method: 'GET', headers: {}}, access, NOW)), 'unauthorized')
  })

  it('takes a session cookie while its token stands', () => {
    const tokens = [VIEWER]
    const access = settings(tokens)
    const {cookie} = access.sessions.issue(VIEWER_SUBJECT, NOW)
    const request = {method: 'GET', headers: {cookie: `kedge_session=${cookie}`}}
    assert.equal(requestAccess(request, access, NOW).name, 'viewer')
    const other = access.sessions.issue({tokenId: VIEWER.tokenId, fingerprint: 'fedcba9876543210'}, NOW).cookie
    assert.equal(codeOf(() => requestAccess({method: 'GET', headers: {cookie: `kedge_session=${other}`}}, access, NOW)), 'unauthorized', 'another token under the same id')
    tokens.pop()
    assert.equal(codeOf(() => requestAccess(request, access, NOW)), 'unauthorized', 'revoked')
  })

  it('lets a write through only for the admin role, and from a session only with its CSRF token and from its own site', () => {
    const access = settings()
    const admin = access.sessions.issue('admin', NOW)
    const csrf = access.sessions.csrfOf(admin.claims)
    const write = (headers: Record<string, string>) => {
      const request = {method: 'POST', headers: {cookie: `kedge_session=${admin.cookie}`, host: 'kedge.lan:8080', ...headers}}
      return codeOf(() => checkWrite(request, requestAccess(request, access, NOW), access))
    }
    assert.equal(write({'x-csrf-token': csrf}), 'none')
    assert.equal(write({'x-csrf-token': csrf, origin: 'http://kedge.lan:8080'}), 'none')
    assert.equal(write({}), 'csrf_failed')
    assert.equal(write({'x-csrf-token': 'guess'}), 'csrf_failed')
    assert.equal(write({'x-csrf-token': csrf, origin: 'https://evil.example'}), 'csrf_failed')
    assert.equal(write({'x-csrf-token': csrf, origin: 'null'}), 'csrf_failed')
    assert.equal(write({'x-csrf-token': csrf, origin: 'https://kedge.example.com', 'x-forwarded-host': 'kedge.example.com'}), 'none', 'behind a proxy that changes Host')
    assert.equal(write({'x-csrf-token': csrf, origin: 'https://evil.example', 'x-forwarded-host': 'kedge.example.com'}), 'csrf_failed')
    assert.equal(write({'x-csrf-token': csrf, origin: 'https://kedge.example.com:8443', 'x-forwarded-host': 'kedge.example.com:8443, 10.0.0.2'}), 'none', 'through two proxies')

    const viewer = access.sessions.issue(VIEWER_SUBJECT, NOW)
    const request = {method: 'POST', headers: {cookie: `kedge_session=${viewer.cookie}`, 'x-csrf-token': access.sessions.csrfOf(viewer.claims)}}
    assert.equal(codeOf(() => checkWrite(request, requestAccess(request, access, NOW), access)), 'forbidden')
    assert.equal(codeOf(() => checkWrite(request, requestAccess(request, access, NOW), access, {anyRole: true})), 'none', 'a read-only session may log out')
    const bearer = {method: 'POST', headers: {authorization: 'Bearer token-of-viewer'}}
    assert.equal(codeOf(() => checkWrite(bearer, requestAccess(bearer, access, NOW), access)), 'forbidden')
    const adminBearer = {method: 'POST', headers: {authorization: `Bearer ${ADMIN}`}}
    assert.equal(codeOf(() => checkWrite(adminBearer, requestAccess(adminBearer, access, NOW), access)), 'none', 'a bearer token is no ambient credential: no CSRF token')
  })
})
