import type {KedgeContext} from '../core/context.js'
import {resolveHome, type KedgeHome} from '../home.js'
import type {KedgeDatabase} from '../store/database.js'

/**
 * A command's home and database. The database is opened on first use (so `--help` and commands that
 * need no state load none of it) and closed once the command is done.
 */
export class CommandState {
  readonly home: KedgeHome
  private database?: KedgeDatabase

  constructor(homeFlag: string | undefined) {
    this.home = resolveHome(homeFlag)
  }

  async context(): Promise<KedgeContext> {
    if (!this.database) {
      const [{openDatabase}, {registerSecretVariables}] = await Promise.all([import('../store/database.js'), import('../core/credentials.js')])
      this.database = openDatabase(this.home.databaseFile)
      registerSecretVariables({home: this.home, db: this.database})
    }
    return {home: this.home, db: this.database}
  }

  async close(): Promise<void> {
    if (!this.database) return
    const {closeDatabase} = await import('../store/database.js')
    closeDatabase(this.database)
    this.database = undefined
  }
}
