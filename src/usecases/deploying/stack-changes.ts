import path from 'node:path'

import {CONFIG_FILENAMES} from '../../model/config/kedge-config.js'
import type {DeploymentRow, StackTarget} from '../../model/rows.js'
import {parseSnapshot} from '../../model/stack/stored-snapshot.js'
import type {KedgeContext} from '../context.js'
import {stackPaths} from '../repositories/stack-paths.js'

/**
 * Whether `commit` leaves one of several stacks as its deployed commit had it: the same objects at
 * every path the stack read (its directory, what it reads outside it, as the deployment recorded them)
 * and the same repository kedge.yaml, whose settings it takes. Two `git ls-tree` of the clone, no
 * Compose. Not known (never deployed, the whole tree read, the old commit gone from the clone) is a change.
 */
export async function leavesStackAlone(context: KedgeContext, target: StackTarget, lastGood: DeploymentRow | null, commit: string, signal?: AbortSignal): Promise<boolean> {
  const snapshot = parseSnapshot(lastGood?.snapshot ?? null, lastGood?.id ?? null)
  if (!snapshot?.placedPaths || !snapshot.stack) return false
  const reads = [...snapshot.placedPaths, ...CONFIG_FILENAMES.map((name) => path.posix.join(target.repository.path, name))]
  const {repoDir} = stackPaths(context, target.repository.name)
  try {
    const [before, after] = await Promise.all([context.git.objectIds(repoDir, snapshot.commit, reads, signal), context.git.objectIds(repoDir, commit, reads, signal)])
    return before.size === after.size && [...before].every(([file, id]) => after.get(file) === id)
  } catch {
    // The deployed commit is no longer in the clone: the deploy works out what changed.
    return false
  }
}
