import {listDeployments} from '../../store/deployments.js'
import {latestDeployments, listRepositories} from '../../store/repositories.js'
import type {ReadContext} from '../context.js'
import {toRepositoryView, type RepositoryView} from '../../model/repository/repository-view.js'
import {requireRepository} from './require-repository.js'

export function listRepositoryViews({db}: ReadContext): RepositoryView[] {
  const latest = latestDeployments(db)
  return listRepositories(db).map((row) => toRepositoryView(row, latest.get(row.id)))
}

export function repositoryView(context: ReadContext, name: string): RepositoryView {
  const row = requireRepository(context, name)
  return toRepositoryView(row, listDeployments(context.db, row.id, 1)[0])
}
