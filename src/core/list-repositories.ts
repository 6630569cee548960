import {latestDeployments, listRepositories} from '../store/repositories.js'
import type {KedgeContext} from './context.js'
import {toRepositoryView, type RepositoryView} from './repository-view.js'

export function listRepositoryViews({db}: KedgeContext): RepositoryView[] {
  const latest = latestDeployments(db)
  return listRepositories(db).map((row) => toRepositoryView(row, latest.get(row.id)))
}
