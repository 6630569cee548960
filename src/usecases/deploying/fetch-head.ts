import {existsSync, rmSync} from 'node:fs'
import path from 'node:path'

import type {RepositoryRow} from '../../model/rows.js'
import type {KedgeContext} from '../context.js'
import {withRepositoryAccess} from '../repositories/credentials.js'
import {stackPaths} from '../repositories/stack-paths.js'

/**
 * Brings the repository's clone to its branch head (cloning it first if needed) and returns that
 * commit. Records what the remote said, or the error, on the repository.
 */
export async function fetchHead(context: KedgeContext, repository: RepositoryRow, signal?: AbortSignal): Promise<string> {
  const {repoDir} = stackPaths(context, repository.name)
  try {
    const {value: commit} = await withRepositoryAccess(context, repository, async (access) => {
      if (!existsSync(path.join(repoDir, '.git'))) {
        rmSync(repoDir, {recursive: true, force: true})
        await context.git.cloneBranch(repository.url, repository.branch, repoDir, {signal, access})
      }
      return context.git.fetchBranch(repoDir, repository.url, repository.branch, {signal, access})
    })
    context.store.updateRepository(repository.id, {remoteHead: commit, remoteCheckedAt: context.clock.now()})
    return commit
  } catch (error) {
    context.store.recordRepositoryError(repository.id, error)
    throw error
  }
}
