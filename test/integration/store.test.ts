import assert from 'node:assert/strict'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import Database from 'better-sqlite3'
import {eq, getTableColumns, type Table} from 'drizzle-orm'

import {closeDatabase, openDatabase} from '../../src/store/database.js'
import {hasPendingDeployment, lastGoodDeployment, lastGoodSummary, listDeployments, markInterrupted} from '../../src/store/deployments.js'
import {dropLock, findLock, tryTakeLock} from '../../src/store/locks.js'
import {findRepository, insertRepository, latestDeployments, listRepositories, recordRemoteHead, repositoryRegistry} from '../../src/store/repositories.js'
import {findAccessTokenByHash, findAccessTokenById, listAccessTokens} from '../../src/store/access-tokens.js'
import {accessTokens, engines, deployments, repositories, stacks} from '../../src/store/schema.js'
import {insertStack, listAllStacks, listStacks, recordDriftCheck, updateStack} from '../../src/store/stacks.js'
import {findEngine, findEngineById, listEngines} from '../../src/store/engines.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {GitRemote, SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {tempDir} from '../helpers/temp.js'

const MIGRATIONS = fileURLToPath(new URL('../../drizzle', import.meta.url))

describe('the SQLite store', () => {
  it('is created and migrated on first use, in WAL mode with foreign keys', async () => {
    const home = path.join(tempDir(), 'fresh-home')
    // A command that only reads creates no home.
    const none = await runKedgeJson<{error: {code: string}}>(['repo', 'list'], {home})
    assert.equal(none.code, 2)
    assert.equal(none.json.error.code, 'no_home')
    assert.equal(existsSync(home), false)
    assert.equal((await runKedge(['notify', 'add', 'json://127.0.0.1:9/hook'], {home})).code, 0)
    const result = await runKedgeJson(['repo', 'list'], {home})
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(result.json, [])
    assert.ok(existsSync(path.join(home, 'kedge.db')))

    const db = openDatabase(path.join(home, 'kedge.db'))
    try {
      assert.equal(db.$client.pragma('journal_mode', {simple: true}), 'wal')
      assert.equal(db.$client.pragma('foreign_keys', {simple: true}), 1)
      const tables = db.$client.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all()
      assert.deepEqual(tables.filter((name) => !String(name).startsWith('sqlite_')), ['__drizzle_migrations', 'access_tokens', 'deployments', 'engines', 'locks', 'notification_channels', 'repositories', 'stacks'])
      const applied = db.$client.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get()
      assert.ok(Number(applied) >= 1)
    } finally {
      closeDatabase(db)
    }
  })

  it('applies migrations once however often it is opened', () => {
    const file = path.join(tempDir(), 'kedge.db')
    for (let i = 0; i < 3; i++) closeDatabase(openDatabase(file))
    const db = openDatabase(file)
    try {
      const rows = db.$client.prepare('SELECT hash FROM __drizzle_migrations').pluck().all()
      assert.equal(new Set(rows).size, rows.length)
    } finally {
      closeDatabase(db)
    }
  })

  it('applies the migrations an older database lacks when it is opened: each repository becomes its root stack, with its history and state', async () => {
    const home = tempDir()
    const file = path.join(home, 'kedge.db')
    // The database as the kedge before 0007_left_failed left it: its migrations, each recorded as drizzle records them.
    const older = new Database(file)
    const journal = JSON.parse(readFileSync(path.join(MIGRATIONS, 'meta', '_journal.json'), 'utf8')) as {entries: Array<{tag: string; when: number}>}
    older.exec('CREATE TABLE "__drizzle_migrations" (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)')
    for (const {tag, when} of journal.entries.filter((entry) => entry.tag < '0007')) {
      for (const statement of readFileSync(path.join(MIGRATIONS, `${tag}.sql`), 'utf8').split('--> statement-breakpoint')) older.exec(statement)
      older.prepare('INSERT INTO "__drizzle_migrations" (hash, created_at) VALUES (?, ?)').run(tag, when)
    }
    const at = Date.now()
    older
      .prepare(`INSERT INTO repositories (name, url, branch, path, created_at, pinned_commit, pin_reason, pinned_at_head, drift, drift_checked_at) VALUES ('older', 'file:///tmp/older.git', 'main', 'deploy', ?, ?, 'rolled back by hand', ?, '[]', ?)`)
      .run(at, 'a'.repeat(40), 'c'.repeat(40), at)
    older.prepare(`INSERT INTO repositories (name, url, branch, created_at) VALUES ('other', 'file:///tmp/other.git', 'main', ?)`).run(at)
    const insert = older.prepare(`INSERT INTO deployments (repository_id, "commit", "trigger", status, started_at, note, interrupted) VALUES (?, ?, 'git', ?, ?, ?, 0)`)
    insert.run(1, 'a'.repeat(40), 'success', at, null)
    insert.run(1, 'b'.repeat(40), 'failed', at, 'left as it failed: rollback_on_failure is off')
    insert.run(2, 'd'.repeat(40), 'failed', at, 'rolled back automatically to aaaaaaa')
    older.close()

    const listed = await runKedgeJson(['repo', 'list'], {home})
    assert.equal(listed.code, 0, listed.stderr)
    const db = openDatabase(file)
    try {
      assert.equal(db.$client.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get(), journal.entries.length)
      const stackRows = listAllStacks(db)
      assert.deepEqual(
        stackRows.map((stack) => [stack.repositoryId, stack.name, stack.path, stack.pinnedCommit, stack.pinReason, stack.pinnedAtHead, stack.drift]),
        [
          [1, 'older', 'deploy', 'a'.repeat(40), 'rolled back by hand', 'c'.repeat(40), '[]'],
          [2, 'other', '', null, null, null, null],
        ],
      )
      // A failed deploy recorded before 0007 keeps holding drift healing: its note said it was left as it failed.
      assert.deepEqual(
        listDeployments(db, stackRows[0]!.id, 10).map((row) => [row.commit[0], row.status, row.leftFailed, row.repositoryId]),
        [
          ['b', 'failed', true, 1],
          ['a', 'success', false, 1],
        ],
      )
      assert.deepEqual(listDeployments(db, stackRows[1]!.id, 10).map((row) => [row.commit[0], row.leftFailed]), [['d', false]])
      assert.ok(!db.$client.prepare("SELECT name FROM pragma_table_info('repositories')").pluck().all().includes('pinned_commit'))
      assert.deepEqual(db.$client.pragma('foreign_key_check'), [])
    } finally {
      closeDatabase(db)
    }
    const history = await runKedgeJson<Array<{stack: string; commit: string}>>(['history', '--repo', 'older'], {home})
    assert.equal(history.code, 0, history.stderr)
    assert.deepEqual(history.json.map((row) => [row.stack, row.commit[0]]), [['older', 'b'], ['older', 'a']])
  })

  it('reads rows with plain SQL exactly as drizzle maps them', () => {
    const db = openDatabase(path.join(tempDir(), 'kedge.db'))
    try {
      // Every column set, to a value of its kind; then rows with every optional column left null.
      const filled = (table: Table, key: string) =>
        Object.fromEntries(
          Object.entries(getTableColumns(table)).map(([name, column]) => {
            const values: Record<string, unknown> = {number: 7, string: `${name} of ${key}`, date: new Date(1_700_000_000_123), boolean: true}
            return [name, values[column.dataType]]
          }),
        )
      // The engine every filled row names (their engine_id is 7), and one with its optional columns null.
      const fullEngine = db.insert(engines).values({...filled(engines, 'full'), id: 7} as typeof engines.$inferInsert).returning().get()
      const bareEngine = db.insert(engines).values({name: 'bare', createdAt: new Date(1_700_000_000_321)}).returning().get()
      assert.deepEqual(listEngines(db), db.select().from(engines).orderBy(engines.name).all())
      assert.deepEqual(findEngine(db, 'bare'), bareEngine)
      assert.deepEqual(findEngineById(db, 7), fullEngine)
      const full = insertRepository(db, {...filled(repositories, 'full'), id: 1} as typeof repositories.$inferInsert)
      const bare = insertRepository(db, {name: 'bare', url: '/bare', branch: 'main', createdAt: new Date(1_700_000_000_456)})
      const fullStack = db.insert(stacks).values({...filled(stacks, 'full'), id: 1, repositoryId: full.id, hold: 'down'} as typeof stacks.$inferInsert).returning().get()
      const bareStack = insertStack(db, {repositoryId: bare.id, name: 'bare', path: '', createdAt: new Date(1_700_000_000_789)})
      db.insert(deployments).values({...filled(deployments, 'full'), id: 1, repositoryId: full.id, stackId: fullStack.id, status: 'success'} as typeof deployments.$inferInsert).run()
      db.insert(deployments).values({repositoryId: bare.id, stackId: bareStack.id, commit: 'abc', trigger: 'git', status: 'failed', startedAt: new Date()}).run()

      assert.deepEqual(listRepositories(db), db.select().from(repositories).orderBy(repositories.name).all())
      assert.deepEqual(findRepository(db, 'bare'), bare)
      assert.deepEqual(listAllStacks(db), db.select().from(stacks).orderBy(stacks.repositoryId, stacks.name).all())
      assert.deepEqual(listStacks(db, bare.id), [bareStack])
      assert.deepEqual([...latestDeployments(db).values()], db.select().from(deployments).all())
      for (const stack of [fullStack, bareStack]) {
        assert.deepEqual(listDeployments(db, stack.id, 10), db.select().from(deployments).where(eq(deployments.stackId, stack.id)).all())
      }
      assert.deepEqual(lastGoodDeployment(db, fullStack.id), db.select().from(deployments).where(eq(deployments.id, 1)).get())

      const fullToken = db.insert(accessTokens).values({...filled(accessTokens, 'full'), id: 1, role: 'admin'} as typeof accessTokens.$inferInsert).returning().get()
      db.insert(accessTokens).values({name: 'bare', role: 'read', tokenHash: 'f'.repeat(64), createdAt: new Date(1_700_000_000_999)}).run()
      assert.deepEqual(listAccessTokens(db), db.select().from(accessTokens).orderBy(accessTokens.name).all())
      assert.deepEqual(findAccessTokenByHash(db, 'f'.repeat(64)), db.select().from(accessTokens).where(eq(accessTokens.name, 'bare')).get())
      assert.deepEqual(findAccessTokenById(db, fullToken.id), fullToken)
    } finally {
      closeDatabase(db)
    }
  })

  it('lets several processes open a new database at the same moment', async () => {
    const home = path.join(tempDir(), 'raced-home')
    const results = await Promise.all(Array.from({length: 12}, (_, index) => runKedgeJson(['notify', 'add', `json://127.0.0.1:9/hook${index}`], {home})))
    for (const result of results) assert.equal(result.code, 0, result.stderr)
  })

  it('serialises concurrent registrations without losing one', async () => {
    const home = tempDir()
    const remote = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE})
    const names = ['one', 'two', 'three', 'four']
    const results = await Promise.all(names.map((name) => runKedge(['repo', 'add', remote.fileUrl, '--name', name], {home})))
    for (const result of results) assert.equal(result.code, 0, result.stderr)
    const listed = await runKedgeJson<Array<{name: string}>>(['repo', 'list'], {home})
    assert.deepEqual(listed.json.map((repo) => repo.name).sort(), [...names].sort())
  })

  it("takes, refuses, takes over and drops a lock, records a poll's head, answers a quiet round's and serve's registry reads, and reads what was written since each query was prepared", () => {
    const db = openDatabase(path.join(tempDir(), 'kedge.db'))
    try {
      const first = {host: 'h', pid: 10, processStart: 'ns/1', purpose: 'first', acquiredAt: new Date(1_700_000_000_000)}
      const second = {host: 'h', pid: 20, processStart: 'ns/2', purpose: 'second', acquiredAt: new Date(1_700_000_000_500)}
      assert.deepEqual(tryTakeLock(db, 'repository:a', first, () => true), {taken: true})
      assert.deepEqual(tryTakeLock(db, 'repository:a', second, () => true), {taken: false, current: {name: 'repository:a', ...first}})
      // The first holder died: the second takes its row over, every column its own.
      assert.deepEqual(tryTakeLock(db, 'repository:a', second, () => false), {taken: true})
      assert.deepEqual(findLock(db, 'repository:a'), {name: 'repository:a', ...second})
      // A drop names its holder: the dead one's drop leaves the row.
      dropLock(db, 'repository:a', first)
      assert.deepEqual(findLock(db, 'repository:a'), {name: 'repository:a', ...second})
      dropLock(db, 'repository:a', second)
      assert.equal(findLock(db, 'repository:a'), undefined)

      // The plain reads keep their prepared statements: a row written after the first read is read the next time.
      const repository = insertRepository(db, {name: 'r', url: '/r', branch: 'main', createdAt: new Date()})
      const stack = insertStack(db, {repositoryId: repository.id, name: 'r', path: '', createdAt: new Date()})
      assert.equal(lastGoodDeployment(db, stack.id), undefined)
      db.insert(deployments).values({repositoryId: repository.id, stackId: stack.id, commit: 'c'.repeat(40), trigger: 'git', status: 'success', startedAt: new Date()}).run()
      assert.equal(lastGoodDeployment(db, stack.id)?.commit, 'c'.repeat(40))
      // A quiet round's reads: the last good deployment's id and commit alone, and whether one is pending.
      assert.deepEqual(lastGoodSummary(db, stack.id), {id: lastGoodDeployment(db, stack.id)!.id, commit: 'c'.repeat(40)})
      assert.equal(hasPendingDeployment(db, repository.id), false)
      const pending = db.insert(deployments).values({repositoryId: repository.id, stackId: stack.id, commit: 'f'.repeat(40), trigger: 'git', status: 'pending', startedAt: new Date()}).returning().get()
      assert.equal(hasPendingDeployment(db, repository.id), true)
      assert.equal(lastGoodSummary(db, stack.id)?.commit, 'c'.repeat(40), 'a pending deployment is not a good one')
      assert.equal(markInterrupted(db, repository.id), 1)
      assert.equal(hasPendingDeployment(db, repository.id), false)
      assert.equal(db.select().from(deployments).where(eq(deployments.id, pending.id)).get()?.interrupted, true)
      // A drift check's record, by its own prepared update, redacted as updateStack redacts it.
      const drift = JSON.stringify([{service: 'web', type: 'changed', detail: 'pulled from https://deploy:s3cr3t-pass@registry.example/app'}])
      const other = insertStack(db, {repositoryId: repository.id, name: 'other', path: 'other', createdAt: new Date()})
      recordDriftCheck(db, stack.id, drift, new Date(1_700_000_345_678))
      updateStack(db, other.id, {drift, driftCheckedAt: new Date(1_700_000_345_678)})
      const [checked, viaUpdate] = [stack.id, other.id].map((id) => listStacks(db, repository.id).find((row) => row.id === id)!)
      assert.equal(checked!.driftCheckedAt?.getTime(), 1_700_000_345_678)
      assert.equal(checked!.drift, viaUpdate!.drift)
      assert.doesNotMatch(checked!.drift!, /s3cr3t-pass/, 'a credential in a URL is masked')
      // serve's registry: each name with the variables its secrets come from, as written since the query was prepared.
      assert.deepEqual(repositoryRegistry(db), [{name: 'r', tokenEnv: null, webhookSecretEnv: null}])
      insertRepository(db, {name: 'q', url: '/q', branch: 'main', createdAt: new Date(), tokenEnv: 'Q_TOKEN'})
      assert.deepEqual(repositoryRegistry(db), [
        {name: 'q', tokenEnv: 'Q_TOKEN', webhookSecretEnv: null},
        {name: 'r', tokenEnv: null, webhookSecretEnv: null},
      ])

      // A poll's head and time, written by its own prepared update, read back as any other write is.
      recordRemoteHead(db, repository.id, 'd'.repeat(40), new Date(1_700_000_123_456))
      recordRemoteHead(db, repository.id, 'e'.repeat(40), new Date(1_700_000_234_567))
      const polled = findRepository(db, 'r')!
      assert.deepEqual([polled.remoteHead, polled.remoteCheckedAt], ['e'.repeat(40), new Date(1_700_000_234_567)])
      assert.deepEqual(polled, db.select().from(repositories).where(eq(repositories.id, repository.id)).get())
    } finally {
      closeDatabase(db)
    }
  })

  it('makes a writer in another process wait for the lock instead of failing', async () => {
    const home = tempDir()
    const holder = openDatabase(path.join(home, 'kedge.db'))
    try {
      holder.$client.exec('BEGIN IMMEDIATE')
      insertRepository(holder, {name: 'held', url: '/x', branch: 'main', path: '.', createdAt: new Date()})
      const waiting = runKedge(['repo', 'add', 'http://127.0.0.1:9/acme/waiter.git', '--allow-unreachable'], {home})
      await new Promise((resolve) => setTimeout(resolve, 1500))
      holder.$client.exec('COMMIT')
      const result = await waiting
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(listRepositories(holder).map((row) => row.name), ['held', 'waiter'])
    } finally {
      if (holder.$client.inTransaction) holder.$client.exec('ROLLBACK')
      closeDatabase(holder)
    }
  })

  it('finds its migrations whatever the working directory', async () => {
    const cwd = tempDir()
    const result = await runKedge(['notify', 'add', 'json://127.0.0.1:9/hook', '--home', 'state'], {cwd})
    assert.equal(result.code, 0, result.stderr)
    assert.ok(existsSync(path.join(cwd, 'state', 'kedge.db')), '--home is relative to the working directory')
  })

  it('takes --home over KEDGE_HOME', async () => {
    const root = tempDir()
    const fromEnv = path.join(root, 'env-home')
    const fromFlag = path.join(root, 'flag-home')
    const result = await runKedge(['notify', 'add', 'json://127.0.0.1:9/hook', '--home', fromFlag], {home: fromEnv})
    assert.equal(result.code, 0, result.stderr)
    assert.ok(existsSync(path.join(fromFlag, 'kedge.db')))
    assert.equal(existsSync(fromEnv), false)
  })

  it('says clearly when the home cannot be written', async () => {
    const root = tempDir()
    const blocker = path.join(root, 'file')
    writeFileSync(blocker, 'not a directory')
    const result = await runKedgeJson<{error: {code: string; message: string; hint: string}}>(['notify', 'add', 'json://127.0.0.1:9/hook'], {home: path.join(blocker, 'home')})
    assert.equal(result.code, 1)
    assert.equal(result.json.error.code, 'store_unavailable')
    assert.match(result.json.error.message, /^cannot open the kedge database .*file\/home\/kedge\.db: /)
  })
})
