import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import {describe, it} from 'node:test'

import {checkAccessTokenRow} from '../../src/model/access/access-token-row.js'
import {hasExpired, hashAccessToken, isAccessTokenName, normalizeAccessTokenName, parseAccessRole} from '../../src/model/access/access-token.js'
import {MAX_TOKEN_LIFETIME_MS, parseTokenLifetime} from '../../src/model/access/token-lifetime.js'
import {formatAccessToken, isAccessTokenShape} from '../../src/model/access/token-format.js'
import type {AccessTokenRow} from '../../src/model/rows.js'
import {createLogger} from '../../src/drivers/daemon/logger.js'
import {redact, redactDeep} from '../../src/model/secrets/redaction.js'
import {refusal} from '../helpers/refusal.js'

const GOOD_ROW: AccessTokenRow = {
  id: 3,
  name: 'ci',
  role: 'read',
  tokenHash: 'a'.repeat(64),
  createdAt: new Date(1_700_000_000_000),
  expiresAt: null,
  lastUsedAt: null,
}

describe('access tokens: the model', () => {
  it('makes a token of kedge_ and 32 bytes in base64url, which has the shape, and nothing else has', () => {
    for (let i = 0; i < 200; i++) {
      const bytes = randomBytes(32)
      const token = formatAccessToken(bytes)
      assert.match(token, /^kedge_[A-Za-z0-9_-]{43}$/)
      assert.ok(isAccessTokenShape(token), token)
      assert.deepEqual(Buffer.from(token.slice('kedge_'.length), 'base64url'), bytes)
    }
    assert.equal(formatAccessToken(new Uint8Array(32)), `kedge_${'A'.repeat(43)}`)
    assert.throws(() => formatAccessToken(new Uint8Array(31)), /32 random bytes, not 31/)
    const token = formatAccessToken(randomBytes(32))
    for (const other of [
      '',
      token.slice(0, -1),
      `${token}A`,
      token.replace('kedge_', 'Kedge_'),
      token.replace('kedge_', 'kedge-'),
      ` ${token}`,
      `${token}\n`,
      // The same bytes with the padding bits set: another spelling, not the token.
      `kedge_${'A'.repeat(42)}B`,
      `kedge_${'A'.repeat(42)}=`,
      `kedge_${'A'.repeat(41)}+A`,
      'test-token',
    ]) {
      assert.equal(isAccessTokenShape(other), false, JSON.stringify(other))
    }
  })

  it('hashes a token to its SHA-256 in hex', () => {
    const token = formatAccessToken(randomBytes(32))
    assert.equal(hashAccessToken(token), createHash('sha256').update(token).digest('hex'))
    assert.match(hashAccessToken(token), /^[0-9a-f]{64}$/)
    assert.notEqual(hashAccessToken(token), hashAccessToken(formatAccessToken(randomBytes(32))))
  })

  it("takes a repository name's rule for a name, lower-cased", () => {
    assert.equal(normalizeAccessTokenName('ci'), 'ci')
    assert.equal(normalizeAccessTokenName('  Grafana.Read_1-x '), 'grafana.read_1-x')
    assert.equal(normalizeAccessTokenName('9'), '9')
    assert.equal(normalizeAccessTokenName('a'.repeat(63)), 'a'.repeat(63))
    for (const bad of ['', ' ', '-ci', '.ci', '_ci', 'c i', 'ci/x', 'ci:x', 'a'.repeat(64), 'é', 'c\ni', '../x']) {
      const error = refusal(() => normalizeAccessTokenName(bad))
      assert.equal(error.code, 'invalid_name', bad)
      assert.equal(error.exitCode, 2)
      assert.match(error.hint ?? '', /1 to 63 letters, digits/)
    }
    assert.equal(isAccessTokenName('CI'), false, 'stored names are lower case')
    assert.equal(isAccessTokenName(7), false)
  })

  it('knows the roles read and admin', () => {
    assert.equal(parseAccessRole('read'), 'read')
    assert.equal(parseAccessRole(' Admin '), 'admin')
    for (const bad of ['', 'write', 'root', 'readonly']) {
      const error = refusal(() => parseAccessRole(bad))
      assert.equal(error.code, 'invalid_input')
      assert.equal(error.hint, 'the roles are: read, admin')
    }
  })

  it('reads a lifetime in days, hours, minutes and seconds, of at most a year', () => {
    assert.equal(parseTokenLifetime('90d'), 90 * 86_400_000)
    assert.equal(parseTokenLifetime('12h'), 12 * 3_600_000)
    assert.equal(parseTokenLifetime('1d12h'), 36 * 3_600_000)
    assert.equal(parseTokenLifetime('30m'), 1_800_000)
    assert.equal(parseTokenLifetime(' 1S '), 1000)
    assert.equal(parseTokenLifetime('365d'), MAX_TOKEN_LIFETIME_MS)
    for (const bad of ['', '90', '0d', '0s', '366d', '8761h', '1.5d', '-1d', '1w', '1y', 'd', 'soon', '1d 2h']) {
      const error = refusal(() => parseTokenLifetime(bad))
      assert.equal(error.code, 'invalid_input', bad)
      assert.equal(error.exitCode, 2)
      assert.match(error.message, /^invalid expiry ".*": expected a duration such as "90d"/)
    }
  })

  it('counts a token expired from the instant it expires', () => {
    const at = new Date(1_700_000_000_000)
    assert.equal(hasExpired(null, at), false)
    assert.equal(hasExpired(new Date(at.getTime() + 1), at), false)
    assert.equal(hasExpired(at, at), true)
    assert.equal(hasExpired(new Date(at.getTime() - 1), at), true)
  })

  it('refuses a row kedge did not write, naming the column, rather than misread it', () => {
    assert.deepEqual(checkAccessTokenRow(GOOD_ROW), GOOD_ROW)
    assert.deepEqual(checkAccessTokenRow({...GOOD_ROW, expiresAt: new Date(0), lastUsedAt: new Date(0)}), {...GOOD_ROW, expiresAt: new Date(0), lastUsedAt: new Date(0)})
    for (const [change, column] of [
      [{role: 'superuser'}, 'role'],
      [{role: 'ADMIN'}, 'role'],
      [{role: null}, 'role'],
      [{name: '../x'}, 'name'],
      [{name: 'CI'}, 'name'],
      [{tokenHash: 'kedge_plain-text'}, 'token_hash'],
      [{tokenHash: 'A'.repeat(64)}, 'token_hash'],
      [{createdAt: new Date(Number.NaN)}, 'created_at'],
      [{createdAt: null}, 'created_at'],
      [{expiresAt: 17}, 'expires_at'],
      [{lastUsedAt: new Date(Number.NaN)}, 'last_used_at'],
    ] as const) {
      const error = refusal(() => checkAccessTokenRow({...GOOD_ROW, ...change} as unknown as AccessTokenRow))
      assert.equal(error.code, 'corrupt_row', column)
      assert.match(error.message, new RegExp(`^corrupt database: access_tokens row 3, column ${column}: `))
    }
    assert.match(refusal(() => checkAccessTokenRow({...GOOD_ROW, role: 'root'} as unknown as AccessTokenRow)).hint ?? '', /kedge token revoke ci/)
  })
})

