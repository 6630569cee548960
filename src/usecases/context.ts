import type {KedgeHome} from '../model/home.js'
import type {Announcer} from '../ports/announcer.js'
import type {Clock} from '../ports/clock.js'
import type {Compose} from '../ports/compose.js'
import type {Engine} from '../ports/engine.js'
import type {Git} from '../ports/git.js'
import type {HookRunner} from '../ports/hook-runner.js'
import type {Messenger} from '../ports/messenger.js'
import type {Processes} from '../ports/processes.js'
import type {Progress} from '../ports/progress.js'
import type {RepositoryFiles} from '../ports/repository-files.js'
import type {Secrets} from '../ports/secrets.js'
import type {ReadStore, Store} from '../ports/store.js'

/** The world as the use cases reach it: one implementation of each port, wired in by the composition root (src/drivers/composition.ts). */
export interface Ports {
  store: Store
  engine: Engine
  compose: Compose
  git: Git
  files: RepositoryFiles
  clock: Clock
  processes: Processes
  secrets: Secrets
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
}

/** What the use cases that only read need: the store's reads, without drizzle, and the engine's listing for `status`. A KedgeContext is one. */
export interface ReadContext {
  home: KedgeHome
  store: ReadStore
  engine: Pick<Engine, 'listKedgeContainers'>
}
