import {systemClock} from '../adapters/clock/system-clock.js'
import {composeCli} from '../adapters/compose/compose-port.js'
import {dockerEngine} from '../adapters/engine/engine-port.js'
import {checkoutFiles} from '../adapters/files/checkout-files.js'
import {gitCli} from '../adapters/git/git-port.js'
import {hostProcesses} from '../adapters/process/process-identity.js'
import {homeSecrets} from '../adapters/secrets/secrets-port.js'
import type {KedgeHome} from '../model/home.js'
import type {StoreConnection} from '../store/connection.js'
import {sqliteStore} from '../store/sqlite-store.js'
import type {KedgeContext} from '../usecases/context.js'

/**
 * The composition root: the one place that chooses the adapters behind the ports (the CLI's base command
 * and, through it, serve). The read commands' context is made in read-composition.ts, which loads no
 * adapter but the store's reads, for their start time (bench/cli-latency.ts).
 */
export function kedgeContext(home: KedgeHome, connection: StoreConnection): KedgeContext {
  return {
    home,
    store: sqliteStore(home, connection),
    engine: dockerEngine,
    compose: composeCli,
    git: gitCli,
    files: checkoutFiles,
    clock: systemClock,
    processes: hostProcesses,
    secrets: homeSecrets(home.root),
  }
}
