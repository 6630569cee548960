import {LOCAL_ENGINE} from '../../model/engine/engine-name.js'
import type {DeploymentRow} from '../../model/rows.js'
import type {ReadContext} from '../context.js'
import {toRepositoryView, type RepositoryView} from '../../model/repository/repository-view.js'
import {requireRepository} from './require-repository.js'

export function listRepositoryViews({store}: ReadContext): RepositoryView[] {
  // The newest deployment of each stack, and of those the newest of each repository.
  const latest = new Map<number, DeploymentRow>()
  for (const row of store.latestDeployments().values()) {
    if ((latest.get(row.repositoryId)?.id ?? -1) < row.id) latest.set(row.repositoryId, row)
  }
  const engines = new Map(store.listEngines().map((engine) => [engine.id, engine.name]))
  return store.listRepositories().map((row) => toRepositoryView(row, latest.get(row.id), engineNameOf(engines, row.engineId)))
}

export function repositoryView(context: ReadContext, name: string): RepositoryView {
  const row = requireRepository(context, name)
  const newest = context.store
    .listStacks(row.id)
    .map((stack) => context.store.listDeployments(stack.id, 1)[0])
    .filter((deployment) => deployment !== undefined)
    .sort((a, b) => b.id - a.id)[0]
  return toRepositoryView(row, newest, engineNameOf(new Map(context.store.listEngines().map((engine) => [engine.id, engine.name])), row.engineId))
}

/** A repository's engine by name: "local" when it has none, and its id when the row names an engine that is gone (kedge.db damaged). */
function engineNameOf(names: Map<number, string>, id: number | null): string {
  return id === null ? LOCAL_ENGINE : (names.get(id) ?? `#${id}`)
}
