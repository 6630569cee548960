import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {systemClock} from '../../src/adapters/clock/system-clock.js'
import {hashAccessToken} from '../../src/model/access/access-token.js'
import {resolveHome} from '../../src/model/home.js'
import {closeDatabase, openConnection} from '../../src/store/connection.js'
import {sqliteStore} from '../../src/store/sqlite-store.js'
import {accessTokenGrant, verifyAccessToken, type AccessTokenView, type CreatedAccessToken} from '../../src/usecases/access/access-tokens.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {homeContents} from '../helpers/home-state.js'
import {filesContaining} from '../helpers/secret-scan.js'
import {tempDir} from '../helpers/temp.js'
import {waitFor} from '../helpers/wait.js'

const TOKEN_LINE = /^ {2}(kedge_[A-Za-z0-9_-]{43})$/m

interface ErrorJson {
  error: {code: string; message: string; hint?: string}
}

async function create(home: string, args: string[]): Promise<CreatedAccessToken> {
  const created = await runKedgeJson<CreatedAccessToken>(['token', 'create', ...args], {home})
  assert.equal(created.code, 0, created.stderr)
  assert.equal(created.stderr, '')
  return created.json
}

async function list(home: string): Promise<AccessTokenView[]> {
  const listed = await runKedgeJson<AccessTokenView[]>(['token', 'list'], {home})
  assert.equal(listed.code, 0, listed.stderr)
  return listed.json
}

/** The use cases serve's HTTP side calls, over the home's real kedge.db. */
function withStore<T>(home: string, use: (context: {store: ReturnType<typeof sqliteStore>; clock: typeof systemClock}) => T): T {
  const kedgeHome = resolveHome(home)
  const connection = openConnection(kedgeHome.databaseFile)
  try {
    return use({store: sqliteStore(kedgeHome, connection), clock: systemClock})
  } finally {
    closeDatabase(connection)
  }
}

