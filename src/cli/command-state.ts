import {registerSecretVariables} from '../core/credentials.js'
import type {KedgeContext} from '../core/context.js'
import {resolveHome, type KedgeHome} from '../home.js'
import {closeDatabase, openDatabase, type KedgeDatabase} from '../store/database.js'
import {requireWritableHome} from '../store/storage-errors.js'

/**
 * A command's home and database: the database is opened on first use, and closed once the command is
 * done. A command that only reads still runs when the home cannot be written (a read-only mount, a full
 * disk), from a copy of its database; every other command refuses a read-only home before it starts.
 */
export class CommandState {
  readonly home: KedgeHome
  private database?: KedgeDatabase

  constructor(
    homeFlag: string | undefined,
    private readonly readsOnly: boolean,
  ) {
    this.home = resolveHome(homeFlag)
  }

  context(): KedgeContext {
    if (!this.database) {
      if (!this.readsOnly) requireWritableHome(this.home)
      this.database = openDatabase(this.home.databaseFile, {readCopyWhenUnwritable: this.readsOnly})
      registerSecretVariables({home: this.home, db: this.database})
    }
    return {home: this.home, db: this.database}
  }

  close(): void {
    if (this.database) closeDatabase(this.database)
    this.database = undefined
  }
}
