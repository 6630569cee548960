import Database from 'better-sqlite3'

import {nativeLibrary} from './sqlite-library.js'

/** Tells whether kedge.db has changed, whoever wrote it: serve itself, or a command in another process. */
export interface DatabaseChanges {
  /** Changes whenever a commit reached the database since it was last read. */
  version(): number
  close(): void
}

/**
 * A connection of its own that only reads SQLite's `data_version`, which changes when another connection
 * commits (the one serve writes with included) and costs no read of the database's pages.
 */
export function watchDatabaseChanges(file: string): DatabaseChanges {
  const client = new Database(file, {fileMustExist: true, nativeBinding: nativeLibrary()})
  const statement = client.prepare('PRAGMA data_version').pluck()
  return {
    version: () => statement.get() as number,
    close: () => client.close(),
  }
}
