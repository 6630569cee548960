import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import type {DeploymentRow} from '../../src/model/rows.js'
import type {Store} from '../../src/ports/store.js'
import {closeDatabase, openConnection} from '../../src/store/connection.js'
import {sqliteStore} from '../../src/store/sqlite-store.js'
import {FakeClock, MemoryStore, rootStackValues} from '../helpers/fake-ports.js'

/** Every field of a row but its times, which the two stores take from different clocks. */
function timeless(row: DeploymentRow | undefined) {
  if (!row) return row
  const {startedAt: _started, finishedAt, ...rest} = row
  return {...rest, finished: finishedAt !== null}
}

/** Whether the call was refused; the two stores word their refusals differently. */
function refusal(run: () => unknown): boolean {
  try {
    run()
  } catch {
    return true
  }
  return false
}

/** One script of store calls; what each returns, for comparing the fake with kedge.db. */
function exercise(store: Store) {
  const seen: Record<string, unknown> = {}
  const app = store.insertRepository({name: 'app', url: 'https://git.example/app.git', branch: 'main', createdAt: new Date(0)}, (row) => {
    store.insertStack(rootStackValues(row))
  })
  const other = store.insertRepository({name: 'other', url: 'https://git.example/other.git', branch: 'main', createdAt: new Date(0)}, (row) => {
    store.insertStack(rootStackValues(row))
  })
  seen.ids = [app.id, other.id]
  seen.refusedGate = refusal(() =>
    store.insertRepository({name: 'gated', url: 'https://git.example/gated.git', branch: 'main', createdAt: new Date(0)}, (row) => {
      store.insertStack(rootStackValues(row))
      throw new Error('the checkout could not be placed')
    }),
  )
  seen.afterRefusedGate = [store.findRepository('gated'), store.listAllStacks().map((stack) => stack.name)]
  const [appStack] = store.listStacks(app.id)
  const [otherStack] = store.listStacks(other.id)
  const worker = store.insertStack({repositoryId: app.id, name: 'worker', path: 'worker', createdAt: new Date(0)})
  seen.duplicateStack = refusal(() => store.insertStack({repositoryId: app.id, name: 'worker', path: 'elsewhere', createdAt: new Date(0)}))
  seen.stacks = store.listStacks(app.id).map(({createdAt: _created, ...stack}) => stack)
  seen.allStacks = store.listAllStacks().map((stack) => [stack.repositoryId, stack.name, stack.path])
  const first = store.startDeployment({repositoryId: app.id, stackId: appStack!.id, commit: 'a'.repeat(40), trigger: 'git'})
  store.finishDeployment(first.id, {status: 'success', snapshot: '{}', project: 'app'})
  const failedWithSnapshot = store.startDeployment({repositoryId: app.id, stackId: appStack!.id, commit: 'b'.repeat(40), trigger: 'git'})
  seen.failed = timeless(store.finishDeployment(failedWithSnapshot.id, {status: 'failed', error: 'it broke', snapshot: '{}', leftFailed: true, note: undefined}))
  const rollback = store.startDeployment({repositoryId: app.id, stackId: appStack!.id, commit: 'a'.repeat(40), trigger: 'auto_rollback'})
  store.finishDeployment(rollback.id, {status: 'rolled_back', replacedCommit: 'b'.repeat(40)})
  const heal = store.startDeployment({repositoryId: app.id, stackId: appStack!.id, commit: 'a'.repeat(40), trigger: 'drift'})
  store.finishDeployment(heal.id, {status: 'failed', error: 'cut short', interrupted: true})
  store.startDeployment({repositoryId: app.id, stackId: appStack!.id, commit: 'c'.repeat(40), trigger: 'git'})
  const workerFirst = store.startDeployment({repositoryId: app.id, stackId: worker.id, commit: 'e'.repeat(40), trigger: 'git'})
  store.finishDeployment(workerFirst.id, {status: 'success', snapshot: '{}', project: 'app-worker'})
  store.startDeployment({repositoryId: app.id, stackId: worker.id, commit: 'f'.repeat(40), trigger: 'git'})
  store.startDeployment({repositoryId: other.id, stackId: otherStack!.id, commit: 'd'.repeat(40), trigger: 'git'})
  seen.ids2 = store.listDeployments(appStack!.id, 10).map((row) => row.id)
  seen.workerIds = store.listDeployments(worker.id, 10).map((row) => row.id)
  seen.lastGood = timeless(store.lastGoodDeployment(appStack!.id))
  seen.lastGoodWorker = timeless(store.lastGoodDeployment(worker.id))
  seen.newestAttempt = timeless(store.newestAttempt(appStack!.id))
  seen.lastApplied = timeless(store.lastAppliedDeployment(appStack!.id))
  seen.lastAppliedOther = timeless(store.lastAppliedDeployment(otherStack!.id))
  seen.good = store.listGoodDeployments(appStack!.id).map((row) => row.id)
  seen.lastAttempt = timeless(store.lastAttemptAt(appStack!.id, 'a'.repeat(40)))
  seen.lastAttemptOtherStack = timeless(store.lastAttemptAt(worker.id, 'a'.repeat(40)))
  seen.drifts = store.countDeploymentsSince(appStack!.id, 'drift', new Date(0))
  seen.gits = store.countDeploymentsSince(appStack!.id, 'git', new Date(0))
  seen.workerGits = store.countDeploymentsSince(worker.id, 'git', new Date(0))
  // The lock is the repository's: taking it over ends the pending attempts of every one of its stacks.
  seen.interrupted = store.markInterrupted(app.id)
  seen.afterInterrupt = store.listDeployments(appStack!.id, 1).map(timeless)
  seen.workerAfterInterrupt = store.listDeployments(worker.id, 1).map(timeless)
  seen.otherAfterInterrupt = store.listDeployments(otherStack!.id, 1).map((row) => row.status)
  seen.latest = [...store.latestDeployments().entries()].map(([id, row]) => [id, row.id])
  seen.counts = store.countDeploymentsByStatus().sort((a, b) => `${a.repo}${a.stack}${a.status}`.localeCompare(`${b.repo}${b.stack}${b.status}`))
  store.updateRepository(app.id, {lastError: 'x', remoteHead: undefined})
  store.recordRepositoryError(app.id, new Error('the remote did not answer'))
  const {lastErrorAt, createdAt: _created, ...repository} = store.findRepository('app')!
  seen.repository = {...repository, errorAt: lastErrorAt instanceof Date}
  store.updateStack(appStack!.id, {pendingCommit: 'c'.repeat(40), pendingChanges: '[]', lastError: 'x', pinnedCommit: undefined})
  store.recordStackError(appStack!.id, new Error('the deploy failed'))
  const {lastErrorAt: stackErrorAt, createdAt: _stackCreated, ...stack} = store.listStacks(app.id).find((row) => row.id === appStack!.id)!
  seen.stack = {...stack, errorAt: stackErrorAt instanceof Date}
  seen.deletedStack = [store.deleteStack(worker.id), store.deleteStack(worker.id)]
  seen.afterStackDelete = [store.listStacks(app.id).map((row) => row.name), store.listDeployments(worker.id, 10).length, store.listDeployments(appStack!.id, 10).length]

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
  seen.stacksAfterDelete = store.listAllStacks().map((row) => row.name)
  return seen
}

