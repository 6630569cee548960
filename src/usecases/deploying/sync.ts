import type {LockRow} from '../../model/rows.js'
import type {KedgeContext} from '../context.js'
import {requireOneStack} from '../stacks/stacks.js'
import type {DeployOutcome} from './attempt.js'
import {applyCheckedOutCommit} from './deploy.js'
import {fetchHead} from './fetch-head.js'
import {withRepositoryLock} from './lock.js'
import {unpin} from './reconcile.js'

export const SYNC_LOCK_WAIT_MS = 10 * 60_000

/** `kedge sync`: fetch the branch head and apply it now, whatever the mode, one deploy at a time. */
export async function syncRepository(
  context: KedgeContext,
  address: string,
  options: {signal?: AbortSignal; onLockWait?: (holder: LockRow) => void} = {},
): Promise<DeployOutcome> {
  const target = requireOneStack(context, address)
  const {repository} = target
  // Finding Compose (for v1 a start of its own, about as long as a `compose config`) overlaps the fetch
  // instead of following it; should it fail, the deploy asks again and reports why.
  void context.compose.command().catch(() => undefined)
  const lockOptions = {purpose: 'kedge sync', waitMs: SYNC_LOCK_WAIT_MS, signal: options.signal, onWait: options.onLockWait}
  return withRepositoryLock(context, repository, lockOptions, async () => {
    const commit = await fetchHead(context, repository, options.signal)
    // An explicit sync means "the branch head, now": it ends a rollback's pin.
    unpin(context, target)
    return applyCheckedOutCommit(context, target, commit, 'manual', options.signal)
  })
}
