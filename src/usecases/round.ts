import {checkImageUpdates, type ImageCheck, type ImageCheckOptions} from './images/image-updates.js'
import {stackRowDamage} from '../model/repository/row-checks.js'
import type {DeploymentRow, LockRow, RepositoryRow, StackRow, StackTarget} from '../model/rows.js'
import {quietVerdict} from '../model/stack/quiet-verdict.js'
import type {KedgeContext} from './context.js'
import {tryWithRepositoryLock} from './deploying/lock.js'
import {askBranchHead, reconcileStacksLocked, recordPoll, type AskedHead, type ReconcileOptions, type RepositoryRound, type StackRound} from './deploying/reconcile.js'
import {healLocked, type HealOptions, type HealResult} from './drift/heal.js'

/** What a round may do while it holds the repository's lock: poll (and deploy its stacks), then check each stack for drift (and heal). */
export interface LockedRound {
  reconcile(repository: RepositoryRow, options: ReconcileOptions): Promise<RepositoryRound>
  heal(target: StackTarget, options?: HealOptions): Promise<HealResult>
  checkImages(target: StackTarget, options?: ImageCheckOptions): Promise<ImageCheck>
}

export interface RoundOptions {
  /** What the lock says it is held for. */
  purpose: string
  /** Called with the number of deployments found interrupted by a holder that died. */
  onRecovered?: (count: number) => void
}

export type RoundResult<T> = {kind: 'busy'; holder: LockRow} | {kind: 'ran'; value: T}

/**
 * The locked part of a round of serve for a repository, under one take of its lock: `work` polls (or
 * acts on the poll lookBeforeLock made) and deploys, then checks for drift, with no gap between in
 * which another process could take the repository.
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
    // The stack's row as stored now: the round before may have deployed it, or checked its images.
    checkImages: (current, imageOptions) => checkImageUpdates(context, {...current, stack: context.store.listStacks(current.repository.id).find((stack) => stack.id === current.stack.id) ?? current.stack}, imageOptions),
  }
  const result = await tryWithRepositoryLock(context, repository, options.purpose, async (recovered) => {
    if (recovered > 0) options.onRecovered?.(recovered)
    return {kind: 'ran' as const, value: await work(round)}
  })
  return 'busy' in result ? {kind: 'busy', holder: result.busy} : result
}

export interface LookOptions extends Pick<ReconcileOptions, 'signal' | 'onPolled'> {
  /** Whether a drift check must list the stack's containers this round (it runs `lastGood`); a round that must list one takes the lock. */
  needsListing: (stack: StackRow, lastGood: {id: number}) => boolean
}

/** A round's poll, made before its lock: a round with nothing to do, or what the remote said, for the locked round to go on from. */
export type RoundLook = {kind: 'quiet'; head: string; results: StackRound[]} | {kind: 'lock'; asked: AskedHead}

/**
 * A poll round's first step, without the repository's lock: asks the remote for the branch head and,
 * when it calls for nothing, ends the round there. It calls for nothing when every stack runs the head
 * (or is held, pinned, or gone at it) with nothing to record, no drift check has to list containers,
 * and no deployment is pending (the lock's next holder recovers one a holder that died left). Reads
 * alone decide it, and it writes only what the old round did in that case: the poll, on the
 * repository. Otherwise nothing is recorded here: the locked round records the answer and acts on it.
 * Most rounds of serve are quiet ones: taking and letting go of the lock were a third of their cost
 * (bench/stack-scale.ts; docs/performance.md, "Idle cost at scale").
 */
export async function lookBeforeLock(context: KedgeContext, repository: RepositoryRow, options: LookOptions): Promise<RoundLook> {
  const asked = await askBranchHead(context, repository, options)
  if (asked.kind !== 'answered' || asked.head === null || context.store.hasPendingDeployment(repository.id)) return {kind: 'lock', asked}
  const {head} = asked
  const results: StackRound[] = []
  for (const stack of context.store.listStacks(repository.id)) {
    // A damaged row is decided under the lock, where the round records it as that stack's failure.
    if (stackRowDamage(stack, repository.name)) return {kind: 'lock', asked}
    const lastGood = stack.hold ? undefined : context.store.lastGoodSummary(stack.id)
    const verdict = quietVerdict(stack, head, lastGood)
    if (!verdict || (lastGood && options.needsListing(stack, lastGood))) return {kind: 'lock', asked}
    results.push({target: {repository: asked.repository, stack}, result: verdict})
  }
  if (results.length === 0) return {kind: 'lock', asked}
  recordPoll(context, repository, asked)
  context.announcer.announce({kind: 'repository_answered', repository})
  return {kind: 'quiet', head, results}
}
