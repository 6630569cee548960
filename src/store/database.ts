import {existsSync, mkdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import Database from 'better-sqlite3'
import {drizzle, type BetterSQLite3Database} from 'drizzle-orm/better-sqlite3'
import {readMigrationFiles} from 'drizzle-orm/migrator'

import {errorMessage, ExternalError} from '../errors.js'
import * as schema from './schema.js'
import {storageFault} from './storage-errors.js'

export type KedgeDatabase = BetterSQLite3Database<typeof schema> & {$client: Database.Database}

/** Resolved from this module, never from the working directory, so an installed kedge finds its migrations. */
const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url))
const MIGRATIONS_TABLE = '__drizzle_migrations'
const BUSY_TIMEOUT_MS = 10_000

export interface OpenOptions {
  /**
   * For commands that only read: on a home that cannot be written (a read-only mount, a full disk), read
   * a copy of the database instead of failing, when the copy can be complete.
   */
  readCopyWhenUnwritable?: boolean
}

export function openDatabase(file: string, options: OpenOptions = {}): KedgeDatabase {
  let client: Database.Database
  try {
    client = openClient(file)
  } catch (error) {
    const fault = storageFault({root: path.dirname(file), databaseFile: file}, error, {anyError: true})
    if (!fault) throw storeError(file, error)
    if (!options.readCopyWhenUnwritable || !copyIsComplete(file)) throw fault
    try {
      client = openCopy(file)
    } catch {
      throw fault
    }
  }
  return drizzle({client, schema})
}

function openClient(file: string): Database.Database {
  mkdirSync(path.dirname(file), {recursive: true})
  const client = new Database(file)
  try {
    client.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    retryWhileBusy(() => useWriteAheadLog(client))
    client.pragma('synchronous = NORMAL')
    client.pragma('foreign_keys = ON')
    retryWhileBusy(() => applyMigrations(client))
  } catch (error) {
    client.close()
    throw error
  }
  return client
}

/** A copy of kedge.db has every committed write when its write-ahead log holds none that were not copied back yet. */
function copyIsComplete(file: string): boolean {
  const log = `${file}-wal`
  return existsSync(file) && (!existsSync(log) || statSync(log).size === 0)
}

/**
 * kedge.db read into memory. SQLite cannot open a WAL database read-only without its shared-memory file
 * (kedge.db-shm), which it cannot create on a read-only or full filesystem. Bytes 18 and 19 of the
 * header mark the file as WAL, which a database in memory cannot be: the copy is marked as a rollback
 * journal database instead. Migrations a newer kedge brings are applied to the copy alone, which is then
 * made query-only, so nothing can be written believing it was kept.
 */
function openCopy(file: string): Database.Database {
  const bytes = readFileSync(file)
  if (bytes.length >= 100) bytes.fill(1, 18, 20)
  const client = new Database(bytes)
  applyMigrations(client)
  client.pragma('query_only = ON')
  return client
}

export function closeDatabase(db: KedgeDatabase): void {
  if (db.$client.open) db.$client.close()
}

/**
 * Switching a new database to WAL needs an exclusive lock while this connection already reads it; SQLite
 * answers SQLITE_BUSY at once instead of calling the busy handler there (it could deadlock), so several
 * processes opening a new home together would fail without a retry of their own.
 */
function useWriteAheadLog(client: Database.Database): void {
  const mode = client.pragma('journal_mode', {simple: true})
  if (mode !== 'wal') client.pragma('journal_mode = WAL')
}

function retryWhileBusy(action: () => void): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS
  for (let attempt = 1; ; attempt++) {
    try {
      action()
      return
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error
      sleepSync(Math.min(10 * attempt, 200))
    }
  }
}

function isBusy(error: unknown): boolean {
  return typeof error === 'object' && error !== null && String((error as {code?: unknown}).code).startsWith('SQLITE_BUSY')
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * Applies drizzle-kit's generated migrations in the format drizzle's own migrator records them, but
 * inside one IMMEDIATE transaction: drizzle reads the applied list before it takes the write lock, so two
 * processes opening a new database at once would both try to create the tables.
 */
function applyMigrations(client: Database.Database): void {
  const migrations = readMigrationFiles({migrationsFolder: MIGRATIONS_FOLDER})
  const migrate = client.transaction(() => {
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
  migrate.immediate()
}

function storeError(file: string, error: unknown): ExternalError {
  return new ExternalError(`cannot open the kedge database ${file}: ${errorMessage(error)}`, {
    code: 'store_unavailable',
    hint: 'check that the kedge home directory exists, is writable and is not on a full disk',
    cause: error,
  })
}
