import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import type {DeploymentRow} from '../../src/model/rows.js'
import type {Store} from '../../src/ports/store.js'
import {closeDatabase, openConnection} from '../../src/store/connection.js'
import {sqliteStore} from '../../src/store/sqlite-store.js'
import {FakeClock, MemoryStore} from '../helpers/fake-ports.js'

/** Every field of a row but its times, which the two stores take from different clocks. */
function timeless(row: DeploymentRow | undefined) {
  if (!row) return row
  const {startedAt: _started, finishedAt, ...rest} = row
  return {...rest, finished: finishedAt !== null}
}

/** One script of store calls; what each returns, for comparing the fake with kedge.db. */
function exercise(store: Store) {
  const seen: Record<string, unknown> = {}
  const app = store.insertRepository({name: 'app', url: 'https://git.example/app.git', branch: 'main', createdAt: new Date(0)})
  const other = store.insertRepository({name: 'other', url: 'https://git.example/other.git', branch: 'main', createdAt: new Date(0)})
  seen.ids = [app.id, other.id]
  const first = store.startDeployment({repositoryId: app.id, commit: 'a'.repeat(40), trigger: 'git'})
  store.finishDeployment(first.id, {status: 'success', snapshot: '{}', project: 'app'})
  const failedWithSnapshot = store.startDeployment({repositoryId: app.id, commit: 'b'.repeat(40), trigger: 'git'})
  seen.failed = timeless(store.finishDeployment(failedWithSnapshot.id, {status: 'failed', error: 'it broke', snapshot: '{}', leftFailed: true, note: undefined}))
  const rollback = store.startDeployment({repositoryId: app.id, commit: 'a'.repeat(40), trigger: 'auto_rollback'})
  store.finishDeployment(rollback.id, {status: 'rolled_back', replacedCommit: 'b'.repeat(40)})
  const heal = store.startDeployment({repositoryId: app.id, commit: 'a'.repeat(40), trigger: 'drift'})
  store.finishDeployment(heal.id, {status: 'failed', error: 'cut short', interrupted: true})
  store.startDeployment({repositoryId: app.id, commit: 'c'.repeat(40), trigger: 'git'})
  store.startDeployment({repositoryId: other.id, commit: 'd'.repeat(40), trigger: 'git'})
  seen.ids2 = store.listDeployments(app.id, 10).map((row) => row.id)
  seen.lastGood = timeless(store.lastGoodDeployment(app.id))
  seen.lastApplied = timeless(store.lastAppliedDeployment(app.id))
  seen.lastAppliedOther = timeless(store.lastAppliedDeployment(other.id))
  seen.good = store.listGoodDeployments(app.id).map((row) => row.id)
  seen.lastAttempt = timeless(store.lastAttemptAt(app.id, 'a'.repeat(40)))
  seen.drifts = store.countDeploymentsSince(app.id, 'drift', new Date(0))
  seen.gits = store.countDeploymentsSince(app.id, 'git', new Date(0))
  seen.interrupted = store.markInterrupted(app.id)
  seen.afterInterrupt = store.listDeployments(app.id, 1).map(timeless)
  seen.latest = [...store.latestDeployments().entries()].map(([id, row]) => [id, row.id])
  seen.counts = store.countDeploymentsByStatus().sort((a, b) => `${a.repo}${a.status}`.localeCompare(`${b.repo}${b.status}`))
  store.updateRepository(app.id, {pendingCommit: 'c'.repeat(40), lastError: 'x', pinnedCommit: undefined})
  store.recordRepositoryError(app.id, new Error('the remote did not answer'))
  const {lastErrorAt, createdAt: _created, ...repository} = store.findRepository('app')!
  seen.repository = {...repository, errorAt: lastErrorAt instanceof Date}

  const holder = {host: 'h', pid: 1, processStart: 's', purpose: 'test', acquiredAt: new Date(0)}
  const rival = {...holder, pid: 2}
  seen.locks = [
    store.tryTakeLock('repository:app', holder, () => true).taken,
    store.tryTakeLock('repository:app', rival, () => true).taken,
    store.tryTakeLock('repository:app', rival, () => false).taken,
  ]
  store.dropLock('repository:app', holder)
  seen.dropByOther = store.tryTakeLock('repository:app', holder, () => true).taken
  store.dropLock('repository:app', rival)
  seen.dropByHolder = store.tryTakeLock('repository:app', holder, () => true).taken
  seen.deleted = [store.deleteRepository('other'), store.deleteRepository('other')]
  seen.latestAfterDelete = [...store.latestDeployments().keys()]
  return seen
}

describe('MemoryStore', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'kedge-store-'))
  after(() => rmSync(root, {recursive: true, force: true}))

  it('answers as kedge.db does', () => {
    const file = path.join(root, 'kedge.db')
    const connection = openConnection(file)
    try {
      const real = exercise(sqliteStore({root, databaseFile: file}, connection))
      const fake = exercise(new MemoryStore(new FakeClock()))
      assert.deepEqual(fake, real)
    } finally {
      closeDatabase(connection)
    }
  })
})
