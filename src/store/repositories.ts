import {asc, eq, inArray, max} from 'drizzle-orm'

import {redactFields} from './redact-fields.js'

import type {KedgeDatabase} from './database.js'
import {deployments, repositories, type DeploymentRow, type NewRepositoryRow, type RepositoryRow} from './schema.js'

export function insertRepository(db: KedgeDatabase, values: NewRepositoryRow): RepositoryRow {
  return db.insert(repositories).values(values).returning().get()
}

export function findRepository(db: KedgeDatabase, name: string): RepositoryRow | undefined {
  return db.select().from(repositories).where(eq(repositories.name, name)).get()
}

export function listRepositories(db: KedgeDatabase): RepositoryRow[] {
  return db.select().from(repositories).orderBy(asc(repositories.name)).all()
}

export function updateRepository(db: KedgeDatabase, id: number, values: Partial<Omit<RepositoryRow, 'id' | 'name'>>): void {
  db.update(repositories).set(redactFields(values, {text: ['lastError'], json: ['pendingChanges', 'drift']})).where(eq(repositories.id, id)).run()
}

/** Records the last error on the repository, for `status`; the message is kedge's or the tool's own. */
export function recordRepositoryError(db: KedgeDatabase, id: number, error: unknown): void {
  updateRepository(db, id, {lastError: error instanceof Error ? error.message : String(error), lastErrorAt: new Date()})
}

export function deleteRepository(db: KedgeDatabase, name: string): boolean {
  return db.delete(repositories).where(eq(repositories.name, name)).run().changes > 0
}

/** The newest deployment of each repository, keyed by repository id. */
export function latestDeployments(db: KedgeDatabase): Map<number, DeploymentRow> {
  const newest = db
    .select({id: max(deployments.id)})
    .from(deployments)
    .groupBy(deployments.repositoryId)
  const rows = db.select().from(deployments).where(inArray(deployments.id, newest)).all()
  return new Map(rows.map((row) => [row.repositoryId, row]))
}
