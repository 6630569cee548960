import {errorMessage} from '../../model/errors.js'
import {holdOf, type HoldView} from '../../model/stack/stack-hold.js'
import type {StackTarget} from '../../model/rows.js'
import type {Drift} from '../../model/stack/drift.js'
import {planChanges, type ServiceChange} from '../../model/stack/plan.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import {parseSnapshot} from '../../model/stack/stored-snapshot.js'
import type {KedgeContext} from '../context.js'
import {deployedSnapshot, readDesiredStack} from '../deploying/desired-stack.js'
import {fetchHead} from '../deploying/fetch-head.js'
import {withRepositoryLock} from '../deploying/lock.js'
import {listOwnedContainers} from '../deploying/owned-containers.js'
import {stackPathsOf} from '../repositories/stack-paths.js'
import {requireSomeStacks} from '../stacks/stacks.js'
import {inspectDrift} from './heal.js'
import {onStackEngine} from '../engines/stack-engine.js'
import {findImageUpdates} from '../images/image-updates.js'
import type {ImageUpdate} from '../../model/images/image-updates.js'
import {snapshotConfig} from '../../model/stack/snapshot-config.js'

export interface DiffResult {
  repo: string
  stack: string
  /** The deployed commit, or null when nothing is deployed. */
  commit: string | null
  inSync: boolean
  drift: Array<Omit<Drift, 'containerId'>>
  /** Present when the branch head is ahead of the deployed commit: what applying it would change. */
  head?: {commit: string; changes: ServiceChange[]}
  /**
   * Set when no deployment succeeded yet a failed one left containers kedge labelled: its commit and
   * those containers. The branch head is then compared with them.
   */
  failedAttempt: {commit: string; containers: string[]} | null
  /** Set after a rollback: the commit kept deployed instead of the branch head. */
  pinned: {commit: string; reason: string | null} | null
  /**
   * Set when the stack is held. One kept down (`kedge down`) or gone from the repository is not compared:
   * as in `status`, one kept down is not in sync, and one gone is once it was taken down (prune on). A
   * suspended stack is compared as any other.
   */
  hold: HoldView | null
  /** For a stack that follows its images (reconciliation.image_updates): the tags whose registry names a new image now. */
  images?: ImageUpdate[]
  warnings: string[]
}

const DIFF_LOCK_WAIT_MS = 60_000

/**
 * `kedge diff`: for each stack the address names (every stack of a plain repository), what runs against
 * what the deployed commit wants, and, after fetching the branch once, what its head would change.
 * Changes nothing on the host.
 */
export async function diffStacks(context: KedgeContext, address: string): Promise<DiffResult[]> {
  const targets = requireSomeStacks(context, address)
  const {repository} = targets[0]
  return withRepositoryLock(context, repository, {purpose: 'kedge diff', waitMs: DIFF_LOCK_WAIT_MS}, async () => {
    let head: {commit: string} | {error: unknown}
    try {
      head = {commit: await fetchHead(context, repository)}
    } catch (error) {
      head = {error}
    }
    if (targets.length === 1) return [await diffStack(context, targets[0], head)]
    // One stack's failure (the engine refused its listing, its project is someone else's) is that stack's warning.
    const results: DiffResult[] = []
    for (const target of targets) results.push(await diffStack(context, target, head).catch((error: unknown) => failedDiff(target, error)))
    return results
  })
}

function failedDiff({repository, stack}: StackTarget, error: unknown): DiffResult {
  const warnings = [`cannot compare it: ${errorMessage(error)}`]
  return {repo: repository.name, stack: stack.name, commit: null, inSync: false, drift: [], failedAttempt: null, pinned: null, hold: holdOf(stack), warnings}
}

/** One stack's diff, under the repository's lock, against the branch head fetched for all of them. */
async function diffStack(context: KedgeContext, target: StackTarget, fetched: {commit: string} | {error: unknown}): Promise<DiffResult> {
  context = await onStackEngine(context, target)
  const {repository, stack} = target
  const warnings: string[] = []
  const hold = holdOf(stack)
  if (hold?.kind === 'down' || hold?.kind === 'gone') {
    const deployed = deployedSnapshot(context, stack)
    const inSync = hold.kind === 'gone' && context.store.newestAttempt(stack.id)?.status === 'removed'
    return {repo: repository.name, stack: stack.name, commit: deployed?.commit ?? null, inSync, drift: [], failedAttempt: null, pinned: null, hold, warnings}
  }
  const report = await inspectDrift(context, target)
  const deployed = report?.snapshot ?? deployedSnapshot(context, stack)
  let attempt: Awaited<ReturnType<typeof failedAttemptLeft>> = null
  let head: DiffResult['head']
  try {
    attempt = deployed ? null : await failedAttemptLeft(context, target)
    if ('error' in fetched) throw fetched.error
    const {commit} = fetched
    if (commit !== deployed?.commit) {
      const {snapshot} = await readDesiredStack(context, stackPathsOf(context, target), target, commit, deployed ?? attempt?.snapshot ?? null)
      const deployedHere = (deployed ?? attempt?.snapshot)?.project === snapshot.project
      const actual = await listOwnedContainers(context, repository.name, snapshot.project, {deployedHere, services: snapshot.services})
      head = {commit, changes: planChanges(snapshot.services, actual, deployed?.services)}
    }
  } catch (error) {
    warnings.push(`cannot tell what the branch head would change: ${errorMessage(error)}`)
  }
  let images: ImageUpdate[] | undefined
  if (deployed && deployed.target !== 'swarm' && snapshotConfig(deployed).imageUpdates) {
    const found = await findImageUpdates(context, deployed)
    images = found.updates
    if (found.error) warnings.push(`cannot tell every image's update: ${found.error.message}`)
  }
  const drift = (report?.drift ?? []).map(({containerId: _, ...entry}) => entry)
  const pinned = stack.pinnedCommit ? {commit: stack.pinnedCommit, reason: stack.pinReason} : null
  const inSync = drift.length === 0 && deployed !== null && (head === undefined || pinned !== null) && (images?.length ?? 0) === 0
  const failedAttempt = attempt ? {commit: attempt.snapshot.commit, containers: attempt.containers} : null
  return {repo: repository.name, stack: stack.name, commit: deployed?.commit ?? null, inSync, drift, ...(head ? {head} : {}), failedAttempt, pinned, hold, ...(images ? {images} : {}), warnings}
}

/** What a failed deploy left when none succeeded: its snapshot and the containers kedge labelled for it; null when it left none. */
async function failedAttemptLeft(context: KedgeContext, target: StackTarget): Promise<{snapshot: StackSnapshot; containers: string[]} | null> {
  const {repository, stack} = target
  const snapshot = parseSnapshot(context.store.lastAppliedDeployment(stack.id)?.snapshot ?? null)
  if (!snapshot) return null
  context = await onStackEngine(context, target)
  const containers = await listOwnedContainers(context, repository.name, snapshot.project)
  return containers.length > 0 ? {snapshot, containers: containers.map((container) => container.name)} : null
}
