import path from 'node:path'

import {CONFIG_FILENAMES} from '../../model/config/kedge-config.js'
import type {DeploymentRow, StackTarget} from '../../model/rows.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
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
  const {repoDir} = stackPaths(context, target.repository.name)
  return snapshot !== null && (await changedReads(context, target, snapshot, {repoDir, commit}, signal))?.length === 0
}

/**
 * The paths the stack read at its deployed commit (`snapshot`) whose objects differ at `commit` of the
 * clone in `next.repoDir` (the repository's own, or another clone of it); null when that cannot be told.
 */
export async function changedReads(
  context: KedgeContext,
  target: StackTarget,
  snapshot: StackSnapshot,
  next: {repoDir: string; commit: string},
  signal?: AbortSignal,
): Promise<string[] | null> {
  if (!snapshot.placedPaths || !snapshot.stack) return null
  const reads = [...snapshot.placedPaths, ...CONFIG_FILENAMES.map((name) => path.posix.join(target.repository.path, name))]
  const {repoDir} = stackPaths(context, target.repository.name)
  let before: Map<string, string>
  let after: Map<string, string>
  try {
    ;[before, after] = await Promise.all([context.git.objectIds(repoDir, snapshot.commit, reads, signal), context.git.objectIds(next.repoDir, next.commit, reads, signal)])
  } catch {
    // The deployed commit is no longer in the clone: what changed cannot be told, and the deploy works it out.
    return null
  }
  return [...new Set([...before.keys(), ...after.keys()])].filter((file) => before.get(file) !== after.get(file)).sort()
}

/**
 * For a deploy's reason: the files the stack reads that differ between its deployed commit and `commit`.
 * One of several stacks reads what its deployment recorded (changedReads); a stack of the repository's
 * root reads the whole of its path. Null when that cannot be told (the old commit is gone from the clone).
 */
export async function changedFilesSince(context: KedgeContext, target: StackTarget, snapshot: StackSnapshot, commit: string, signal?: AbortSignal): Promise<string[] | null> {
  const {repoDir} = stackPaths(context, target.repository.name)
  if (snapshot.placedPaths && snapshot.stack) return changedReads(context, target, snapshot, {repoDir, commit}, signal)
  try {
    return await context.git.changedFiles(repoDir, snapshot.commit, commit, target.repository.path ? [target.repository.path] : [], signal)
  } catch {
    return null
  }
}
