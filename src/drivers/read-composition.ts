import type {KedgeHome} from '../model/home.js'
import type {Engine} from '../ports/engine.js'
import type {Engines} from '../ports/engines.js'
import type {Secrets} from '../ports/secrets.js'
import type {StoreConnection} from '../store/connection.js'
import {readStore} from '../store/read-store.js'
import type {ReadContext} from '../usecases/context.js'

/**
 * The read commands' composition root: the store's plain-SQL reads, so that neither drizzle nor another
 * adapter loads (bench/cli-latency.ts); the engine's adapter is loaded by the first listing, which only `status` asks for.
 */
export function readContext(home: KedgeHome, connection: StoreConnection): ReadContext {
  const store = readStore(connection)
  return {
    home,
    store,
    engine: engineOnFirstUse,
    // Only for a stack on a registered engine: the engines' adapter and the home's secret key load then.
    registeredEngine: async (row) => {
      readEnginesOpened ??= readEngines(home)
      const {context, readRegisteredEngine} = await readEnginesOpened
      return readRegisteredEngine({...context, store}, row)
    },
  }
}

interface ReadEngines {
  context: {engines: Engines; secrets: Secrets}
  readRegisteredEngine: typeof import('../usecases/engines/stack-engine.js').readRegisteredEngine
}

async function readEngines(home: KedgeHome): Promise<ReadEngines> {
  const [{registeredEngines}, {homeSecrets}, {readRegisteredEngine}] = await Promise.all([
    import('../adapters/engines/registered-engines.js'),
    import('../adapters/secrets/secrets-port.js'),
    import('../usecases/engines/stack-engine.js'),
  ])
  return {context: {engines: registeredEngines(), secrets: homeSecrets(home.root)}, readRegisteredEngine}
}

/** The registered engines a read command reached, kept for the command's life (one tunnel per engine, however many stacks). */
let readEnginesOpened: Promise<ReadEngines> | undefined

/** Ends the read commands' engine connections (an ssh tunnel would keep the process alive): when the command's state closes. */
export function closeReadEngines(): void {
  const opened = readEnginesOpened
  readEnginesOpened = undefined
  opened?.then(({context}) => context.engines.closeAll()).catch(() => undefined)
}

const engineOnFirstUse: ReadContext['engine'] = {
  listKedgeContainers: async (project) => {
    const {dockerEngine}: {dockerEngine: Engine} = await import('../adapters/engine/engine-port.js')
    return dockerEngine.listKedgeContainers(project)
  },
  swarmState: async (namespace) => {
    const {dockerEngine}: {dockerEngine: Engine} = await import('../adapters/engine/engine-port.js')
    return dockerEngine.swarmState(namespace)
  },
}
