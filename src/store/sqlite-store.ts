import type {KedgeHome} from '../model/home.js'
import type {Store} from '../ports/store.js'
import {deleteAccessToken, insertAccessToken, recordAccessTokenUse} from './access-tokens.js'
import type {StoreConnection} from './connection.js'
import {databaseOf} from './database.js'
import {countDeploymentsByStatus} from './deployment-counts.js'
import {countDeploymentsSince, finishDeployment, lastAttemptAt, listGoodDeployments, markInterrupted, recordDeploymentHooks, startDeployment} from './deployments.js'
import {deleteEngine, insertEngine, updateEngine} from './engines.js'
import {dropLock, tryTakeLock} from './locks.js'
import {deleteNotificationChannel, insertNotificationChannel} from './notification-channels.js'
import {readStore} from './read-store.js'
import {deleteRepository, insertRepository, recordRemoteHead, recordRepositoryError, updateRepository} from './repositories.js'
import {deleteStack, insertStack, recordDriftCheck, recordStackError, updateStack} from './stacks.js'
import {isStorageFault, storageFault} from './storage-errors.js'

/** The Store port over kedge.db in `home`: the reads as plain SQL, the writes through drizzle. */
export function sqliteStore(home: Pick<KedgeHome, 'root' | 'databaseFile'>, connection: StoreConnection): Store {
  const db = databaseOf(connection)
  return {
    ...readStore(connection),
    insertRepository: (values, commitGate) =>
      db.$client
        .transaction(() => {
          const row = insertRepository(db, values)
          commitGate?.(row)
          return row
        })
        .immediate(),
    updateRepository: (id, values) => updateRepository(db, id, values),
    recordRemoteHead: (id, head, checkedAt) => recordRemoteHead(db, id, head, checkedAt),
    recordRepositoryError: (id, error) => recordRepositoryError(db, id, error),
    deleteRepository: (name) => deleteRepository(db, name),
    insertStack: (values) => insertStack(db, values),
    updateStack: (id, values) => updateStack(db, id, values),
    recordStackError: (id, error) => recordStackError(db, id, error),
    recordDriftCheck: (id, drift, checkedAt) => recordDriftCheck(db, id, drift, checkedAt),
    deleteStack: (id) => deleteStack(db, id),
    startDeployment: (values) => startDeployment(db, values),
    finishDeployment: (id, outcome) => finishDeployment(db, id, outcome),
    recordDeploymentHooks: (id, hooks) => recordDeploymentHooks(db, id, hooks),
    insertNotificationChannel: (values) => insertNotificationChannel(db, values),
    deleteNotificationChannel: (id) => deleteNotificationChannel(db, id),
    insertAccessToken: (values) => insertAccessToken(db, values),
    recordAccessTokenUse: (id, usedAt) => recordAccessTokenUse(db, id, usedAt),
    deleteAccessToken: (name) => deleteAccessToken(db, name),
    insertEngine: (values) => insertEngine(db, values),
    updateEngine: (id, values) => updateEngine(db, id, values),
    deleteEngine: (name) => deleteEngine(db, name),
    listGoodDeployments: (stackId) => listGoodDeployments(db, stackId),
    lastAttemptAt: (stackId, commit) => lastAttemptAt(db, stackId, commit),
    markInterrupted: (repositoryId) => markInterrupted(db, repositoryId),
    countDeploymentsSince: (stackId, trigger, since) => countDeploymentsSince(db, stackId, trigger, since),
    countDeploymentsByStatus: () => countDeploymentsByStatus(db),
    tryTakeLock: (name, holder, isAlive) => tryTakeLock(db, name, holder, isAlive),
    dropLock: (name, holder) => dropLock(db, name, holder),
    storageFault: (error, options) => storageFault(home, error, options),
    isStorageFault,
  }
}
