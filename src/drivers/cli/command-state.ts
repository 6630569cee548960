import {existsSync} from 'node:fs'

import type {KedgeError} from '../../model/errors.js'
import type {ReadContext} from '../../usecases/context.js'
import {registerSecretVariables} from '../../usecases/repositories/secret-variables.js'
import type {KedgeHome} from '../../model/home.js'
import {registerHomeSecrets} from '../../adapters/secrets/home-secrets.js'
import {closeDatabase, openConnection, type StoreConnection} from '../../store/connection.js'
import {requireWritableHome, storageFault} from '../../store/storage-errors.js'
import {closeReadEngines, readContext} from '../read-composition.js'
import {locateHome, noHomeError, tellOfWorkingDirectoryHome, type LocatedHome} from './home-location.js'

/**
 * A command's home and database: the database is opened on first use, and closed once the command is
 * done. A command that only reads still runs when the home cannot be written (a read-only mount, a full
 * disk), from a copy of its database; every other command refuses a read-only home before it starts.
 * The connection is better-sqlite3's alone: the commands that write wrap it in drizzle (BaseCommand).
 */
export class CommandState {
  readonly home: KedgeHome
  private readonly located: LocatedHome
  private connection?: StoreConnection

  /**
   * @param createsHome whether the command may create the home (it registers something, or serves);
   *   any other command run where there is no home fails with no_home, and creates nothing.
   */
  constructor(
    homeFlag: string | undefined,
    private readonly readsOnly: boolean,
    private readonly createsHome = false,
    tell: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {
    this.located = locateHome(homeFlag)
    this.home = this.located.home
    tellOfWorkingDirectoryHome(this.located, tell)
  }

  context(): ReadContext {
    return readContext(this.home, this.openedConnection())
  }

  /** The database's connection, for the commands that write to wrap (drizzle, in composition.ts). */
  openedConnection(): StoreConnection {
    if (!this.connection) {
      if (!this.createsHome && !existsSync(this.home.databaseFile)) throw noHomeError(this.located)
      if (!this.readsOnly) requireWritableHome(this.home)
      this.connection = openConnection(this.home.databaseFile, {readsOnly: this.readsOnly})
      registerHomeSecrets(this.home.root)
      registerSecretVariables(readContext(this.home, this.connection))
    }
    return this.connection
  }

  /** The error as a storage fault of the home (full, read-only, not writable), or null when it is not one. */
  readonly storageFault = (error: unknown): KedgeError | null => storageFault(this.home, error)

  close(): void {
    closeReadEngines()
    if (this.connection) closeDatabase(this.connection)
    this.connection = undefined
  }
}
