import {drizzle, type BetterSQLite3Database} from 'drizzle-orm/better-sqlite3'

import {openConnection, type OpenOptions, type StoreConnection} from './connection.js'
import * as schema from './schema.js'

export {closeDatabase, type OpenOptions} from './connection.js'

/** kedge.db with drizzle's query builders, for the code that writes; reading needs only a StoreConnection. */
export type KedgeDatabase = BetterSQLite3Database<typeof schema> & StoreConnection

export function openDatabase(file: string, options: OpenOptions = {}): KedgeDatabase {
  return databaseOf(openConnection(file, options))
}

const databases = new WeakMap<StoreConnection, KedgeDatabase>()

/** The connection wrapped in drizzle, once however often it is asked for. */
export function databaseOf(connection: StoreConnection): KedgeDatabase {
  let database = databases.get(connection)
  if (!database) {
    database = drizzle({client: connection.$client, schema})
    databases.set(connection, database)
  }
  return database
}
