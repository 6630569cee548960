import assert from 'node:assert/strict'
import {afterEach, beforeEach, describe, it} from 'node:test'

import {hashAccessToken} from '../../src/model/access/access-token.js'
import {isAccessTokenShape} from '../../src/model/access/token-format.js'
import {
  accessTokenGrant,
  checkAccessTokenRequest,
  createAccessToken,
  LAST_USE_RESOLUTION_MS,
  listAccessTokens,
  revokeAccessToken,
  verifyAccessToken,
} from '../../src/usecases/access/access-tokens.js'
import {fakeWorld, type FakeWorld} from '../helpers/fake-ports.js'
import {refusal} from '../helpers/refusal.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

describe('access tokens: the use cases', () => {
  let world: FakeWorld
  beforeEach(() => {
    world = fakeWorld()
  })
  afterEach(() => world.cleanup())

  it('creates a read token by default, shows the token once and stores only its hash', () => {
    const created = createAccessToken(world.context, {name: 'Dashboard'})
    assert.ok(isAccessTokenShape(created.token), created.token)
    assert.deepEqual({...created, token: '-'}, {name: 'dashboard', role: 'read', token: '-', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: null})
    const [row] = world.store.accessTokens
    assert.deepEqual(row, {id: 1, name: 'dashboard', role: 'read', tokenHash: hashAccessToken(created.token), createdAt: world.clock.now(), expiresAt: null, lastUsedAt: null})
    assert.ok(!JSON.stringify(world.store.accessTokens).includes(created.token.slice('kedge_'.length)), 'the token is not stored')
  })

  it('creates an admin token that expires, each token different', () => {
    const admin = createAccessToken(world.context, {name: 'ci', role: 'admin', expires: '90d'})
    assert.equal(admin.role, 'admin')
    assert.equal(admin.expiresAt, new Date(world.clock.now().getTime() + 90 * DAY).toISOString())
    const other = createAccessToken(world.context, {name: 'ci2', role: 'read', expires: '12h'})
    assert.notEqual(other.token, admin.token)
    assert.equal(other.expiresAt, '2026-01-01T12:00:00.000Z')
  })

  it('refuses a name taken (conflict), and a bad name, role or expiry, writing nothing', () => {
    createAccessToken(world.context, {name: 'ci'})
    const taken = refusal(() => createAccessToken(world.context, {name: ' CI ', role: 'admin'}))
    assert.equal(taken.code, 'conflict')
    assert.equal(taken.exitCode, 2)
    assert.equal(taken.message, 'an access token named "ci" already exists')
    assert.match(taken.hint ?? '', /kedge token revoke ci/)
    for (const [request, code] of [
      [{name: '-ci'}, 'invalid_name'],
      [{name: 'ok', role: 'root'}, 'invalid_input'],
      [{name: 'ok', expires: 'forever'}, 'invalid_input'],
      [{name: 'ok', expires: '0d'}, 'invalid_input'],
    ] as const) {
      assert.equal(refusal(() => checkAccessTokenRequest(request)).code, code, JSON.stringify(request))
      assert.equal(refusal(() => createAccessToken(world.context, request)).code, code, JSON.stringify(request))
    }
    assert.deepEqual(world.store.accessTokens.map((row) => row.name), ['ci'])
  })

  it('lists the tokens by name, without a secret, and tells which have expired', () => {
    const created = [
      createAccessToken(world.context, {name: 'short', expires: '1h'}),
      createAccessToken(world.context, {name: 'forever', role: 'admin'}),
      createAccessToken(world.context, {name: 'long', expires: '2h'}),
    ]
    world.clock.advance(HOUR)
    const listed = listAccessTokens(world.context)
    assert.deepEqual(listed, [
      {name: 'forever', role: 'admin', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: null, lastUsedAt: null, expired: false},
      {name: 'long', role: 'read', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T02:00:00.000Z', lastUsedAt: null, expired: false},
      {name: 'short', role: 'read', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T01:00:00.000Z', lastUsedAt: null, expired: true},
    ])
    const text = JSON.stringify(listed)
    for (const {token} of created) {
      assert.ok(!text.includes(token) && !text.includes(hashAccessToken(token)))
    }
  })

  it('refuses to list a row kedge did not write, naming it to revoke', () => {
    createAccessToken(world.context, {name: 'ci'})
    world.store.accessTokens[0]!.role = 'owner' as 'admin'
    const error = refusal(() => listAccessTokens(world.context))
    assert.equal(error.code, 'corrupt_row')
    assert.match(error.hint ?? '', /kedge token revoke ci/)
    assert.deepEqual(revokeAccessToken(world.context, 'ci'), {name: 'ci'})
    assert.deepEqual(listAccessTokens(world.context), [])
  })

  it('revokes by name, as given or lower-cased; an unknown name is not_found', () => {
    createAccessToken(world.context, {name: 'ci'})
    assert.deepEqual(revokeAccessToken(world.context, 'CI'), {name: 'ci'})
    assert.deepEqual(world.store.accessTokens, [])
    const unknown = refusal(() => revokeAccessToken(world.context, 'ci'))
    assert.equal(unknown.code, 'not_found')
    assert.equal(unknown.exitCode, 2)
    assert.equal(unknown.message, 'no access token named "ci"')
    assert.equal(unknown.hint, 'run "kedge token list" to see the tokens')
  })

  it('verifies a presented token: its grant, or null for another string, an unknown, revoked or expired token', () => {
    const read = createAccessToken(world.context, {name: 'viewer'})
    const admin = createAccessToken(world.context, {name: 'ci', role: 'admin', expires: '1h'})
    const readGrant = verifyAccessToken(world.context, read.token)
    assert.deepEqual(readGrant && {...readGrant, fingerprint: readGrant.fingerprint.length}, {role: 'read', name: 'viewer', tokenId: 1, fingerprint: 16})
    const adminGrant = verifyAccessToken(world.context, admin.token)
    assert.deepEqual(adminGrant && {...adminGrant, fingerprint: adminGrant.fingerprint.length}, {role: 'admin', name: 'ci', tokenId: 2, fingerprint: 16})
    for (const other of ['', 'test-token', `${read.token} `, ` ${read.token}`, read.token.slice(0, -1), read.token.toUpperCase(), hashAccessToken(read.token)]) {
      assert.equal(verifyAccessToken(world.context, other), null, JSON.stringify(other))
    }
    // The right shape, but no token kedge made.
    assert.equal(verifyAccessToken(world.context, `kedge_${'A'.repeat(43)}`), null)

    world.clock.advance(HOUR - 1)
    assert.equal(verifyAccessToken(world.context, admin.token)?.name, 'ci', 'until the instant it expires')
    world.clock.advance(1)
    assert.equal(verifyAccessToken(world.context, admin.token), null, 'expired')
    assert.notEqual(verifyAccessToken(world.context, read.token), null)
    revokeAccessToken(world.context, 'viewer')
    assert.equal(verifyAccessToken(world.context, read.token), null, 'revoked')
  })

  it('records when a token was last used, at most once a minute', () => {
    const {token} = createAccessToken(world.context, {name: 'viewer'})
    const writes: Date[] = []
    const record = world.store.recordAccessTokenUse.bind(world.store)
    world.store.recordAccessTokenUse = (id, usedAt) => {
      writes.push(usedAt)
      record(id, usedAt)
    }
    const start = world.clock.now().getTime()
    for (let second = 0; second < 150; second++) {
      assert.notEqual(verifyAccessToken(world.context, token), null)
      world.clock.advance(1000)
    }
    assert.deepEqual(writes.map((at) => at.getTime() - start), [0, LAST_USE_RESOLUTION_MS, 2 * LAST_USE_RESOLUTION_MS])
    assert.deepEqual(listAccessTokens(world.context)[0]!.lastUsedAt, new Date(start + 2 * LAST_USE_RESOLUTION_MS).toISOString())
    // A refused string records nothing.
    verifyAccessToken(world.context, `kedge_${'A'.repeat(43)}`)
    assert.equal(writes.length, 3)
  })

  it("gives a session's token its grant while it exists and has not expired", () => {
    const viewer = verifyAccessToken(world.context, createAccessToken(world.context, {name: 'viewer'}).token)!
    const ci = verifyAccessToken(world.context, createAccessToken(world.context, {name: 'ci', role: 'admin', expires: '30m'}).token)!
    assert.deepEqual(accessTokenGrant(world.context, 1, viewer.fingerprint), viewer)
    assert.deepEqual(accessTokenGrant(world.context, 2, ci.fingerprint), {role: 'admin', name: 'ci', tokenId: 2, fingerprint: ci.fingerprint})
    assert.equal(accessTokenGrant(world.context, 3, ci.fingerprint), null)
    assert.equal(accessTokenGrant(world.context, 2, viewer.fingerprint), null, 'another token under the same id is not the session\'s')
    world.clock.advance(30 * 60_000)
    assert.equal(accessTokenGrant(world.context, 2, ci.fingerprint), null, 'expired')
    revokeAccessToken(world.context, 'viewer')
    assert.equal(accessTokenGrant(world.context, 1, viewer.fingerprint), null, 'revoked')
    // A new token never takes a revoked one's id, so an old session cannot come back to life.
    createAccessToken(world.context, {name: 'viewer'})
    assert.equal(accessTokenGrant(world.context, 1, viewer.fingerprint), null)
  })

  it('refuses a damaged row when it is presented, rather than misread its role', () => {
    const {token} = createAccessToken(world.context, {name: 'ci'})
    world.store.accessTokens[0]!.role = 'superadmin' as 'admin'
    assert.equal(refusal(() => verifyAccessToken(world.context, token)).code, 'corrupt_row')
    assert.equal(refusal(() => accessTokenGrant(world.context, 1, 'x')).code, 'corrupt_row')
  })
})
