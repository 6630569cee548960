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
 * Applies drizzle-kit's generated migrations that the database lacks. Nearly every open finds none
 * missing, and learns it from one read of the applied list against drizzle-kit's journal: no write lock,
 * no migration file read or hashed, nothing of drizzle loaded.
 */
export function migrate(client: Database.Database): void {
  if (!migrationsMissing(client)) return
  applyMigrations(client)
}

/** Read without a lock: the migrations are applied in one transaction, so no reader sees only some of them. */
function migrationsMissing(client: Database.Database): boolean {
  const tracked = client.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(MIGRATIONS_TABLE)
  if (tracked === undefined) return true
  const {applied} = client.prepare(`SELECT max(created_at) AS applied FROM "${MIGRATIONS_TABLE}"`).get() as {applied: number | null}
  return applied === null || Number(applied) < latestMigration()
}

function latestMigration(): number {
  const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as MigrationJournal
  return Math.max(...journal.entries.map((entry) => entry.when))
}

/**
 * Applies the migrations in the format drizzle's own migrator records them, but inside one IMMEDIATE
 * transaction: drizzle reads the applied list before it takes the write lock, so two processes opening
 * a new database at once would both try to create the tables.
 */
function applyMigrations(client: Database.Database): void {
  const migrations = readMigrationFiles()
  const apply = client.transaction(() => {
    client.exec(
      `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
    )
    const last = client.prepare(`SELECT max(created_at) AS applied FROM "${MIGRATIONS_TABLE}"`).get() as {
      applied: number | null
    }
    const record = client.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" (hash, created_at) VALUES (?, ?)`)
    for (const migration of migrations) {
      if (last.applied !== null && Number(last.applied) >= migration.folderMillis) continue
      for (const statement of migration.sql) {
        if (statement.trim().length > 0) client.exec(statement)
      }
      record.run(migration.hash, migration.folderMillis)
    }
  })
  apply.immediate()
}

/**
 * drizzle's reader of the migration files, which hashes each one: required only when a migration is
 * missing, so that the commands which find none load neither it nor Node's crypto.
 */
function readMigrationFiles(): ReturnType<typeof import('drizzle-orm/migrator').readMigrationFiles> {
  const migrator = createRequire(import.meta.url)('drizzle-orm/migrator') as typeof import('drizzle-orm/migrator')
  return migrator.readMigrationFiles({migrationsFolder: MIGRATIONS_FOLDER})
}
