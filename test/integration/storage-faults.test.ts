import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import Database from 'better-sqlite3'

import type {DeploymentView} from '../../src/model/repository/deployment-view.js'
import {acquireLock} from '../../src/usecases/deploying/lock.js'
import {kedgeContext} from '../../src/drivers/composition.js'
import {resolveHome} from '../../src/model/home.js'
import {closeDatabase, openDatabase} from '../../src/store/database.js'
import type {RepositoryStatus} from '../../src/usecases/repositories/repository-status.js'
import {runKedge, runKedgeJson, type CliResult} from '../helpers/cli.js'
import {kedgeContainers} from '../helpers/docker.js'
import {git, GitRemote, SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {homeState} from '../helpers/home-state.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack, uniqueName} from '../helpers/stack.js'
import {SmallFilesystem} from '../helpers/tmpfs.js'

type ErrorJson = {error: {code: string; message: string; hint: string}}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const fullMessage = (home: string) => `the filesystem of the kedge home ${home} is full`

/** A refusal: exit 1, one error line and its hint on stderr, nothing on stdout. */
function assertRefused(result: CliResult, message: RegExp): void {
  assert.equal(result.code, 1, result.stderr)
  assert.equal(result.stdout, '')
  assert.match(result.stderr, /^Error: [^\n]+\nHint: [^\n]+\n$/)
  assert.match(result.stderr.split('\n')[0]!, message)
}

/** PRAGMA integrity_check on kedge.db, opened as any SQLite client would, and how many rows it holds. */
function inspectDatabase(home: string): {integrity: string; repositories: number; deployments: number; locks: number} {
  const db = new Database(path.join(home, 'kedge.db'))
  try {
    const count = (table: string) => Number(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get())
    return {
      integrity: String(db.pragma('integrity_check', {simple: true})),
      repositories: count('repositories'),
      deployments: count('deployments'),
      locks: count('locks'),
    }
  } finally {
    db.close()
  }
}

const history = async (home: string, name: string) => (await runKedgeJson<DeploymentView[]>(['history', '--repo', name], {home})).json

describe('storage faults under the kedge home', {timeout: 120_000}, () => {
  it('a full disk: writes fail naming the home and leave nothing behind, reads still work, and all works again once space is freed', async () => {
    const disk = new SmallFilesystem()
    const home = path.join(disk.dir, 'home')
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home})
    const before = await homeState(home)
    disk.fill()
    try {
      const other = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE})
      const otherName = uniqueName()
      const added = await runKedge(['repo', 'add', other.fileUrl, '--name', otherName], {home})
      assertRefused(added, new RegExp(`^Error: ${escape(fullMessage(home))}$`))
      const json = await runKedgeJson<ErrorJson>(['repo', 'add', other.fileUrl, '--name', otherName], {home})
      assert.equal(json.code, 1)
      assert.equal(json.json.error.code, 'home_full')
      assert.match(json.json.error.hint, /free some space/)

      // Reading works from a copy of the database: SQLite cannot create kedge.db-shm on a full disk.
      assert.deepEqual(await homeState(home), before, 'nothing half-registered: no row, no clone, nothing in staging/')
      const status = await runKedgeJson<RepositoryStatus[]>(['status'], {home})
      assert.equal(status.code, 0, status.stderr)
      assert.deepEqual(status.json.map((repository) => repository.name), [stack.name])
      const listed = await runKedge(['repo', 'list'], {home})
      assert.equal(listed.code, 0, listed.stderr)
      assert.match(listed.stdout, new RegExp(stack.name))
      assert.deepEqual(await history(home, stack.name), [])

      // A deploy cannot record its deployment: it is refused before anything changes on the host.
      const commit = stack.remote.head()
      assertRefused(await runKedge(['sync', '--repo', stack.name], {home}), new RegExp(escape(fullMessage(home))))
      assert.deepEqual(kedgeContainers(stack.name), [])
      assertRefused(await runKedge(['repo', 'remove', stack.name], {home}), new RegExp(escape(fullMessage(home))))
      assert.deepEqual(await homeState(home), before, 'repo remove changed nothing')
      assert.deepEqual(await history(home, stack.name), [])

      disk.unfill()
      assert.deepEqual(inspectDatabase(home), {integrity: 'ok', repositories: 1, deployments: 0, locks: 0})
      const synced = await runKedgeJson<{deployment: DeploymentView}>(['sync', '--repo', stack.name], {home})
      assert.equal(synced.code, 0, synced.stderr)
      assert.equal(synced.json.deployment.commit, commit)
      assert.equal((await runKedge(['repo', 'add', other.fileUrl, '--name', otherName], {home})).code, 0)
      assert.deepEqual(inspectDatabase(home), {integrity: 'ok', repositories: 2, deployments: 1, locks: 0})
    } finally {
      disk.unfill()
    }
  })

  it('a clone that fits where its row does not: repo add takes the clone back, and a held-open database stays whole', async () => {
    const disk = new SmallFilesystem()
    const home = path.join(disk.dir, 'home')
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home})
    const other = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE})
    const otherName = uniqueName()

    // What the clone of `other` takes on this filesystem, measured with the clone kedge makes.
    const probe = path.join(disk.dir, 'probe')
    const used = disk.usedBytes()
    git(disk.dir, 'clone', '--quiet', '--depth=1', '--single-branch', '--no-tags', '--branch=main', other.fileUrl, probe)
    const cloneBytes = disk.usedBytes() - used
    rmSync(probe, {recursive: true, force: true})

    // Another connection keeps kedge.db-shm in place, as a running serve does; its write-ahead log is
    // emptied and cut to nothing, so that the next transaction must grow it, which a full disk refuses.
    const holder = new Database(path.join(home, 'kedge.db'))
    try {
      holder.pragma('wal_checkpoint(TRUNCATE)')
      const before = await homeState(home)
      disk.fill(cloneBytes)
      const added = await runKedge(['repo', 'add', other.fileUrl, '--name', otherName, '--debug'], {home})
      assert.equal(added.code, 1)
      assert.match(added.stderr, new RegExp(`^Error: ${escape(fullMessage(home))}\n`))
      assert.match(added.stderr, /SqliteError: database or disk is full[\s\S]*registerWithCheckout/, 'the clone was made, and registering it failed')
      assert.deepEqual(await homeState(home), before, 'the clone moved into repos/ was taken back with the row')

      // The clone's room is free again, and the failed transaction left frames in the log: cut both.
      holder.pragma('wal_checkpoint(TRUNCATE)')
      disk.fill()
      assertRefused(await runKedge(['sync', '--repo', stack.name], {home}), new RegExp(escape(fullMessage(home))))
      assertRefused(await runKedge(['repo', 'remove', stack.name], {home}), new RegExp(escape(fullMessage(home))))
      assert.equal(holder.pragma('integrity_check', {simple: true}), 'ok')
      assert.deepEqual(holder.prepare('SELECT name FROM repositories').pluck().all(), [stack.name])
      assert.equal(holder.prepare('SELECT count(*) FROM deployments').pluck().get(), 0)
      assert.equal(holder.prepare('SELECT count(*) FROM locks').pluck().get(), 0, 'no lock left taken')
    } finally {
      holder.close()
      disk.unfill()
    }
    assert.equal((await runKedge(['repo', 'add', other.fileUrl, '--name', otherName], {home})).code, 0)
    assert.deepEqual(inspectDatabase(home), {integrity: 'ok', repositories: 2, deployments: 0, locks: 0})
  })

  it('a read-only home: every writing command refuses at once naming it, reading commands work, and nothing changes', async () => {
    const disk = new SmallFilesystem()
    const home = path.join(disk.dir, 'home')
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home})
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home})).code, 0)
    const other = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE})
    const databaseHash = () => createHash('sha256').update(readFileSync(path.join(home, 'kedge.db'))).digest('hex')
    const hashBefore = databaseHash()
    const filesBefore = readdirSync(home, {recursive: true}).sort()
    const statusBefore = (await runKedgeJson<RepositoryStatus[]>(['status'], {home})).json
    const historyBefore = await history(home, stack.name)

    disk.remount('ro')
    try {
      const readOnly = new RegExp(`^Error: the kedge home ${escape(home)} is read-only: its filesystem is mounted read-only$`)
      const writers = [
        ['repo', 'add', other.fileUrl, '--name', uniqueName()],
        ['repo', 'remove', stack.name],
        ['sync', '--repo', stack.name],
        ['serve', '--listen', '127.0.0.1:0'],
      ]
      for (const args of writers) {
        const started = Date.now()
        assertRefused(await runKedge(args, {home, timeoutMs: 20_000}), readOnly)
        assert.ok(Date.now() - started < 10_000, `${args.join(' ')} refused at once`)
      }
      const json = await runKedgeJson<ErrorJson>(writers[0]!, {home})
      assert.equal(json.code, 1)
      assert.equal(json.json.error.code, 'home_read_only')
      assert.match(json.json.error.hint, /remount it read-write/)

      const listed = await runKedgeJson<Array<{name: string}>>(['repo', 'list'], {home})
      assert.equal(listed.code, 0, listed.stderr)
      assert.deepEqual(listed.json.map((repository) => repository.name), [stack.name])
      const status = await runKedgeJson<RepositoryStatus[]>(['status'], {home})
      assert.equal(status.code, 0, status.stderr)
      // What the database holds, as before; the containers are the engine's, asked live ("Up 5 seconds").
      const withoutEngine = (statuses: RepositoryStatus[]) => statuses.map(({services: _, ...recorded}) => recorded)
      assert.deepEqual(withoutEngine(status.json), withoutEngine(statusBefore))
      assert.deepEqual(status.json[0]!.services.map((service) => [service.service, service.containers[0]?.state]), [['web', 'running']])
      assert.deepEqual(await history(home, stack.name), historyBefore)
      assert.equal(historyBefore.length, 1)

      // A home that does not exist yet cannot be made there; a reading command creates none anyway.
      const absent = path.join(disk.dir, 'absent', 'home')
      const notCreated = new RegExp(`^Error: the kedge home ${escape(absent)} does not exist and cannot be created: its filesystem is read-only$`)
      assertRefused(await runKedge(['repo', 'add', other.fileUrl], {home: absent}), notCreated)
      const none = await runKedge(['repo', 'list'], {home: absent})
      assert.equal(none.code, 2, none.stderr)
      assert.match(none.stderr, new RegExp(`^Error: no kedge home at "${escape(absent)}"\n`))
    } finally {
      disk.remount('rw')
    }
    assert.equal(databaseHash(), hashBefore)
    assert.deepEqual(readdirSync(home, {recursive: true}).sort(), filesBefore, 'no file created or removed, kedge.db-wal and -shm included')
    assert.equal(existsSync(path.join(disk.dir, 'absent')), false)
    assert.deepEqual(inspectDatabase(home), {integrity: 'ok', repositories: 1, deployments: 1, locks: 0})
  })

  it('a lock this process could not release on a full disk does not keep it out of its own repository', async () => {
    const disk = new SmallFilesystem()
    const home = resolveHome(path.join(disk.dir, 'home'))
    const db = openDatabase(home.databaseFile)
    try {
      const context = kedgeContext(home, db, {log: () => undefined})
      const lock = await acquireLock(context, 'repository:web', {purpose: 'a round of serve', waitMs: 0})
      db.$client.pragma('wal_checkpoint(TRUNCATE)')
      disk.fill()
      assert.throws(() => lock.release(), {code: 'SQLITE_FULL'})
      disk.unfill()
      assert.equal(db.$client.prepare('SELECT count(*) FROM locks').pluck().get(), 1, 'the row of the failed release is left')
      // serve's next round for the repository, in the same process: the row names it, but it holds nothing.
      const next = await acquireLock(context, 'repository:web', {purpose: 'the next round', waitMs: 0})
      assert.equal(db.$client.prepare('SELECT purpose FROM locks').pluck().get(), 'the next round')
      next.release()
      assert.equal(db.$client.prepare('SELECT count(*) FROM locks').pluck().get(), 0)
      assert.equal(db.$client.pragma('integrity_check', {simple: true}), 'ok')
    } finally {
      closeDatabase(db)
      disk.unfill()
    }
  })

  it('serve on a full disk logs the round\'s error naming the home, keeps serving, and deploys once space is back', async () => {
    const disk = new SmallFilesystem()
    const home = path.join(disk.dir, 'home')
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home, args: ['--interval', '1s']})
    const serve = new ServeProcess(home)
    const base = String((await serve.waitForLog((line) => line.event === 'http.listening', 30_000)).address)
    await serve.waitForLog((line) => line.event === 'deploy.succeeded' && stack.remote.head().startsWith(String(line.commit)))
    const token = readFileSync(path.join(home, 'admin.token'), 'utf8').trim()
    const first = stack.remote.head()

    const from = serve.lines.length
    disk.fill()
    let next: string
    try {
      next = stack.remote.commit({'docker-compose.yaml': SIMPLE_COMPOSE.replace('busybox:1', 'busybox:2')}, 'new image')
      const failed = await serve.waitForLog((line) => line.level === 'error' && line.repo === stack.name, 30_000, from)
      assert.equal(failed.error, fullMessage(home))
      assert.equal((await fetch(`${base}/health`)).status, 200, 'serve still answers')
      const other = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE})
      const added = await fetch(`${base}/api/v1/repos`, {
        method: 'POST',
        headers: {authorization: `Bearer ${token}`, 'content-type': 'application/json'},
        body: JSON.stringify({url: other.fileUrl, name: uniqueName()}),
      })
      assert.equal(added.status, 507)
      assert.deepEqual(((await added.json()) as ErrorJson).error.code, 'home_full')
    } finally {
      disk.unfill()
    }
    await serve.waitForLog((line) => line.event === 'deploy.succeeded' && next.startsWith(String(line.commit)), 60_000, from)
    assert.deepEqual(kedgeContainers(stack.name).map((container) => container.image), ['kedge-test/busybox:2'])
    assert.equal(await serve.stop(), 0)
    assert.deepEqual(serve.lines.filter((line) => line.level === 'unparsed'), [])
    assert.equal(inspectDatabase(home).integrity, 'ok')
    assert.deepEqual((await history(home, stack.name)).map((row) => [row.commit, row.status]), [
      [next, 'success'],
      [first, 'success'],
    ])
  })
})
