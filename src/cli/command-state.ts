import {registerSecretVariables} from '../core/credentials.js'
import type {KedgeContext} from '../core/context.js'
import {resolveHome, type KedgeHome} from '../home.js'
import {closeDatabase, openDatabase, type KedgeDatabase} from '../store/database.js'

/** A command's home and database: the database is opened on first use, and closed once the command is done. */
export class CommandState {
  readonly home: KedgeHome
  private database?: KedgeDatabase

  constructor(homeFlag: string | undefined) {
    this.home = resolveHome(homeFlag)
  }

  context(): KedgeContext {
    if (!this.database) {
      this.database = openDatabase(this.home.databaseFile)
      registerSecretVariables({home: this.home, db: this.database})
    }
    return {home: this.home, db: this.database}
  }

  close(): void {
    if (this.database) closeDatabase(this.database)
    this.database = undefined
  }
}
