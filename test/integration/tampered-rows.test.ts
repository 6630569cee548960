import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {RepositoryStatus} from '../../src/usecases/repositories/repository-status.js'
import type {RepositoryView} from '../../src/model/repository/repository-view.js'
import {closeDatabase, openDatabase} from '../../src/store/database.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack, uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'
import {waitFor} from '../helpers/wait.js'

/** Runs SQL against the home's kedge.db, as someone editing it by hand would. */
function tamper(home: string, sql: string, ...params: unknown[]): void {
  const db = openDatabase(path.join(home, 'kedge.db'))
  try {
    assert.equal(db.$client.prepare(sql).run(...params).changes, 1, `${sql} changed no row`)
  } finally {
    closeDatabase(db)
  }
}

function repositoryId(home: string, name: string): number {
  const db = openDatabase(path.join(home, 'kedge.db'))
  try {
    return db.$client.prepare('SELECT id FROM repositories WHERE name = ?').pluck().get(name) as number
  } finally {
    closeDatabase(db)
  }
}

/** A home two levels below a scratch directory, and a victim directory outside it that `repos/../../victim` reaches. */
function homeWithVictim(): {home: string; victim: string; outside: string} {
  const root = tempDir('kedge-tampered-')
  const home = path.join(root, 'nest', 'home')
  const victim = path.join(root, 'nest', 'victim')
  mkdirSync(victim, {recursive: true})
  writeFileSync(path.join(victim, 'keep.txt'), "not kedge's\n")
  return {home, victim, outside: path.join(root, 'nest')}
}

/** One `Error:` line, then at most its hint. */
function assertOneLineError(stderr: string, message: RegExp): void {
  const lines = stderr.trimEnd().split('\n')
  assert.match(lines[0]!, message)
  assert.ok(lines.length === 1 || (lines.length === 2 && lines[1]!.startsWith('Hint: ')), stderr)
}

