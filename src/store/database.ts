import {drizzle, type BetterSQLite3Database} from 'drizzle-orm/better-sqlite3'

import {openConnection, type OpenOptions, type StoreConnection} from './connection.js'
import {oncePerDatabase} from './once-per-database.js'
import * as schema from './schema.js'

export {closeDatabase, type OpenOptions} from './connection.js'

/** kedge.db with drizzle's query builders, for the code that writes; reading needs only a StoreConnection. */
export type KedgeDatabase = BetterSQLite3Database<typeof schema> & StoreConnection

export function openDatabase(file: string, options: OpenOptions = {}): KedgeDatabase {
  return databaseOf(openConnection(file, options))
}

/** The connection wrapped in drizzle, once however often it is asked for. */
export const databaseOf = /* @__PURE__ */ oncePerDatabase((connection: StoreConnection): KedgeDatabase => drizzle({client: connection.$client, schema}))
