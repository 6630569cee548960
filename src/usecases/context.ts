import type {KedgeHome} from '../model/home.js'
import type {EngineRow} from '../model/rows.js'
import type {Announcer} from '../ports/announcer.js'
import type {Clock} from '../ports/clock.js'
import type {Compose} from '../ports/compose.js'
import type {Engine} from '../ports/engine.js'
import type {Engines} from '../ports/engines.js'
import type {StackCli} from '../ports/stack-cli.js'
import type {Git} from '../ports/git.js'
import type {HookRunner} from '../ports/hook-runner.js'
import type {Messenger} from '../ports/messenger.js'
import type {Processes} from '../ports/processes.js'
import type {Progress} from '../ports/progress.js'
import type {RepositoryFiles} from '../ports/repository-files.js'
import type {Secrets} from '../ports/secrets.js'
import type {PrivateFiles} from '../ports/private-files.js'
import type {SopsFiles} from '../ports/sops.js'
import type {Registries} from '../ports/registry.js'
import type {ReadStore, Store} from '../ports/store.js'

/** The world as the use cases reach it: one implementation of each port, wired in by the composition root (src/drivers/composition.ts). */
export interface Ports {
  store: Store
  /** The engine the use case acts on; the local one unless an entry point rebound the context (usecases/engines/stack-engine.ts). */
  engine: Engine
  /** Compose, pointed at the same engine as `engine`. */
  compose: Compose
  /** `docker stack deploy`, pointed at the same engine as `engine` (a swarm manager). */
  stacks: StackCli
  /** The registered engines other than the local one, connected on first use. */
  engines: Engines
  git: Git
  files: RepositoryFiles
  clock: Clock
  processes: Processes
  secrets: Secrets
  /** Decrypts the SOPS files kedge.yaml declares. */
  sops: SopsFiles
  /** Holds their plaintext for Compose, in memory, for one run of it. */
  privateFiles: PrivateFiles
  /** Image registries, asked for the digest a tag names now (image updates). */
  registries: Registries
  /** Runs the repositories' deploy hooks. */
  hooks: HookRunner
  /** Delivers notifications and commit statuses. */
  messenger: Messenger
  /** Takes what kedge did, to tell people of it (the notifier, src/usecases/notifying). */
  announcer: Announcer
  /** Tells the person running a command which step it is at. */
  progress: Progress
}

/** What every use case needs: where kedge keeps its files, and the ports. */
export interface KedgeContext extends Ports {
  home: KedgeHome
  registeredEngine: ReadContext['registeredEngine']
  /** The registered engine `engine`, `compose` and `hooks` were rebound to; absent for the local engine. */
  engineInUse?: {id: number; name: string}
  /** The local engine's ports, kept by a rebinding so that a later one to the local engine can restore them. */
  localEngine?: Pick<Ports, 'engine' | 'compose' | 'stacks' | 'hooks'>
}

/** What the use cases that only read need: the store's reads, without drizzle, and the engine's listing for `status`. A KedgeContext is one. */
export interface ReadContext {
  home: KedgeHome
  store: ReadStore
  engine: Pick<Engine, 'listKedgeContainers' | 'swarmState'>
  /** A registered engine's listing, for the stacks that run on it: connected on first use, its identity checked. */
  registeredEngine(row: EngineRow): Promise<Pick<Engine, 'listKedgeContainers' | 'swarmState'>>
}
