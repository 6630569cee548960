import type {EngineEndpoint} from '../model/engine/engine-endpoint.js'
import type {EngineIdentity} from '../model/engine/engine-identity.js'
import type {Compose} from './compose.js'
import type {Engine} from './engine.js'
import type {StackCli} from './stack-cli.js'

export type {EngineIdentity} from '../model/engine/engine-identity.js'

/** Where a registered engine is: an endpoint kedge reaches itself, or a Docker context it reads each time it connects. */
export type EngineAddress = {endpoint: EngineEndpoint} | {context: string; dockerConfig: string | null}

/** A registered engine's material, opened for one connection: never written anywhere but a private memory-backed directory. */
export interface EngineMaterial {
  tls?: {ca: string; cert: string; key: string}
  sshKey?: string
  knownHosts?: string
}

/** One engine as kedge uses it: its API, and Compose and the hooks pointed at the very same engine. */
export interface ConnectedEngine {
  engine: Engine
  compose: Compose
  stacks: StackCli
  /** DOCKER_HOST (and the TLS variables) for the processes kedge starts: Compose, the docker CLI, hooks. */
  environment: Record<string, string>
  /** Asks the engine who it is. */
  identity(): Promise<EngineIdentity>
}

/** The engines other than the local one, connected on first use and kept while their row stays the same. */
export interface Engines {
  /**
   * The connection under `key` (the row as it is now: a changed row is a new key, connected anew), made
   * the first time it is asked for. A host key accepted on first use is told to `onHostKeyLearned`.
   */
  connect(key: string, name: string, address: EngineAddress, material: () => EngineMaterial, options?: {onHostKeyLearned?: (knownHosts: string) => void}): Promise<ConnectedEngine>
  /** Ends every connection (an ssh tunnel, the private directory of TLS files): when the command or serve ends. */
  closeAll(): void
}
