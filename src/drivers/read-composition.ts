import type {KedgeHome} from '../model/home.js'
import type {Engine} from '../ports/engine.js'
import type {StoreConnection} from '../store/connection.js'
import {readStore} from '../store/read-store.js'
import type {ReadContext} from '../usecases/context.js'

/**
 * The read commands' composition root: the store's plain-SQL reads, so that neither drizzle nor another
 * adapter loads (bench/cli-latency.ts); the engine's adapter is loaded by the first listing, which only `status` asks for.
 */
export function readContext(home: KedgeHome, connection: StoreConnection): ReadContext {
  return {home, store: readStore(connection), engine: engineOnFirstUse}
}

const engineOnFirstUse: ReadContext['engine'] = {
  listKedgeContainers: async (project) => {
    const {dockerEngine}: {dockerEngine: Engine} = await import('../adapters/engine/engine-port.js')
    return dockerEngine.listKedgeContainers(project)
  },
}
