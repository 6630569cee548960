import {NotFoundError, quoted} from '../../model/errors.js'
import type {LockRow} from '../../model/rows.js'
import type {KedgeContext} from '../context.js'
import {requireRepository} from '../repositories/require-repository.js'
import {readCheckoutStacks} from '../stacks/checkout-stacks.js'
import {splitAddress} from '../stacks/stacks.js'
import {endHold, refuseHeld} from '../stacks/holds.js'
import type {DeployOutcome} from './attempt.js'
import {applyCheckedOutCommit} from './deploy.js'
import {fetchHead} from './fetch-head.js'
import {withRepositoryLock} from './lock.js'
import {recordSkipped, unpin} from './reconcile.js'
import {checkImageUpdates, type ImageCheck} from '../images/image-updates.js'

export const SYNC_LOCK_WAIT_MS = 10 * 60_000

/**
 * What `kedge sync` did for one stack: deployed it, or skipped it because a stack it is deployed after
 * failed; and, for a stack that follows its images (reconciliation.image_updates), what their check found.
 */
export type SyncOutcome = DeployOutcome & {skipped?: {blockedBy: string}; images?: ImageCheck}

/**
 * `kedge sync`: fetch the branch head and apply it now, whatever the mode, one deploy at a time. A
 * repository's address applies each of its stacks in order (`after:`); `<repository>/<stack>` applies
 * that one. A stack whose dependency failed keeps its commit and is recorded as skipped.
 */
export async function syncRepository(
  context: KedgeContext,
  address: string,
  /** `up`: end the stacks' holds and deploy them (`kedge up`); without it a held stack is refused. */
  options: {signal?: AbortSignal; onLockWait?: (holder: LockRow) => void; up?: boolean} = {},
): Promise<SyncOutcome[]> {
  const {repositoryName, stackName} = splitAddress(address)
  const repository = requireRepository(context, repositoryName)
  // Finding Compose (for v1 a start of its own, about as long as a `compose config`) overlaps the fetch
  // instead of following it; should it fail, the deploy asks again and reports why.
  void context.compose.command().catch(() => undefined)
  const lockOptions = {purpose: 'kedge sync', waitMs: SYNC_LOCK_WAIT_MS, signal: options.signal, onWait: options.onLockWait}
  return withRepositoryLock(context, repository, lockOptions, async () => {
    if (!options.up) refuseHeld(context, address, 'sync')
    context.progress.step(`${repository.name}: fetching ${repository.branch} from ${repository.url}`)
    const commit = await fetchHead(context, repository, options.signal)
    const layout = readCheckoutStacks(context, repository, commit)
    const chosen = stackName === undefined ? layout.stacks : layout.stacks.filter((entry) => entry.target.stack.name.toLowerCase() === stackName.toLowerCase())
    if (chosen.length === 0) {
      const known = layout.stacks.map((entry) => entry.target.stack.name).join(', ')
      throw new NotFoundError(`${repository.name} has no stack named ${quoted(stackName ?? '')} at ${commit.slice(0, 7)}`, {hint: known ? `its stacks: ${known}` : undefined})
    }
    const failed = new Set<string>()
    const outcomes: SyncOutcome[] = []
    for (const {target, after, checkout} of chosen) {
      const blockedBy = after.find((name) => failed.has(name))
      if (blockedBy !== undefined) {
        failed.add(target.stack.name)
        const skipped = recordSkipped(context, target, commit, blockedBy, 'manual')
        outcomes.push({deployment: skipped.deployment, stack: target.stack.name, error: null, changes: [], skipped: {blockedBy}})
        continue
      }
      // An explicit sync means "the branch head, now": it ends a rollback's pin.
      unpin(context, target)
      if (options.up) endHold(context, target)
      const outcome = await applyCheckedOutCommit(context, target, commit, options.up ? 'up' : 'manual', options.signal, {checkout})
      if (outcome.error) failed.add(target.stack.name)
      // The images too, at once and whatever the mode: "sync" means what the branch and the registries say now.
      const stack = context.store.listStacks(repository.id).find((row) => row.id === target.stack.id) ?? target.stack
      const images = outcome.error ? undefined : await checkImageUpdates(context, {repository, stack}, {apply: true, signal: options.signal})
      outcomes.push(images && images.kind !== 'off' ? {...outcome, images} : outcome)
    }
    return outcomes
  })
}
