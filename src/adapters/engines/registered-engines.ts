import type {EngineEndpoint} from '../../model/engine/engine-endpoint.js'
import type {ConnectedEngine, EngineMaterial, Engines} from '../../ports/engines.js'
import {composeCliFor} from '../compose/compose-port.js'
import {stackCliFor} from '../compose/stack-cli.js'
import type {EngineConnection} from '../engine/engine-connection.js'

interface Kept {
  name: string
  opening: Promise<{connection: EngineConnection; connected: ConnectedEngine}>
}

/**
 * The Engines port: one connection per engine row (an ssh tunnel, a TLS agent, the private directory of
 * the files Compose reads), made on first use and kept for the life of the command or of serve, so that
 * a round of serve costs no new handshake. A row that changed is connected anew and its old connection
 * closed. `onOutput` shows Compose's output (a command's --verbose).
 */
export function registeredEngines(options: {onOutput?: (chunk: Buffer) => void} = {}): Engines {
  const kept = new Map<string, Kept>()
  const close = (key: string) => {
    const entry = kept.get(key)
    kept.delete(key)
    entry?.opening.then(({connection}) => connection.close()).catch(() => undefined)
  }
  return {
    async connect(key, name, address, material, connectOptions) {
      let entry = kept.get(key)
      if (!entry) {
        for (const [other, old] of kept) if (old.name === name) close(other)
        const opening = open(name, address, material, connectOptions?.onHostKeyLearned, options.onOutput)
        entry = {name, opening}
        kept.set(key, entry)
        // A connection that could not be made is made again next time: the engine may be back.
        opening.catch(() => kept.get(key) === entry && kept.delete(key))
      }
      return (await entry.opening).connected
    },
    closeAll() {
      for (const key of [...kept.keys()]) close(key)
    },
  }
}

async function open(
  name: string,
  address: Parameters<Engines['connect']>[2],
  material: () => EngineMaterial,
  onHostKeyLearned: ((knownHosts: string) => void) | undefined,
  onOutput: ((chunk: Buffer) => void) | undefined,
): Promise<{connection: EngineConnection; connected: ConnectedEngine}> {
  // Loaded with the first registered engine: a home without one never loads TLS, ssh or the context reader
  // (what the local engine's commands load is measured by bench/cli-latency.ts).
  const [{connectEngine, identifyEngine}, {readDockerContext}] = await Promise.all([import('../engine/engine-connection.js'), import('../engine/docker-context-reader.js')])
  const {endpoint, given} = 'endpoint' in address ? {endpoint: address.endpoint, given: material()} : await fromContext(readDockerContext, address.context, address.dockerConfig)
  const connection = await connectEngine(name, endpoint, given, {onHostKeyLearned})
  const connected: ConnectedEngine = {
    engine: connection.engine,
    compose: composeCliFor({engineEnvironment: connection.environment, onOutput}),
    stacks: stackCliFor(connection.environment, onOutput),
    environment: connection.environment,
    identity: () => identifyEngine(connection.engine),
  }
  return {connection, connected}
}

/** A context is read each time kedge connects, so that the operator's `docker context update` reaches kedge at its next connection. */
async function fromContext(
  read: typeof import('../engine/docker-context-reader.js').readDockerContext,
  name: string,
  dockerConfig: string | null,
): Promise<{endpoint: EngineEndpoint; given: EngineMaterial}> {
  const context = await read(name, dockerConfig === null ? {} : {dockerConfig})
  return {endpoint: context.endpoint, given: context.tls ? {tls: context.tls} : {}}
}
