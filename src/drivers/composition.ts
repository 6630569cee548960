import {hostname} from 'node:os'

import {systemClock} from '../adapters/clock/system-clock.js'
import {composeCli, composeCliShowing} from '../adapters/compose/compose-port.js'
import {dockerEngine} from '../adapters/engine/engine-port.js'
import {registeredEngines} from '../adapters/engines/registered-engines.js'
import {stackCliFor} from '../adapters/compose/stack-cli.js'
import {checkoutFiles} from '../adapters/files/checkout-files.js'
import {gitCli} from '../adapters/git/git-port.js'
import {messenger} from '../adapters/notify/messenger.js'
import {hookRunner} from '../adapters/process/hook-runner.js'
import {hostProcesses} from '../adapters/process/process-identity.js'
import {privateFiles} from '../adapters/process/private-files.js'
import {registryDigests} from '../adapters/registry/registry-digests.js'
import {homeSecrets} from '../adapters/secrets/secrets-port.js'
import type {KedgeHome} from '../model/home.js'
import {DEFAULT_ENDPOINTS} from '../model/notify/channel-message.js'
import type {StoreConnection} from '../store/connection.js'
import {parsePublicUrl} from './cli/notify-settings.js'
import {sqliteStore} from '../store/sqlite-store.js'
import {type DatabaseChanges, watchDatabaseChanges} from '../store/database-changes.js'
import type {KedgeContext} from '../usecases/context.js'
import {connectRegistered} from '../usecases/engines/stack-engine.js'
import {NO_PROGRESS, type Progress} from '../ports/progress.js'
import type {SopsFiles} from '../ports/sops.js'
import type {Registries} from '../ports/registry.js'
import {DEFAULT_NOTIFIER_SETTINGS, Notifier, type NotifierSettings} from '../usecases/notifying/notifier.js'

/** What the driver decides of the notifier: how it logs, and serve's settings (its flags). */
export type NotifierChoices = Pick<NotifierSettings, 'log'> & Partial<Omit<NotifierSettings, 'log'>>

/** A KedgeContext, with the notifier behind its announcer: the driver drains it before exiting, and serve counts what it sent. */
export type ComposedContext = KedgeContext & {notifier: Notifier}

/** What a command shows while it works: its steps, and with --verbose what Compose prints. */
export interface Showing {
  progress?: Progress
  composeOutput?: (chunk: Buffer) => void
}

/**
 * The composition root: the one place that chooses the adapters behind the ports (the CLI's base command
 * and, through it, serve). The read commands' context is made in read-composition.ts, which loads no
 * adapter but the store's reads, for their start time (bench/cli-latency.ts).
 */
export function kedgeContext(home: KedgeHome, connection: StoreConnection, notifier: NotifierChoices, showing: Showing = {}): ComposedContext {
  const ports = {
    home,
    store: sqliteStore(home, connection),
    engine: dockerEngine,
    compose: showing.composeOutput ? composeCliShowing(showing.composeOutput) : composeCli,
    stacks: stackCliFor(undefined, showing.composeOutput),
    engines: registeredEngines({onOutput: showing.composeOutput}),
    git: gitCli,
    files: checkoutFiles,
    clock: systemClock,
    processes: hostProcesses,
    secrets: homeSecrets(home.root),
    sops: sopsFiles,
    privateFiles: privateFiles(),
    registries: registries(),
    hooks: hookRunner,
    messenger,
    progress: showing.progress ?? NO_PROGRESS,
  }
  const built = new Notifier(ports, {
    ...DEFAULT_NOTIFIER_SETTINGS,
    host: hostname(),
    publicUrl: process.env.KEDGE_PUBLIC_URL ? parsePublicUrl(process.env.KEDGE_PUBLIC_URL, 'KEDGE_PUBLIC_URL') : null,
    endpoints: {slack: process.env.KEDGE_SLACK_URL || DEFAULT_ENDPOINTS.slack, discord: process.env.KEDGE_DISCORD_URL || DEFAULT_ENDPOINTS.discord},
    ...notifier,
  })
  const context: ComposedContext = {...ports, announcer: built, notifier: built, registeredEngine: async (row) => (await connectRegistered(context, row)).engine}
  return context
}

/** The SOPS adapter and its age library load when a stack first declares a SOPS file, not with every command. */
const sopsFiles: SopsFiles = {
  decrypt: async (...args) => (await import('../adapters/secrets/sops-files.js')).sopsFiles.decrypt(...args),
}

/** One adapter per context: it keeps the registries' tokens for their lifetime, so many tags of a registry cost one token request. */
function registries(): Registries {
  let made: Registries | undefined
  return {currentDigest: (reference, options) => (made ??= registryDigests()).currentDigest(reference, options)}
}

/** serve's watch on kedge.db's commits, for the dashboard's event stream: a connection of its own. */
export function databaseChanges(home: KedgeHome): DatabaseChanges {
  return watchDatabaseChanges(home.databaseFile)
}
