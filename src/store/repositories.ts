import {eq, sql} from 'drizzle-orm'

import type {StoreConnection} from './connection.js'
import type {KedgeDatabase} from './database.js'
import {oncePerDatabase} from './once-per-database.js'
import {plainSelect} from './plain-select.js'
import {redactFields} from './redact-fields.js'
import {ROW_COLUMNS} from './row-columns.js'
import {repositories, type DeploymentRow, type NewRepositoryRow, type RepositoryRow} from './schema.js'

export function insertRepository(db: KedgeDatabase, values: NewRepositoryRow): RepositoryRow {
  return db.insert(repositories).values(values).returning().get()
}

const repositoryRows = plainSelect<RepositoryRow>(ROW_COLUMNS.repositories)
const deploymentRows = plainSelect<DeploymentRow>(ROW_COLUMNS.deployments)

export function findRepository(db: StoreConnection, name: string): RepositoryRow | undefined {
  return repositoryRows.get(db, 'SELECT * FROM repositories WHERE name = ?', name)
}

export function listRepositories(db: StoreConnection): RepositoryRow[] {
  return repositoryRows.all(db, 'SELECT * FROM repositories ORDER BY name')
}

/** The variables that repositories' secrets are read from (--token-env, --webhook-secret-env), without reading whole rows. */
export function secretVariableNames(db: StoreConnection): string[] {
  const sql = "SELECT token_env FROM repositories WHERE token_env <> '' UNION SELECT webhook_secret_env FROM repositories WHERE webhook_secret_env <> ''"
  return db.$client.prepare(sql).pluck().all() as string[]
}

export interface RegistryEntry {
  name: string
  tokenEnv: string | null
  webhookSecretEnv: string | null
}

/** serve reads the registry every second: three columns of each row, prepared once (bench/stack-scale.ts). */
const registryOf = /* @__PURE__ */ oncePerDatabase((client: StoreConnection['$client']) =>
  client.prepare<[], RegistryEntry>('SELECT name, token_env AS tokenEnv, webhook_secret_env AS webhookSecretEnv FROM repositories ORDER BY name'),
)

export function repositoryRegistry(db: StoreConnection): RegistryEntry[] {
  return registryOf(db.$client).all()
}

export function updateRepository(db: KedgeDatabase, id: number, values: Partial<Omit<RepositoryRow, 'id' | 'name'>>): void {
  db.update(repositories).set(redactFields(values, {text: ['lastError']})).where(eq(repositories.id, id)).run()
}

/**
 * Prepared once per database: every poll of every repository writes it. drizzle's types take no placeholder
 * among an update's values, so each is given as SQL, and the time as the column stores it (timestamp_ms).
 */
const remoteHeadUpdate = /* @__PURE__ */ oncePerDatabase((db: KedgeDatabase) =>
  db
    .update(repositories)
    .set({remoteHead: sql`${sql.placeholder('head')}`, remoteCheckedAt: sql`${sql.placeholder('checkedAt')}`})
    .where(eq(repositories.id, sql.placeholder('id')))
    .prepare(),
)

export function recordRemoteHead(db: KedgeDatabase, id: number, head: string, checkedAt: Date): void {
  remoteHeadUpdate(db).run({id, head, checkedAt: checkedAt.getTime()})
}

/** Records the last error on the repository, for `status`; the message is kedge's or the tool's own. */
export function recordRepositoryError(db: KedgeDatabase, id: number, error: unknown): void {
  updateRepository(db, id, {lastError: error instanceof Error ? error.message : String(error), lastErrorAt: new Date()})
}

export function deleteRepository(db: KedgeDatabase, name: string): boolean {
  return db.delete(repositories).where(eq(repositories.name, name)).run().changes > 0
}

/** The newest deployment of each stack, keyed by stack id: one look-up in the index per stack, not a scan of the history. */
export function latestDeployments(db: StoreConnection): Map<number, DeploymentRow> {
  const newest = 'SELECT (SELECT max(id) FROM deployments WHERE stack_id = stacks.id) FROM stacks'
  const rows = deploymentRows.all(db, `SELECT * FROM deployments WHERE id IN (${newest})`)
  return new Map(rows.map((row) => [row.stackId, row]))
}
