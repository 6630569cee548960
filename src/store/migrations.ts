import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import type Database from 'better-sqlite3'

/** Resolved from this module, never from the working directory, so an installed kedge finds its migrations. */
const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url))
const MIGRATIONS_TABLE = '__drizzle_migrations'

/** drizzle-kit's list of the migrations in drizzle/; each entry's `when` is what drizzle records as its created_at once applied. */
interface MigrationJournal {
  entries: Array<{when: number}>
}

/**
 * Applies drizzle-kit's generated migrations that the database lacks, in the format drizzle's own
 * migrator records them, but inside one IMMEDIATE transaction: drizzle reads the applied list before it
 * takes the write lock, so two processes opening a new database at once would both try to create the
 * tables. The migration files are read and hashed only when one is missing.
 *
 * A command that writes takes the write lock whatever it finds, so that one which may not write kedge.db
 * is refused as it opens it, before it changes anything else. A command that only reads first asks
 * without a lock: nearly always nothing is missing, and it neither waits for a writer nor writes
 * (bench/cli-latency.ts measures the read commands' start; docs/performance.md, "Opening the database").
 */
export function migrate(client: Database.Database, options: {readsOnly: boolean}): void {
  if (options.readsOnly && tableExists(client) && !migrationMissing(client)) return
  const apply = client.transaction(() => {
    client.exec(`CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)`)
    if (!migrationMissing(client)) return
    const applied = lastApplied(client)
    const record = client.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" (hash, created_at) VALUES (?, ?)`)
    for (const migration of readMigrationFiles()) {
      if (applied !== null && applied >= migration.folderMillis) continue
      for (const statement of migration.sql) {
        if (statement.trim().length > 0) client.exec(statement)
      }
      record.run(migration.hash, migration.folderMillis)
    }
  })
  apply.immediate()
}

function tableExists(client: Database.Database): boolean {
  return client.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(MIGRATIONS_TABLE) !== undefined
}

/** Read without a lock by the commands that only read: the migrations are applied in one transaction, so no reader sees only some of them. */
function migrationMissing(client: Database.Database): boolean {
  const applied = lastApplied(client)
  return applied === null || applied < latestMigration()
}

function lastApplied(client: Database.Database): number | null {
  const {applied} = client.prepare(`SELECT max(created_at) AS applied FROM "${MIGRATIONS_TABLE}"`).get() as {applied: number | null}
  return applied === null ? null : Number(applied)
}

function latestMigration(): number {
  const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as MigrationJournal
  return Math.max(...journal.entries.map((entry) => entry.when))
}

/**
 * drizzle's reader of the migration files, which hashes each one: required only when a migration is
 * missing, so that the commands which find none load neither it nor Node's crypto.
 */
function readMigrationFiles(): ReturnType<typeof import('drizzle-orm/migrator').readMigrationFiles> {
  const migrator = createRequire(import.meta.url)('drizzle-orm/migrator') as typeof import('drizzle-orm/migrator')
  return migrator.readMigrationFiles({migrationsFolder: MIGRATIONS_FOLDER})
}