/** The access tokens' calls: a name taken, the last use never moved back, a deleted row's id never used again. */
function exerciseAccessTokens(store: Store) {
  const seen: Record<string, unknown> = {}
  const token = (name: string, hash: string) => ({name, role: 'read' as const, tokenHash: hash.repeat(64), createdAt: new Date(1000), expiresAt: null, lastUsedAt: null})
  seen.inserted = [store.insertAccessToken(token('ci', 'a')), store.insertAccessToken({...token('admin', 'b'), role: 'admin', expiresAt: new Date(5000)})]
  seen.nameTaken = store.insertAccessToken(token('ci', 'c'))
  seen.hashTaken = refusal(() => store.insertAccessToken(token('other', 'a')))
  seen.listed = store.listAccessTokens()
  seen.byHash = [store.findAccessTokenByHash('b'.repeat(64)), store.findAccessTokenByHash('d'.repeat(64))]
  seen.byId = [store.findAccessTokenById(1), store.findAccessTokenById(9)]
  store.recordAccessTokenUse(1, new Date(7000))
  store.recordAccessTokenUse(1, new Date(6000))
  seen.lastUsed = store.findAccessTokenById(1)?.lastUsedAt
  seen.deleted = [store.deleteAccessToken('ci'), store.deleteAccessToken('ci')]
  seen.afterDelete = store.insertAccessToken(token('ci', 'e'))?.id
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

  it('answers for access tokens as kedge.db does', () => {
    const file = path.join(root, 'tokens.db')
    const connection = openConnection(file)
    try {
      const real = exerciseAccessTokens(sqliteStore({root, databaseFile: file}, connection))
      const fake = exerciseAccessTokens(new MemoryStore(new FakeClock()))
      assert.deepEqual(fake, real)
      assert.equal(real.afterDelete, 3, 'AUTOINCREMENT: a deleted id is not used again')
      assert.equal(real.hashTaken, true)
    } finally {
      closeDatabase(connection)
    }
  })
})
