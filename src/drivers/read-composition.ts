import type {KedgeHome} from '../model/home.js'
import type {StoreConnection} from '../store/connection.js'
import {readStore} from '../store/read-store.js'
import type {ReadContext} from '../usecases/context.js'

/** The read commands' composition root: the store's plain-SQL reads only, so that neither drizzle nor another adapter loads (bench/cli-latency.ts). */
export function readContext(home: KedgeHome, connection: StoreConnection): ReadContext {
  return {home, db: connection, store: readStore(connection)}
}
