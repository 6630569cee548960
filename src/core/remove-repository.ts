import {rmSync} from 'node:fs'

import {NotFoundError} from '../errors.js'
import {deleteRepository, findRepository, latestDeployments} from '../store/repositories.js'
import type {KedgeContext} from './context.js'

export interface RemoveRepositoryResult {
  name: string
  removed: true
  /** What `--down` did to the stack; null when it was not asked for. */
  down: {action: 'none'; reason: string} | null
}

export function removeRepository(context: KedgeContext, name: string, options: {down: boolean}): RemoveRepositoryResult {
  const row = requireRepository(context, name)
  const down = options.down ? takeDownStack(context, row.id) : null
  deleteRepository(context.db, row.name)
  rmSync(context.home.repoDir(row.name), {recursive: true, force: true})
  return {name: row.name, removed: true, down}
}

export function requireRepository({db}: KedgeContext, name: string) {
  const row = findRepository(db, name.trim().toLowerCase())
  if (!row) {
    throw new NotFoundError(`no repository named "${name}"`, {hint: 'run "kedge repo list" to see the registered repositories'})
  }
  return row
}

/** Only a stack kedge recorded deploying is kedge's to take down. */
function takeDownStack({db}: KedgeContext, repositoryId: number): RemoveRepositoryResult['down'] {
  if (!latestDeployments(db).has(repositoryId)) return {action: 'none', reason: 'kedge has not deployed this repository'}
  throw new Error('taking down a deployed stack needs the deploy loop')
}
