import type {KedgeContext} from '../context.js'
import {repositoryView} from './list-repositories.js'
import {parseInterval} from '../../model/repository/repository-interval.js'
import {requireRepository} from './require-repository.js'
import type {RepositoryView} from '../../model/repository/repository-view.js'

export interface RepositorySettings {
  /** A duration, or null to defer to kedge.yaml and serve's default again. */
  interval?: string | null
}

/** Changes what can change without cloning again; a running serve picks it up at the repository's next round. */
export function updateRepositorySettings(context: KedgeContext, name: string, settings: RepositorySettings): RepositoryView {
  const repository = requireRepository(context, name)
  if (settings.interval !== undefined) {
    context.store.updateRepository(repository.id, {intervalMs: settings.interval === null ? null : parseInterval(settings.interval)})
  }
  return repositoryView(context, name)
}
