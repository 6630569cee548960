import type {DeploymentRow, LockRow, RepositoryRow, StackTarget} from '../model/rows.js'
import type {KedgeContext} from './context.js'
import {tryWithRepositoryLock} from './deploying/lock.js'
import {reconcileStacksLocked, type ReconcileOptions, type RepositoryRound} from './deploying/reconcile.js'
import {healLocked, type HealOptions, type HealResult} from './drift/heal.js'

/** What a round may do while it holds the repository's lock: poll (and deploy its stacks), then check each stack for drift (and heal). */
export interface LockedRound {
  reconcile(repository: RepositoryRow, options: ReconcileOptions): Promise<RepositoryRound>
  heal(target: StackTarget, options?: HealOptions): Promise<HealResult>
}

export interface RoundOptions {
  /** What the lock says it is held for. */
  purpose: string
  /** Called with the number of deployments found interrupted by a holder that died. */
  onRecovered?: (count: number) => void
}

export type RoundResult<T> = {kind: 'busy'; holder: LockRow} | {kind: 'ran'; value: T}

/**
 * One round of serve for a repository under one take of its lock: `work` polls and deploys, then
 * checks for drift, with no gap between in which another process could take the repository.
 */
export async function runRound<T>(
  context: KedgeContext,
  repository: RepositoryRow,
  options: RoundOptions,
  work: (round: LockedRound) => Promise<T>,
): Promise<RoundResult<T>> {
  // A deploy that succeeded is the last good deployment the drift check after it looks at: not read again.
  const deployed = new Map<number, DeploymentRow>()
  const round: LockedRound = {
    reconcile: async (current, reconcileOptions) => {
      const result = await reconcileStacksLocked(context, current, reconcileOptions)
      for (const {target, result: stack} of result.kind === 'stacks' ? result.results : []) {
        if (stack.kind === 'deployed' && stack.outcome.deployment.status === 'success') deployed.set(target.stack.id, stack.outcome.deployment)
      }
      return result
    },
    heal: (current, healOptions = {}) => healLocked(context, current, {lastGood: deployed.get(current.stack.id), ...healOptions}),
  }
  const result = await tryWithRepositoryLock(context, repository, options.purpose, async (recovered) => {
    if (recovered > 0) options.onRecovered?.(recovered)
    return {kind: 'ran' as const, value: await work(round)}
  })
  return 'busy' in result ? {kind: 'busy', holder: result.busy} : result
}