describe('rows of kedge.db changed by hand', () => {
  it('a bad timestamp or snapshot fails only its own repository: status and repo list show the others', async () => {
    const good = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE})
    const {home} = good
    const badTime = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home})
    const badJson = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home})
    const insert = `INSERT INTO deployments (repository_id, stack_id, "commit", "trigger", status, started_at, snapshot, interrupted) VALUES (?, (SELECT id FROM stacks WHERE repository_id = ?), ?, 'git', 'success', ?, ?, 0)`
    const [timeId, jsonId] = [repositoryId(home, badTime.name), repositoryId(home, badJson.name)]
    tamper(home, insert, timeId, timeId, 'a'.repeat(40), 'garbage', null)
    tamper(home, insert, jsonId, jsonId, 'b'.repeat(40), Date.now(), '{"version": 1, "commit": ')

    const status = await runKedgeJson<RepositoryStatus[]>(['status'], {home})
    assert.equal(status.code, 0, status.stderr)
    const byName = new Map(status.json.map((entry) => [entry.name, entry]))
    assert.deepEqual([...byName.keys()].sort(), [good.name, badTime.name, badJson.name].sort())
    assert.equal(byName.get(good.name)!.rowError, null)
    assert.equal(byName.get(badTime.name)!.rowError?.code, 'corrupt_row')
    assert.match(byName.get(badTime.name)!.rowError!.message, /^corrupt database: deployments row \d+, column started_at: not a timestamp$/)
    assert.match(byName.get(badJson.name)!.lastError!.message, /^corrupt database: deployments row \d+, column snapshot: not JSON$/)

    const text = await runKedge(['status'], {home})
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, new RegExp(`^${good.name} `, 'm'))
    assert.match(text.stdout, /error\s+corrupt database: deployments row \d+, column snapshot: not JSON\n\s+hint\s+kedge never writes this value/)

    // Asked for by name, the one repository that cannot be shown is the command's error.
    const one = await runKedge(['status', '--repo', badJson.name], {home})
    assert.equal(one.code, 1, one.stderr)
    assertOneLineError(one.stderr, /^Error: corrupt database: deployments row \d+, column snapshot: not JSON$/)

    const list = await runKedgeJson<RepositoryView[]>(['repo', 'list'], {home})
    assert.equal(list.code, 0, list.stderr)
    assert.equal(list.json.length, 3)
    assert.equal(list.json.find((entry) => entry.name === badTime.name)!.lastDeployment!.startedAt, null)

    const history = await runKedge(['history', '--repo', badTime.name], {home})
    assert.equal(history.code, 1, history.stderr)
    assertOneLineError(history.stderr, /^Error: corrupt database: deployments row \d+, column started_at: not a timestamp$/)
  })

  it('a name leading out of the home: repo remove deletes its row and no file outside the home; --down is refused', async () => {
    const {home, victim} = homeWithVictim()
    const good = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home})
    const escaping = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home})
    tamper(home, "UPDATE repositories SET name = '../../victim' WHERE name = ?", escaping.name)

    const refused = await runKedge(['repo', 'remove', '../../victim', '--down'], {home})
    assert.deepEqual(readdirSync(victim), ['keep.txt'], 'repo remove --down deleted a directory outside the home')
    assert.equal(refused.code, 1, refused.stderr)
    assertOneLineError(refused.stderr, /^Error: corrupt database: repositories row \d+, column name: .*nothing was removed$/)

    const removed = await runKedge(['repo', 'remove', '../../victim'], {home})
    assert.deepEqual(readdirSync(victim), ['keep.txt'], 'repo remove deleted a directory outside the home')
    assert.equal(removed.code, 0, removed.stderr)
    assert.match(removed.stdout, /files: none deleted/)
    const list = await runKedgeJson<RepositoryView[]>(['repo', 'list'], {home})
    assert.deepEqual(list.json.map((entry) => entry.name), [good.name])
  })

  it('a name leading out of the home and intervals of 0 and -1000: serve touches nothing outside, does not spin, and serves the others', async () => {
    const {home, victim} = homeWithVictim()
    const good = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home})
    const escaping = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home, name: uniqueName('kt-esc')})
    const zero = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home, name: uniqueName('kt-zero')})
    const negative = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home, name: uniqueName('kt-neg')})
    tamper(home, "UPDATE repositories SET name = '../../victim' WHERE name = ?", escaping.name)
    tamper(home, 'UPDATE repositories SET interval_ms = 0 WHERE name = ?', zero.name)
    tamper(home, 'UPDATE repositories SET interval_ms = -1000 WHERE name = ?', negative.name)

    const serve = new ServeProcess(home)
    await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === good.name, 90_000)
    // A few seconds more of watching: a loop that spun would have logged hundreds of rounds by then.
    const watchedFrom = Date.now()
    await waitFor('three seconds of watching', () => Date.now() - watchedFrom > 3000, 10_000)
    assert.equal(await serve.stop(), 0, serve.stderr)
    assert.deepEqual(readdirSync(victim), ['keep.txt'], 'serve wrote into or deleted from a directory outside the home')
    const linesOf = (name: string) => serve.lines.filter((line) => line.repo === name)
    for (const name of [zero.name, negative.name, '../../victim']) {
      assert.ok(linesOf(name).length <= 3, `${name} logged ${linesOf(name).length} lines: ${JSON.stringify(linesOf(name).slice(0, 5))}`)
    }
    for (const name of ['../../victim', zero.name, negative.name]) {
      const lines = linesOf(name)
      const corrupt = lines.filter((line) => line.event === 'repo.corrupt')
      assert.equal(corrupt.length, 1, JSON.stringify(lines))
      assert.equal(corrupt[0]!.level, 'error')
    }
    assert.match(String(serve.lines.find((line) => line.repo === zero.name && line.event === 'repo.corrupt')!.error), /column interval_ms: "0"/)
  })

  it('a snapshot whose compose file leads out of the home: rollback refuses in one line and writes nothing', async () => {
    const {home, outside} = homeWithVictim()
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home})
    const synced = await runKedge(['sync', '--repo', stack.name], {home})
    assert.equal(synced.code, 0, synced.stderr)
    const commit = stack.remote.head()
    // From the scratch directory a restore writes in (generated/<name>/.import-*/files), five levels up leaves the home.
    const escape = '../../../../../escaped/compose.yaml'
    const db = openDatabase(path.join(home, 'kedge.db'))
    try {
      const row = db.$client.prepare('SELECT id, snapshot FROM deployments ORDER BY id DESC LIMIT 1').get() as {id: number; snapshot: string}
      const snapshot = JSON.parse(row.snapshot) as {composeFiles: Array<{path: string}>}
      snapshot.composeFiles[0]!.path = escape
      db.$client.prepare('UPDATE deployments SET snapshot = ? WHERE id = ?').run(JSON.stringify(snapshot), row.id)
    } finally {
      closeDatabase(db)
    }
    // Without the release directory and the clone, a rollback restores from the snapshot in the database.
    rmSync(path.join(home, 'releases', stack.name), {recursive: true, force: true})
    rmSync(path.join(home, 'repos', stack.name), {recursive: true, force: true})

    const result = await runKedge(['rollback', '--repo', stack.name, commit.slice(0, 7)], {home})
    assert.equal(existsSync(path.join(outside, 'escaped')), false, 'rollback wrote a file outside the home')
    assert.equal(result.code, 1, result.stderr)
    assertOneLineError(result.stderr, /^Error: corrupt database: deployments row \d+, column snapshot: compose file ".*escaped\/compose\.yaml" leaves the repository$/)
  })

  it("never sends kedge's own secret as a repository's token, whatever token_env holds", async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE})
    tamper(stack.home, "UPDATE repositories SET auth_kind = 'token_env', token_env = 'KEDGE_SECRET_KEY' WHERE name = ?", stack.name)
    const result = await runKedge(['sync', '--repo', stack.name], {home: stack.home, env: {KEDGE_SECRET_KEY: 'k'.repeat(44)}})
    assert.equal(result.code, 2, result.stderr)
    assertOneLineError(result.stderr, /^Error: repository ".*" takes its token from KEDGE_SECRET_KEY, one of kedge's own variables/)
  })
})
