import {parseEngineHost} from '../../model/engine/engine-endpoint.js'
import {LOCAL_ENGINE} from '../../model/engine/engine-name.js'
import {ExternalError} from '../../model/errors.js'
import {corruptRow} from '../../model/repository/row-checks.js'
import type {DeploymentRow, EngineRow, StackTarget} from '../../model/rows.js'
import type {Engine} from '../../ports/engine.js'
import type {ConnectedEngine, EngineAddress, EngineIdentity} from '../../ports/engines.js'
import type {ReadStore} from '../../ports/store.js'
import type {HookRunner} from '../../ports/hook-runner.js'
import type {KedgeContext, ReadContext} from '../context.js'
import {openEngineMaterial} from './engine-material.js'

/** The engine a stack is set to run on: its own setting, else its repository's; null is the local engine. */
export function engineRowOf(context: Pick<ReadContext, 'store'>, {repository, stack}: StackTarget): EngineRow | null {
  return engineRowById(context, stack.engineId ?? repository.engineId)
}

/** The engine a deployment ran on; null is the local engine. */
export function engineRowOfDeployment(context: Pick<ReadContext, 'store'>, deployment: Pick<DeploymentRow, 'engineId'> | undefined): EngineRow | null {
  return engineRowById(context, deployment?.engineId ?? null)
}

function engineRowById(context: Pick<ReadContext, 'store'>, id: number | null): EngineRow | null {
  // A row kedge wrote always has the column; one read without it (an older copy in a test) is the local engine.
  if (id === null || id === undefined) return null
  const row = context.store.findEngineById(id)
  if (!row) throw corruptRow('engines', id, 'id', 'a repository, stack or deployment names an engine that is not registered', 'run "kedge engine list", and set the repository\'s engine again with "kedge repo set NAME --engine"')
  return row
}

/** An engine's name as kedge shows it: "local" for the one it runs beside. */
export function engineName(row: EngineRow | null): string {
  return row?.name ?? LOCAL_ENGINE
}

/**
 * The context with its engine, Compose and hooks pointed at `row`'s engine (the local one when null):
 * every entry point that acts on a stack rebinds here, once, so that what it lists, what Compose applies
 * and what the hooks reach are one engine.
 */
export async function onEngine(context: KedgeContext, row: EngineRow | null): Promise<KedgeContext> {
  if (row === null) return context.engineInUse ? {...context, ...context.localEngine, engineInUse: undefined} : context
  if (context.engineInUse?.id === row.id) return context
  const connected = await connectRegistered(context, row)
  return {
    ...context,
    engine: connected.engine,
    compose: connected.compose,
    stacks: connected.stacks,
    hooks: withEnvironment(context.hooks, connected.environment),
    engineInUse: {id: row.id, name: row.name},
    localEngine: context.localEngine ?? {engine: context.engine, compose: context.compose, stacks: context.stacks, hooks: context.hooks},
  }
}

/** onEngine for the engine the stack is set to. */
export async function onStackEngine(context: KedgeContext, target: StackTarget): Promise<KedgeContext> {
  return onEngine(context, engineRowOf(context, target))
}

const verified = new WeakSet<ConnectedEngine>()

/**
 * The registered engine, connected (or the connection kept since), once its identity is checked: the
 * first contact records who answers, and a later connection to another engine at the same address (DNS
 * moved, an address reused, a reinstall) is refused, so that kedge never deploys a second copy of a
 * stack elsewhere or "heals" a host that never ran it.
 */
export async function connectRegistered(context: Pick<KedgeContext, 'engines' | 'store' | 'secrets'>, row: EngineRow): Promise<ConnectedEngine> {
  const connected = await context.engines.connect(connectionKey(row), row.name, addressOf(row), () => openEngineMaterial(context, row), {
    onHostKeyLearned: (knownHosts) => {
      if (!row.knownHosts) context.store.updateEngine(row.id, {knownHosts})
    },
  })
  if (verified.has(connected)) return connected
  const identity = await connected.identity()
  const current = context.store.findEngineById(row.id)?.identity ?? row.identity
  if (current === null) context.store.updateEngine(row.id, {identity: identityOf(identity)})
  else if (!sameEngine(current, identity)) throw changedEngine({...row, identity: current}, identity)
  verified.add(connected)
  return connected
}

/**
 * A registered engine for reading (`status`), checked as connectRegistered checks it but recording
 * nothing: the read commands open the store read-only. An engine never reached yet is read as it answers.
 */
export async function readRegisteredEngine(context: Pick<KedgeContext, 'engines' | 'secrets'> & {store: ReadStore}, row: EngineRow): Promise<Engine> {
  const connected = await context.engines.connect(connectionKey(row), row.name, addressOf(row), () => openEngineMaterial(context, row))
  const identity = await connected.identity()
  if (row.identity !== null && !sameEngine(row.identity, identity)) throw changedEngine(row, identity)
  return connected.engine
}

/** What is recorded of an engine: its swarm's ID when it manages one (any manager of the swarm is the same engine), else its own. */
export function identityOf(identity: EngineIdentity): string {
  return identity.swarm.manager && identity.swarm.clusterId ? `swarm:${identity.swarm.clusterId}` : identity.id
}

function sameEngine(recorded: string, identity: EngineIdentity): boolean {
  return recorded === identity.id || (identity.swarm.clusterId !== null && recorded === `swarm:${identity.swarm.clusterId}`)
}

function withEnvironment(hooks: HookRunner, environment: Record<string, string>): HookRunner {
  return {run: (hook) => hooks.run({...hook, variables: {...environment, ...hook.variables}})}
}

/** The connection's key: the row as far as reaching the engine goes, so that a changed row connects anew. */
function connectionKey(row: EngineRow): string {
  return JSON.stringify([row.id, row.host, row.context, row.dockerConfig, row.tlsSecret, row.sshKey])
}

export function addressOf(row: EngineRow): EngineAddress {
  return row.context !== null ? {context: row.context, dockerConfig: row.dockerConfig} : {endpoint: parseEngineHost(row.host ?? '')}
}

function changedEngine(row: EngineRow, identity: EngineIdentity): ExternalError {
  return new ExternalError(`engine ${row.name} (${row.host ?? `context ${row.context}`}) now answers as another Docker engine (${identityOf(identity)}, was ${row.identity}): kedge will not act on it`, {
    code: 'engine_changed',
    hint: `if this is the engine you meant (reinstalled, moved), run "kedge engine check ${row.name} --accept-new-identity"`,
  })
}