describe('access tokens: redaction', () => {
  const token = formatAccessToken(randomBytes(32))

  it("masks kedge's tokens by their shape, known to this process or not", () => {
    assert.equal(redact(`presented ${token}, refused`), 'presented ***, refused')
    assert.equal(redact(`token=${token}`), 'token=***')
    assert.equal(redact(`"${token}"`), '"***"')
    assert.equal(redact(`${token}.`), '***.')
    assert.deepEqual(redactDeep({error: `bad ${token}`, tokens: [token]}), {error: 'bad ***', tokens: ['***']})
    // Not the shape: a name that starts alike, a longer run.
    assert.equal(redact('kedge_webapp_default'), 'kedge_webapp_default')
    assert.equal(redact(`${token}x`), `${token}x`)
  })

  it('masks one in a log line, in text and in JSON', () => {
    for (const format of ['text', 'json'] as const) {
      const lines: string[] = []
      const logger = createLogger({level: 'debug', format, write: (line) => lines.push(line)})
      logger.log('warn', 'http.unauthorized', {error: `unknown token ${token}`, header: `Authorization: Bearer ${token}`})
      assert.equal(lines.length, 1)
      assert.ok(!lines[0]!.includes(token.slice('kedge_'.length)), lines[0])
      assert.match(lines[0]!, /unknown token \*\*\*/)
    }
  })
})
