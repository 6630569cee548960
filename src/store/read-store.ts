import type {ReadStore} from '../ports/store.js'
import type {StoreConnection} from './connection.js'
import {lastAppliedDeployment, lastGoodDeployment, listDeployments} from './deployments.js'
import {findRepository, latestDeployments, listRepositories, secretVariableNames} from './repositories.js'

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
    latestDeployments: () => latestDeployments(db),
    listDeployments: (repositoryId, limit) => listDeployments(db, repositoryId, limit),
    lastGoodDeployment: (repositoryId) => lastGoodDeployment(db, repositoryId),
    lastAppliedDeployment: (repositoryId) => lastAppliedDeployment(db, repositoryId),
  }
}
