import type {KedgeHome} from '../adapters/files/home.js'
import type {StoreConnection} from '../store/connection.js'
import type {KedgeDatabase} from '../store/database.js'

/** What every use case needs: where kedge keeps its files, and its open database. */
export interface KedgeContext {
  home: KedgeHome
  db: KedgeDatabase
}

/** What the use cases that only read need: the database without drizzle's query builders. A KedgeContext is one. */
export interface ReadContext {
  home: KedgeHome
  db: StoreConnection
}
