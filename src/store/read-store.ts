import type {ReadStore} from '../ports/store.js'
import {findAccessTokenByHash, findAccessTokenById, listAccessTokens} from './access-tokens.js'
import type {StoreConnection} from './connection.js'
import {hasPendingDeployment, lastAppliedDeployment, lastGoodDeployment, lastGoodSummary, listDeployments, newestAttempt} from './deployments.js'
import {findRepository, latestDeployments, listRepositories, repositoryRegistry, secretVariableNames} from './repositories.js'
import {findEngine, findEngineById, listEngines} from './engines.js'
import {listNotificationChannels} from './notification-channels.js'
import {listAllStacks, listStacks} from './stacks.js'

/**
 * The store's reads over a bare better-sqlite3 connection: plain SQL, no drizzle, so that the read
 * commands start fast. Building a query with drizzle cost several times what SQLite takes to answer it
 * (bench/cli-latency.ts; docs/performance.md, "No drizzle").
 */
export function readStore(db: StoreConnection): ReadStore {
  return {
    findRepository: (name) => findRepository(db, name),
    listRepositories: () => listRepositories(db),
    secretVariableNames: () => secretVariableNames(db),
    repositoryRegistry: () => repositoryRegistry(db),
    listStacks: (repositoryId) => listStacks(db, repositoryId),
    listAllStacks: () => listAllStacks(db),
    latestDeployments: () => latestDeployments(db),
    listDeployments: (stackId, limit) => listDeployments(db, stackId, limit),
    newestAttempt: (stackId) => newestAttempt(db, stackId),
    lastGoodDeployment: (stackId) => lastGoodDeployment(db, stackId),
    lastAppliedDeployment: (stackId) => lastAppliedDeployment(db, stackId),
    lastGoodSummary: (stackId) => lastGoodSummary(db, stackId),
    hasPendingDeployment: (repositoryId) => hasPendingDeployment(db, repositoryId),
    listNotificationChannels: () => listNotificationChannels(db),
    listAccessTokens: () => listAccessTokens(db),
    findAccessTokenByHash: (tokenHash) => findAccessTokenByHash(db, tokenHash),
    findAccessTokenById: (id) => findAccessTokenById(db, id),
    listEngines: () => listEngines(db),
    findEngine: (name) => findEngine(db, name),
    findEngineById: (id) => findEngineById(db, id),
  }
}
