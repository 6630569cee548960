import {existsSync, rmSync} from 'node:fs'
import path from 'node:path'

import {errorMessage} from '../../model/errors.js'
import type {RepositoryRow} from '../../model/rows.js'
import type {GitAccess} from '../../ports/git.js'
import type {KedgeContext} from '../context.js'
import {withRepositoryAccess} from '../repositories/credentials.js'
import {stackPaths} from '../repositories/stack-paths.js'

export interface FetchOptions {
  /** Access the caller opened already; else the fetch opens its own. */
  access?: GitAccess
  /** The branch head the caller recorded on the repository already: it is not written again when the fetch finds the same. */
  recordedHead?: string
}

/**
 * Brings the repository's clone to its branch head (cloning it first if needed) and returns that
 * commit. Records what the remote said, or the error, on the repository, and announces it (a remote that
 * answers the poll and then fails the fetch is failing, to the operator as to kedge).
 */
export async function fetchHead(context: KedgeContext, repository: RepositoryRow, signal?: AbortSignal, options: FetchOptions = {}): Promise<string> {
  const {repoDir} = stackPaths(context, repository.name)
  const fetch = async (access: GitAccess) => {
    if (!existsSync(path.join(repoDir, '.git'))) {
      rmSync(repoDir, {recursive: true, force: true})
      await context.git.cloneBranch(repository.url, repository.branch, repoDir, {signal, access})
    }
    return context.git.fetchBranch(repoDir, repository.url, repository.branch, {signal, access})
  }
  try {
    const commit = options.access ? await fetch(options.access) : (await withRepositoryAccess(context, repository, fetch)).value
    if (commit !== options.recordedHead) context.store.recordRemoteHead(repository.id, commit, context.clock.now())
    context.announcer.announce({kind: 'repository_answered', repository})
    return commit
  } catch (error) {
    context.store.recordRepositoryError(repository.id, error)
    // A fetch kedge itself stopped says nothing of the remote.
    if (!signal?.aborted) context.announcer.announce({kind: 'repository_failed', repository, error: errorMessage(error)})
    throw error
  }
}
