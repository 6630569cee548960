import type {KedgeHome} from '../home.js'
import type {KedgeDatabase} from '../store/database.js'

/** What every use case needs: where kedge keeps its files, and its open database. */
export interface KedgeContext {
  home: KedgeHome
  db: KedgeDatabase
}
