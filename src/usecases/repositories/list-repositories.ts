import type {ReadContext} from '../context.js'
import {toRepositoryView, type RepositoryView} from '../../model/repository/repository-view.js'
import {requireRepository} from './require-repository.js'

export function listRepositoryViews({store}: ReadContext): RepositoryView[] {
  const latest = store.latestDeployments()
  return store.listRepositories().map((row) => toRepositoryView(row, latest.get(row.id)))
}

export function repositoryView(context: ReadContext, name: string): RepositoryView {
  const row = requireRepository(context, name)
  return toRepositoryView(row, context.store.listDeployments(row.id, 1)[0])
}