describe('kedge token', () => {
  it('creates a read token by default and an admin one, shows each once, and keeps neither in the home', async () => {
    const home = path.join(tempDir(), 'home')
    const before = Date.now()
    const text = await runKedge(['token', 'create', 'Dashboard'], {home})
    assert.equal(text.code, 0, text.stderr)
    assert.equal(text.stderr, '')
    const readToken = TOKEN_LINE.exec(text.stdout)?.[1]
    assert.ok(readToken, text.stdout)
    assert.match(text.stdout, /^Created access token dashboard: role read, never expires$/m)
    assert.match(text.stdout, /cannot show it again/)
    assert.match(text.stdout, /^ {2}Authorization: Bearer <token>$/m)
    assert.ok(existsSync(path.join(home, 'kedge.db')), 'token create makes the home')

    const admin = await create(home, ['ci', '--role', 'admin', '--expires', '90d'])
    assert.match(admin.token, /^kedge_[A-Za-z0-9_-]{43}$/)
    assert.notEqual(admin.token, readToken)
    assert.deepEqual(Object.keys(admin), ['name', 'role', 'token', 'createdAt', 'expiresAt'])
    assert.equal(admin.role, 'admin')
    const createdAt = Date.parse(admin.createdAt)
    assert.ok(createdAt >= before && createdAt <= Date.now(), admin.createdAt)
    assert.equal(Date.parse(admin.expiresAt!) - createdAt, 90 * 24 * 3_600_000)

    const listedText = await runKedge(['token', 'list'], {home})
    assert.equal(listedText.code, 0, listedText.stderr)
    assert.match(listedText.stdout, /^NAME\s+ROLE\s+CREATED\s+EXPIRES\s+LAST USED$/m)
    assert.match(listedText.stdout, /^ci\s+admin\s+\S+ \S+\s+\S+ \S+\s+-$/m)
    assert.match(listedText.stdout, /^dashboard\s+read\s+\S+ \S+\s+never\s+-$/m)
    const listed = await runKedgeJson<AccessTokenView[]>(['token', 'list'], {home})
    assert.deepEqual(
      listed.json.map((token) => ({...token, createdAt: typeof token.createdAt})),
      [
        {name: 'ci', role: 'admin', createdAt: 'string', expiresAt: admin.expiresAt, lastUsedAt: null, expired: false},
        {name: 'dashboard', role: 'read', createdAt: 'string', expiresAt: null, lastUsedAt: null, expired: false},
      ],
    )

    // Neither the token nor anything of it: not in list's output, not in kedge.db (nor its WAL), nor any file of the home.
    const secrets = [readToken, admin.token, readToken.slice('kedge_'.length), admin.token.slice('kedge_'.length)]
    for (const output of [listedText.stdout, listedText.stderr, listed.stdout, listed.stderr]) {
      for (const secret of secrets) assert.ok(!output.includes(secret), 'token list shows a token')
    }
    assert.deepEqual(filesContaining(home, secrets), [])
    assert.ok(filesContaining(home, [hashAccessToken(admin.token)]).length > 0, 'kedge.db holds the hash')

    // What serve's HTTP side asks: each token's grant, and its last use recorded.
    // The last character changed to another the shape allows (it carries 4 bits: one token in 16 ends in "A").
    const altered = `${admin.token.slice(0, -1)}${admin.token.endsWith('A') ? 'E' : 'A'}`
    const grants = withStore(home, (context) => [verifyAccessToken(context, readToken), verifyAccessToken(context, admin.token), verifyAccessToken(context, altered)])
    assert.deepEqual(grants.map((grant) => grant && {role: grant.role, name: grant.name}), [{role: 'read', name: 'dashboard'}, {role: 'admin', name: 'ci'}, null])
    const used = (await list(home)).find((token) => token.name === 'ci')!
    assert.ok(used.lastUsedAt !== null && Date.parse(used.lastUsedAt) >= createdAt, JSON.stringify(used))
  })

  it('revokes a token: gone from the list, it opens nothing, and its sessions end', async () => {
    const home = path.join(tempDir(), 'home')
    const kept = await create(home, ['kept'])
    const gone = await create(home, ['gone', '--role', 'admin'])
    const goneGrant = withStore(home, (context) => verifyAccessToken(context, gone.token)!)

    const revoked = await runKedgeJson<{name: string}>(['token', 'revoke', 'GONE'], {home})
    assert.equal(revoked.code, 0, revoked.stderr)
    assert.deepEqual(revoked.json, {name: 'gone'})
    const text = await runKedge(['token', 'revoke', 'kept'], {home: path.join(tempDir(), 'no-home')})
    assert.equal(text.code, 2, 'no home, nothing to revoke')
    assert.deepEqual((await list(home)).map((token) => token.name), ['kept'])
    withStore(home, (context) => {
      assert.equal(verifyAccessToken(context, gone.token), null)
      assert.equal(accessTokenGrant(context, goneGrant.tokenId, goneGrant.fingerprint), null)
      assert.equal(verifyAccessToken(context, kept.token)?.name, 'kept')
    })

    const again = await runKedgeJson<ErrorJson>(['token', 'revoke', 'gone'], {home})
    assert.equal(again.code, 2)
    assert.deepEqual(again.json.error, {code: 'not_found', message: 'no access token named "gone"', hint: 'run "kedge token list" to see the tokens'})
    const plain = await runKedge(['token', 'revoke', 'nope'], {home})
    assert.equal(plain.code, 2)
    assert.equal(plain.stderr, 'Error: no access token named "nope"\nHint: run "kedge token list" to see the tokens\n')
    assert.equal((await runKedge(['token', 'revoke', 'kept'], {home})).stdout, 'Revoked access token kept\n')
    assert.equal((await runKedge(['token', 'list'], {home})).stdout, 'No access token. Create one with "kedge token create NAME".\n')
  })

  it('lists a token past its expiry as expired, and it opens nothing any more', async () => {
    const home = path.join(tempDir(), 'home')
    const short = await create(home, ['short-lived', '--expires', '1s'])
    assert.equal(Date.parse(short.expiresAt!) - Date.parse(short.createdAt), 1000)
    const [fresh] = await list(home)
    // Created and listed within the second on any machine but a very slow one: then it is already expired, which is also right.
    if (Date.now() < Date.parse(short.expiresAt!)) assert.equal(fresh!.expired, false)
    await waitFor('the token to list as expired', async () => (await list(home))[0]!.expired, 10_000)
    const text = await runKedge(['token', 'list'], {home})
    assert.match(text.stdout, /^short-lived\s+read\s+\S+ \S+\s+expired \S+ \S+\s+-$/m)
    withStore(home, (context) => assert.equal(verifyAccessToken(context, short.token), null))
  })

  it('refuses a name taken: exit 2, conflict, the first token kept', async () => {
    const home = path.join(tempDir(), 'home')
    const first = await create(home, ['ci'])
    const contents = homeContents(home)
    const duplicate = await runKedgeJson<ErrorJson>(['token', 'create', 'CI', '--role', 'admin'], {home})
    assert.equal(duplicate.code, 2)
    assert.deepEqual(duplicate.json.error, {code: 'conflict', message: 'an access token named "ci" already exists', hint: 'choose another name, or revoke it first with "kedge token revoke ci"'})
    assert.deepEqual(homeContents(home), contents)
    withStore(home, (context) => assert.equal(verifyAccessToken(context, first.token)?.role, 'read'))
  })

  it('gives a name to one of several processes creating it at once; the others are refused with conflict', async () => {
    const home = path.join(tempDir(), 'home')
    const results = await Promise.all(Array.from({length: 6}, () => runKedgeJson<CreatedAccessToken | ErrorJson>(['token', 'create', 'raced'], {home})))
    assert.deepEqual(results.map((result) => result.code).sort(), [0, 2, 2, 2, 2, 2], results.map((result) => result.stderr).join('\n'))
    for (const result of results.filter((each) => each.code === 2)) assert.equal((result.json as ErrorJson).error.code, 'conflict')
    const winner = results.find((result) => result.code === 0)!.json as CreatedAccessToken
    assert.deepEqual((await list(home)).map((token) => token.name), ['raced'])
    withStore(home, (context) => assert.equal(verifyAccessToken(context, winner.token)?.name, 'raced'))
  })

  it('refuses a bad name, role or expiry with exit 2, creating no home and changing none', async () => {
    const existing = path.join(tempDir(), 'home')
    await create(existing, ['ci'])
    const contents = homeContents(existing)
    const cases: Array<[string[], string, RegExp]> = [
      [['_ci'], 'invalid_name', /^invalid token name "_ci"$/],
      [['a'.repeat(64)], 'invalid_name', /^invalid token name/],
      [['c i'], 'invalid_name', /^invalid token name "c i"$/],
      [['ok', '--role', 'root'], 'invalid_usage', /read, admin/],
      [['ok', '--expires', 'soon'], 'invalid_input', /^invalid expiry "soon": expected a duration such as "90d"/],
      [['ok', '--expires', '90'], 'invalid_input', /^invalid expiry "90"/],
      [['ok', '--expires', '400d'], 'invalid_input', /^invalid expiry "400d"/],
      [['ok', '--expires', '0s'], 'invalid_input', /^invalid expiry "0s"/],
    ]
    for (const [args, code, message] of cases) {
      const fresh = path.join(tempDir(), 'never')
      const refused = await runKedgeJson<ErrorJson>(['token', 'create', ...args], {home: fresh})
      assert.equal(refused.code, 2, `${args.join(' ')}: ${refused.stdout}`)
      assert.equal(refused.json.error.code, code, args.join(' '))
      assert.match(refused.json.error.message, message)
      assert.equal(existsSync(fresh), false, `${args.join(' ')} created a home`)
      const onExisting = await runKedge(['token', 'create', ...args], {home: existing})
      assert.equal(onExisting.code, 2, args.join(' '))
      assert.match(onExisting.stderr, /^Error: .*\nHint: /)
    }
    // A name that starts with "-" comes after "--", or it is read as a flag.
    const dashed = await runKedge(['token', 'create', '--', '-ci'], {home: existing})
    assert.equal(dashed.code, 2)
    assert.equal(dashed.stderr, 'Error: invalid token name "-ci"\nHint: use 1 to 63 letters, digits, ".", "_" or "-", starting with a letter or digit\n')
    assert.deepEqual(homeContents(existing), contents)
    // Listing and revoking need a home: neither makes one.
    for (const args of [['token', 'list'], ['token', 'revoke', 'ci']]) {
      const none = path.join(tempDir(), 'never')
      const refused = await runKedgeJson<ErrorJson>(args, {home: none})
      assert.equal(refused.code, 2)
      assert.equal(refused.json.error.code, 'no_home')
      assert.equal(existsSync(none), false)
    }
  })
})
