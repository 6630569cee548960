import {LOCAL_ENGINE} from '../../model/engine/engine-name.js'
import type {EngineRow, RepositoryRow, StackRow} from '../../model/rows.js'
import type {ReadStore} from '../../ports/store.js'
import type {EngineId} from './drift-check-gate.js'

/** An engine serve watches: the local one, or a registered one that a repository or a stack is set to. */
export interface EngineInUse {
  id: EngineId
  name: string
  /** The row as far as reaching the engine goes: when it changes, the engine's watcher is started anew. */
  key: string
  /** null for the local engine. */
  row: EngineRow | null
}

/** Which engines serve watches, and which repositories' loops hear each one's events. */
export interface EngineUse {
  engines: EngineInUse[]
  /** Whether the repository, or one of its stacks, is set to the engine: only then do its loop's drift checks depend on that engine's events. */
  routes(repository: string, engine: EngineId): boolean
}

export const LOCAL_ENGINE_IN_USE: EngineInUse = {id: null, name: LOCAL_ENGINE, key: LOCAL_ENGINE, row: null}

/** A home with no registered engine runs everything on the local one: no repository or stack needs reading. */
export const ONLY_LOCAL_ENGINE: EngineUse = {engines: [LOCAL_ENGINE_IN_USE], routes: (_repository, engine) => engine === null}

/**
 * The engine a stack runs on, by id: its own setting, else its repository's (the rule of engineRowOf in
 * usecases/engines/stack-engine.ts), without reading the engine's row, so that a round can ask it of
 * every stack for nothing.
 */
export function stackEngineId({repository, stack}: {repository: Pick<RepositoryRow, 'engineId'>; stack: Pick<StackRow, 'engineId'>}): EngineId {
  return stack.engineId ?? repository.engineId
}

/**
 * The engines in use now: the local one always, and each registered engine a repository or a stack is
 * set to. serve reads it with the registry, every second; the repositories and stacks are read only in a
 * home that has registered engines.
 */
export function readEngineUse(store: Pick<ReadStore, 'listEngines' | 'listRepositories' | 'listAllStacks'>): EngineUse {
  const registered = store.listEngines()
  if (registered.length === 0) return ONLY_LOCAL_ENGINE
  return engineUseOf(registered, store.listRepositories(), store.listAllStacks())
}

export function engineUseOf(registered: readonly EngineRow[], repositories: readonly RepositoryRow[], stacks: readonly StackRow[]): EngineUse {
  const enginesOf = new Map<string, Set<EngineId>>()
  const repositoryById = new Map(repositories.map((repository) => [repository.id, repository]))
  for (const repository of repositories) enginesOf.set(repository.name, new Set([repository.engineId]))
  for (const stack of stacks) {
    const repository = repositoryById.get(stack.repositoryId)
    if (repository) enginesOf.get(repository.name)!.add(stackEngineId({repository, stack}))
  }
  const used = new Set([...enginesOf.values()].flatMap((engines) => [...engines]))
  // An id no row has is the loops' to report (engineRowOf refuses it as a damaged row): there is nothing to watch.
  const engines = [LOCAL_ENGINE_IN_USE, ...registered.filter((row) => used.has(row.id)).map(registeredInUse)]
  return {engines, routes: (repository, engine) => enginesOf.get(repository)?.has(engine) ?? engine === null}
}

function registeredInUse(row: EngineRow): EngineInUse {
  // As the Engines port keys its connections (connectionKey): the host keys learned on first use and the
  // identity are written to the row by the connection itself, and must not restart its watcher.
  return {id: row.id, name: row.name, key: JSON.stringify([row.id, row.name, row.host, row.context, row.dockerConfig, row.tlsSecret, row.sshKey]), row}
}
