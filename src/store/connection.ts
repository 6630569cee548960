import {chmodSync, existsSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'

import {errorMessage, ExternalError} from '../model/errors.js'
import {migrate} from './migrations.js'
import {DATABASE_MODE, preparePrivateHome} from './private-home.js'
import {nativeLibrary, sqlitePackageDirectory, sqliteUnavailable} from './sqlite-library.js'
import {storageFault} from './storage-errors.js'

/**
 * kedge.db opened with better-sqlite3 alone, which is all that reading it takes. The client goes by the
 * name drizzle gives it, so that a KedgeDatabase (store/database.ts), for the code that writes, is one too.
 */
export interface StoreConnection {
  readonly $client: Database.Database
}

const BUSY_TIMEOUT_MS = 10_000

export interface OpenOptions {
  /**
   * For commands that only read: no write lock is taken unless a migration is missing, and on a home that
   * cannot be written (a read-only mount, a full disk), a copy of the database is read instead of failing,
   * when the copy can be complete.
   */
  readsOnly?: boolean
}

export function openConnection(file: string, options: OpenOptions = {}): StoreConnection {
  try {
    return {$client: openClient(file, options.readsOnly ?? false)}
  } catch (error) {
    // Not the home's fault: no database can be opened until the library is rebuilt.
    const unavailable = sqliteUnavailable(error, sqlitePackageDirectory())
    if (unavailable) throw unavailable
    const fault = storageFault({root: path.dirname(file), databaseFile: file}, error, {anyError: true})
    if (!fault) throw storeError(file, error)
    if (!options.readsOnly || !copyIsComplete(file)) throw fault
    try {
      return {$client: openCopy(file)}
    } catch {
      throw fault
    }
  }
}

export function closeDatabase(db: StoreConnection): void {
  if (db.$client.open) db.$client.close()
}

function openClient(file: string, readsOnly: boolean): Database.Database {
  preparePrivateHome(path.dirname(file), file)
  const isNew = !existsSync(file)
  const client = new Database(file, {nativeBinding: nativeLibrary()})
  // Whatever the umask of the process that creates it: its -wal and -shm files take its mode.
  if (isNew) chmodSync(file, DATABASE_MODE)
  try {
    client.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    retryWhileBusy(() => useWriteAheadLog(client))
    client.pragma('synchronous = NORMAL')
    client.pragma('foreign_keys = ON')
    retryWhileBusy(() => migrate(client, {readsOnly}))
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
  const client = new Database(bytes, {nativeBinding: nativeLibrary()})
  migrate(client, {readsOnly: true})
  client.pragma('query_only = ON')
  return client
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

function storeError(file: string, error: unknown): ExternalError {
  return new ExternalError(`cannot open the kedge database ${file}: ${errorMessage(error)}`, {
    code: 'store_unavailable',
    hint: 'check that the kedge home directory exists, is writable and is not on a full disk',
    cause: error,
  })
}
