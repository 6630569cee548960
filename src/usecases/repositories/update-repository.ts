import {commitStatusSetting} from '../../model/notify/commit-status.js'
import type {RepositoryChanges} from '../../ports/store.js'
import type {KedgeContext} from '../context.js'
import {repositoryView} from './list-repositories.js'
import {parseInterval} from '../../model/repository/repository-interval.js'
import {requireRepository} from './require-repository.js'
import type {RepositoryView} from '../../model/repository/repository-view.js'

export interface RepositorySettings {
  /** A duration, or null to defer to kedge.yaml and serve's default again. */
  interval?: string | null
  /** Whether the repository's hooks may run on the host. */
  allowHooks?: boolean
  /** The forge to post commit statuses to (a name, `auto`, or `off`). */
  commitStatus?: string
  /** The forge's API base, when the remote's URL does not imply it; null for the implied one. */
  commitStatusApi?: string | null
}

/**
 * Changes what can change without cloning again; a running serve picks it up at the repository's next
 * round. Every setting is checked before any is written: a refused one changes nothing.
 */
export function updateRepositorySettings(context: KedgeContext, name: string, settings: RepositorySettings): RepositoryView {
  const repository = requireRepository(context, name)
  const changes: RepositoryChanges = {}
  if (settings.interval !== undefined) changes.intervalMs = settings.interval === null ? null : parseInterval(settings.interval)
  if (settings.allowHooks !== undefined) changes.allowHooks = settings.allowHooks
  if (settings.commitStatus !== undefined || settings.commitStatusApi !== undefined) {
    const requested = settings.commitStatus ?? repository.commitStatus ?? 'off'
    Object.assign(changes, commitStatusSetting(repository.url, requested, settings.commitStatusApi === undefined ? repository.commitStatusApi : settings.commitStatusApi))
  }
  if (Object.keys(changes).length > 0) context.store.updateRepository(repository.id, changes)
  return repositoryView(context, name)
}
