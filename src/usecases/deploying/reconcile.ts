import path from 'node:path'

import type {KedgeConfig} from '../../model/config/kedge-config.js'
import {asKedgeError, ExternalError, isKedgeError, type KedgeError} from '../../model/errors.js'
import type {DeploymentRow, LockRow, RepositoryRow, StackRow, StackTarget} from '../../model/rows.js'
import {planChanges, type ServiceChange} from '../../model/stack/plan.js'
import type {HoldView} from '../../model/stack/stack-hold.js'
import {quietVerdict} from '../../model/stack/quiet-verdict.js'
import {parseSnapshot} from '../../model/stack/stored-snapshot.js'
import type {KedgeContext} from '../context.js'
import {withRepositoryAccess} from '../repositories/credentials.js'
import {isRootStack} from '../../model/stack/stack-names.js'
import {stackPaths, stackPathsOf} from '../repositories/stack-paths.js'
import {readCheckoutStacks} from '../stacks/checkout-stacks.js'
import {takeDownStack} from '../stacks/take-down.js'
import type {CheckoutRead} from '../stacks/checkout-stacks.js'
import {stackRowDamage} from '../../model/repository/row-checks.js'
import type {DeployOutcome} from './attempt.js'
import {applyCheckedOutCommit, type AlreadyRead} from './deploy.js'
import {readDesiredStack} from './desired-stack.js'
import {leavesStackAlone} from './stack-changes.js'
import {fetchHead} from './fetch-head.js'
import {tryWithRepositoryLock} from './lock.js'
import {listOwnedContainers} from './owned-containers.js'
import {engineRowOf, onStackEngine} from '../engines/stack-engine.js'

export type ReconcileResult =
  | {kind: 'busy'; holder: LockRow}
  | {kind: 'unreachable'; error: KedgeError}
  | {kind: 'no-branch'; error: KedgeError}
  | {kind: 'up-to-date'; commit: string}
  | {kind: 'pinned'; commit: string}
  | {kind: 'already-failed'; commit: string}
  | {kind: 'pending'; commit: string; mode: KedgeConfig['mode']; changes: ServiceChange[]}
  | {kind: 'already-pending'; commit: string}
  | {kind: 'plan-failed'; commit: string; error: KedgeError}
  | {kind: 'deployed'; outcome: DeployOutcome}
  | {kind: 'engine-unavailable'; commit: string; error: KedgeError}
  /** The commit changes nothing one of several stacks reads: it counts as running it, without a deploy. */
  | {kind: 'unchanged'; commit: string}
  /** A stack it is deployed after (`after:`) failed this round: it keeps its commit. */
  | {kind: 'skipped'; commit: string; blockedBy: string; deployment: DeploymentRow}
  /** The repository no longer holds the stack: taken down (prune) or left running. */
  | {kind: 'gone'; commit: string; prune: boolean}
  /** Held by `kedge down` or `kedge suspend`: no deploy, no plan, until `up` or `resume`. */
  | {kind: 'stack-held'; hold: HoldView}

export interface ReconcileOptions {
  trigger: 'startup' | 'git'
  /** Aborted to abandon a deploy in progress; a failure once it is aborted counts as an interruption. */
  signal?: AbortSignal
  /** Called with the number of deployments found interrupted by a holder that died. */
  onRecovered?: (count: number) => void
  /** Called when a new commit ends a rollback's pin. */
  onUnpinned?: (pinned: string, head: string, target: StackTarget) => void
  /** Called once the remote was asked for the branch head, with how long that took. */
  onPolled?: (outcome: {success: boolean; seconds: number; head: string | null}) => void
  /** What the remote said when this round's caller asked it already (see lookBeforeLock): it is not asked again. */
  polled?: AskedHead
  /** How the round's poll came about, for a deploy's reason: serve's interval, or a push webhook's request. */
  found?: 'poll' | 'webhook'
  /** Called with the fetched commit's kedge.yaml (the repository's) as the round read it (null when it is invalid), for what the caller derives from it. */
  onCheckoutConfig?: (commit: string, config: KedgeConfig | null) => void
}

export function unpin(context: KedgeContext, {stack}: StackTarget): void {
  context.store.updateStack(stack.id, {pinnedCommit: null, pinReason: null, pinnedAtHead: null})
}

/**
 * One round of the deploy loop for a repository's stack, under the repository's lock (see
 * reconcileStacksLocked, which does the work for all of them).
 */
export async function reconcileRepository(context: KedgeContext, target: StackTarget, options: ReconcileOptions): Promise<ReconcileResult> {
  const result = await tryWithRepositoryLock(context, target.repository, `kedge serve (${options.trigger})`, async (recovered) => {
    if (recovered > 0) options.onRecovered?.(recovered)
    return reconcileLocked(context, target, options)
  })
  return 'busy' in result ? {kind: 'busy', holder: result.busy} : result
}

/** As reconcileRepository, for a caller that holds the repository's lock already: the round of all its stacks, and this one's result. */
export async function reconcileLocked(context: KedgeContext, target: StackTarget, options: ReconcileOptions): Promise<ReconcileResult> {
  const round = await reconcileStacksLocked(context, target.repository, options)
  if (round.kind !== 'stacks') return round
  return (round.results.find((entry) => entry.target.stack.id === target.stack.id) ?? round.results[0])?.result ?? {kind: 'up-to-date', commit: round.head}
}

/** One stack's part in a round. */
export interface StackRound {
  target: StackTarget
  result: ReconcileResult
}

/** A round of a repository: the remote did not answer (or lost the branch), or each stack's result, in deploy order. */
export type RepositoryRound = Extract<ReconcileResult, {kind: 'unreachable' | 'no-branch' | 'plan-failed'}> | {kind: 'stacks'; head: string; results: StackRound[]}

/**
 * One round of the deploy loop for a repository: ask the remote for the branch head (one cheap round
 * trip), and only when it moved past a stack fetch it (once, for all of them) and read which stacks the
 * commit holds. Each stack the commit changes is then, by the mode its settings say, applied (auto) or
 * recorded with what applying it would change (notify, manual), in the order `after:` sets; a stack
 * whose dependency failed keeps its commit and is recorded as skipped. A commit changes one of several
 * stacks when it changes a file the stack reads: a stack it leaves alone costs no Compose call. A commit
 * that already failed is not retried until the branch moves again; one that was interrupted is.
 */
export async function reconcileStacksLocked(context: KedgeContext, repository: RepositoryRow, options: ReconcileOptions): Promise<RepositoryRound> {
  const {store} = context
  const polled = recordPoll(context, repository, options.polled ?? (await askBranchHead(context, repository, options)))
  if (polled.kind !== 'head') return polled
  const {head} = polled
  repository = polled.repository
  const known = store.listStacks(repository.id)
  const decided = new Map(known.map((stack) => [stack.id, decide(context, repository, stack, head, options)]))
  // A stack gone from the repository may come back with any new commit: a head it was not looked for at is fetched.
  const lookedFor = known.every((stack) => stack.hold !== 'gone' || stack.unchangedHead === head)
  if (known.length > 0 && lookedFor && known.every((stack) => 'kind' in decided.get(stack.id)!)) {
    // Nothing to fetch: the poll's answer is the remote's whole answer. Otherwise the fetch tells (fetchHead).
    context.announcer.announce({kind: 'repository_answered', repository})
    return {kind: 'stacks', head, results: known.map((stack) => ({target: {repository, stack}, result: decided.get(stack.id) as ReconcileResult}))}
  }
  // With the row the poll returned: a host key it accepted on first use is the one the fetch is checked against.
  const commit = await fetchHead(context, repository, options.signal, {recordedHead: head})
  const layout = readCheckoutStacks(context, repository, commit)
  options.onCheckoutConfig?.(commit, layout.config)
  if (layout.error && layout.stacks.length === 0) {
    // No stack to record it on (the repository was added while its remote did not answer): the repository's error.
    store.recordRepositoryError(repository.id, layout.error)
    return {kind: 'plan-failed', commit, error: asKedgeError(layout.error, 'invalid_config')}
  }
  // Stacks that failed this round (or failed at this commit before): the stacks deployed after them keep their commit.
  const failed = new Set<string>()
  // Stacks that wait for the Docker engine: the stacks deployed after them wait too, without a record.
  const waiting = new Set<string>()
  const results: StackRound[] = []
  // First, so that a stack taking over a gone one's project (a renamed stack) is deployed after it is retired.
  for (const gone of layout.gone) results.push({target: gone, result: await retireStack(context, gone, commit, layout.config?.prune ?? false)})
  // Stacks gone before that this commit does not bring back: not looked for again until the branch moves.
  const back = new Set(layout.stacks.map((found) => found.target.stack.id))
  for (const stack of store.listStacks(repository.id)) {
    if (stack.hold === 'gone' && !back.has(stack.id) && stack.unchangedHead !== commit) store.updateStack(stack.id, {unchangedHead: commit})
  }
  for (const {target: found, after, checkout} of layout.stacks) {
    const target = {repository, stack: found.stack}
    try {
      const result = await reconcileStack(context, target, {head, commit, after, checkout, failed, waiting, decision: decided.get(target.stack.id)}, options)
      if (waitsForEngine(result)) waiting.add(target.stack.name)
      // A stack rolled back at this head (its deploy failed, or an operator said so) does not run it either.
      else if (stackFailed(result) || (result.kind === 'pinned' && target.stack.pinnedAtHead === head && result.commit !== head)) failed.add(target.stack.name)
      results.push({target, result})
    } catch (error) {
      // One stack's fault (its row damaged, its files unreadable) is its own: the others go on. An error
      // kedge did not expect is recorded too, and still reported as the bug it is.
      if (options.signal?.aborted) throw error
      store.recordStackError(target.stack.id, error)
      if (!isKedgeError(error)) throw error
      failed.add(target.stack.name)
      results.push({target, result: {kind: 'plan-failed', commit, error: asKedgeError(error, 'plan_failed')}})
    }
  }
  return {kind: 'stacks', head, results}
}

/** What the remote said when asked for the branch head: the head (null when the branch is gone), with the repository's row as stored since; or the error. */
export type AskedHead = {kind: 'answered'; head: string | null; repository: RepositoryRow} | {kind: 'failed'; error: unknown}

/** What a poll found, once recorded: the branch head, or why there is none. */
export type PollOutcome = {kind: 'head'; head: string; repository: RepositoryRow} | Extract<ReconcileResult, {kind: 'unreachable' | 'no-branch'}>

/**
 * Asks the remote for the branch head (one cheap round trip), and records nothing but a host key accepted
 * on first use: it needs no lock (see lookBeforeLock), and what it found is recorded by whoever acts on it.
 */
export async function askBranchHead(context: KedgeContext, repository: RepositoryRow, options: Pick<ReconcileOptions, 'signal' | 'onPolled'>): Promise<AskedHead> {
  const polling = performance.now()
  const seconds = () => (performance.now() - polling) / 1000
  try {
    const asked = await withRepositoryAccess(context, repository, (access) => context.git.remoteBranchHead(repository.url, repository.branch, {signal: options.signal, access}))
    options.onPolled?.({success: asked.value !== null, seconds: seconds(), head: asked.value})
    return {kind: 'answered', head: asked.value, repository: asked.repository}
  } catch (error) {
    options.onPolled?.({success: false, seconds: seconds(), head: null})
    return {kind: 'failed', error}
  }
}

/** Records what the remote said on the repository: its branch head, or why there is none. */
export function recordPoll(context: KedgeContext, repository: RepositoryRow, asked: AskedHead): PollOutcome {
  const {store} = context
  if (asked.kind === 'failed') {
    store.recordRepositoryError(repository.id, asked.error)
    const error = asKedgeError(asked.error, 'git_failed')
    context.announcer.announce({kind: 'repository_failed', repository, error: error.message})
    return {kind: 'unreachable', error}
  }
  if (asked.head === null) {
    const error = new ExternalError(`branch "${repository.branch}" no longer exists on ${repository.url}`, {code: 'unknown_branch'})
    store.recordRepositoryError(repository.id, error)
    context.announcer.announce({kind: 'repository_failed', repository, error: error.message})
    return {kind: 'no-branch', error}
  }
  // The remote answered: whatever kept it from answering before is over.
  store.recordRemoteHead(repository.id, asked.head, context.clock.now())
  if (repository.lastError) store.updateRepository(repository.id, {lastError: null, lastErrorAt: null})
  return {kind: 'head', head: asked.head, repository: asked.repository}
}

/** One stack's part of a round whose commit was fetched. */
async function reconcileStack(
  context: KedgeContext,
  target: StackTarget,
  round: {head: string; commit: string; after: readonly string[]; checkout: CheckoutRead; failed: ReadonlySet<string>; waiting: ReadonlySet<string>; decision: Decision | undefined},
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  const {store} = context
  const {commit, checkout} = round
  // A stack the poll found gone that the commit holds again is decided afresh, from its row as now recorded.
  const stale = round.decision !== undefined && 'kind' in round.decision && round.decision.kind === 'gone' && target.stack.hold !== 'gone'
  const decision = round.decision !== undefined && !stale ? round.decision : decide(context, target.repository, target.stack, round.head, options)
  if ('kind' in decision) return decision
  const waitingFor = round.after.find((name) => round.waiting.has(name))
  if (waitingFor !== undefined) {
    return {kind: 'engine-unavailable', commit, error: new ExternalError(`waiting for ${waitingFor}, which it is deployed after, to be deployed once the Docker engine answers`, {code: 'engine_unavailable'})}
  }
  const blockedBy = round.after.find((name) => round.failed.has(name))
  if (blockedBy !== undefined) {
    // Recorded once per commit; a later round finds the skip and keeps waiting, without another row.
    const skippedBefore = store.lastAttemptAt(target.stack.id, commit)?.status === 'skipped'
    return skippedBefore ? {kind: 'already-failed', commit} : recordSkipped(context, target, commit, blockedBy)
  }
  const known = {lastGood: decision.lastGood, checkout, found: options.found}
  // Only a stack that runs its last good deployment, read from a checkout that could be read, may be left alone.
  const runsLastGood = decision.lastGood !== null && store.newestAttempt(target.stack.id)?.id === decision.lastGood.id
  if (!isRootStack(target) && !('error' in checkout) && runsLastGood && (await leavesStackAlone(context, target, decision.lastGood, commit, options.signal))) {
    store.updateStack(target.stack.id, {unchangedHead: commit, pendingCommit: null, pendingChanges: null, lastError: null, lastErrorAt: null})
    return {kind: 'unchanged', commit}
  }
  // An invalid kedge.yaml is left to the deploy, which records why it fails.
  const mode = ('file' in checkout ? checkout.file.config.mode : null) ?? 'auto'
  return mode === 'auto' ? deployWhenEngineAnswers(context, target, commit, options, known) : recordPendingChanges(context, target, commit, mode, known, options.signal)
}

/** The poll's decision for a stack whose row is checked first: a damaged row is that stack's failure, not the round's. */
function decide(context: KedgeContext, repository: RepositoryRow, stack: StackRow, head: string, options: ReconcileOptions): Decision {
  const damage = stackRowDamage(stack, repository.name)
  if (damage) return {kind: 'plan-failed', commit: head, error: damage}
  if (stack.hold === 'gone') return {kind: 'gone', commit: head, prune: false}
  return afterPoll(context, {repository, stack}, head, options)
}

/**
 * A stack the commit no longer holds (its folder deleted, or dropped from `stacks:`): with prune on,
 * taken down (its containers; its files and volumes stay) and recorded in its history; with prune off,
 * left running and reported. Either way kedge neither deploys nor heals it until the repository holds it again.
 */
async function retireStack(context: KedgeContext, target: StackTarget, commit: string, prune: boolean): Promise<ReconcileResult> {
  const {store} = context
  const note = `no longer in the repository at ${commit.slice(0, 7)}: ${prune ? 'taken down (prune is on)' : 'left running (prune is off)'}`
  if (prune) {
    const deployment = store.startDeployment({repositoryId: target.repository.id, stackId: target.stack.id, commit, trigger: 'git', engineId: engineRowOf(context, target)?.id ?? null})
    try {
      await takeDownStack(context, target, {volumes: false})
      store.finishDeployment(deployment.id, {status: 'removed', note})
    } catch (error) {
      const failure = asKedgeError(error, 'deploy_failed')
      store.finishDeployment(deployment.id, {status: 'failed', error: failure.message, note})
      store.recordStackError(target.stack.id, failure)
      return {kind: 'plan-failed', commit, error: failure}
    }
  }
  // unchangedHead: the head it was found gone at (see reconcileStacksLocked's poll).
  store.updateStack(target.stack.id, {hold: 'gone', heldAt: context.clock.now(), pendingCommit: null, pendingChanges: null, unchangedHead: commit, drift: null})
  return {kind: 'gone', commit, prune}
}

/** What the poll found for a stack: a result that ends its round, or the fetch it needs (with its last good deployment, read once). */
type Decision = ReconcileResult | {lastGood: DeploymentRow | null}

/** What the branch head the poll found calls for, for one stack. */
function afterPoll(context: KedgeContext, target: StackTarget, head: string, options: ReconcileOptions): Decision {
  const {store} = context
  const {stack} = target
  // Most rounds end here: the stack runs the head (or is held, or pinned), and nothing needs writing.
  const quiet = quietVerdict(stack, head, store.lastGoodSummary(stack.id))
  if (quiet) return quiet
  if (stack.pinnedCommit) {
    if (head === stack.pinnedAtHead || head === stack.pinnedCommit) {
      store.updateStack(stack.id, {lastError: null, lastErrorAt: null})
      return {kind: 'pinned', commit: stack.pinnedCommit}
    }
    unpin(context, target)
    options.onUnpinned?.(stack.pinnedCommit, head, target)
  }
  const lastGood = store.lastGoodDeployment(stack.id) ?? null
  if (lastGood?.commit === head || (stack.unchangedHead === head && lastGood !== null)) {
    // The stack runs the branch head: whatever went wrong before is over.
    if (stack.pendingCommit || stack.lastError) store.updateStack(stack.id, {pendingCommit: null, pendingChanges: null, lastError: null, lastErrorAt: null})
    return {kind: 'up-to-date', commit: head}
  }
  const attempt = store.lastAttemptAt(stack.id, head)
  if (attempt?.status === 'failed' && !attempt.interrupted) return {kind: 'already-failed', commit: head}
  if (stack.pendingCommit === head) return {kind: 'already-pending', commit: head}
  return {lastGood}
}

/** Whether the stack's commit waits for the Docker engine: not the commit's fault, so not a failure its dependents are skipped for. */
function waitsForEngine(result: ReconcileResult): boolean {
  return result.kind === 'engine-unavailable' || (result.kind === 'deployed' && result.outcome.deployment.interrupted)
}

/** Whether the stack does not run the commit after its round, so that the stacks deployed after it keep theirs. */
function stackFailed(result: ReconcileResult): boolean {
  if (result.kind === 'deployed') return result.outcome.error !== null
  return result.kind === 'plan-failed' || result.kind === 'engine-unavailable' || result.kind === 'already-failed' || result.kind === 'skipped'
}

/** A stack whose dependency failed this round keeps its commit; the skip is recorded, and held like a failure until the branch moves. */
export function recordSkipped(
  context: KedgeContext,
  target: StackTarget,
  commit: string,
  blockedBy: string,
  trigger: 'git' | 'manual' = 'git',
): Extract<ReconcileResult, {kind: 'skipped'}> {
  const {store} = context
  const deployment = store.startDeployment({repositoryId: target.repository.id, stackId: target.stack.id, commit, trigger, engineId: engineRowOf(context, target)?.id ?? null})
  const reason = `skipped: ${blockedBy}, which it is deployed after, failed at ${commit.slice(0, 7)}`
  const finished = store.finishDeployment(deployment.id, {status: 'skipped', note: reason})
  return {kind: 'skipped', commit, blockedBy, deployment: finished}
}

/** A commit that arrives while the Docker engine is down waits for it, without a failed deployment for each round. */
async function deployWhenEngineAnswers(
  context: KedgeContext,
  target: StackTarget,
  commit: string,
  options: ReconcileOptions,
  known: AlreadyRead,
): Promise<ReconcileResult> {
  try {
    return {kind: 'deployed', outcome: await applyCheckedOutCommit(context, target, commit, options.trigger, options.signal, known)}
  } catch (error) {
    const failure = asKedgeError(error, 'deploy_failed')
    if (failure.code !== 'engine_unavailable') throw error
    context.store.recordStackError(target.stack.id, failure)
    return {kind: 'engine-unavailable', commit, error: failure}
  }
}

/** notify and manual: work out what applying the commit would change, record it, apply nothing. */
async function recordPendingChanges(
  context: KedgeContext,
  target: StackTarget,
  commit: string,
  mode: KedgeConfig['mode'],
  known: AlreadyRead,
  signal?: AbortSignal,
): Promise<ReconcileResult> {
  try {
    context = await onStackEngine(context, target)
    const deployed = parseSnapshot(known.lastGood?.snapshot ?? null)
    const {repository, stack} = target
    const {snapshot} = await readDesiredStack(context, stackPathsOf(context, target), target, commit, deployed, signal, {checkout: known.checkout})
    const deployedHere = deployed?.project === snapshot.project
    const actual = await listOwnedContainers(context, repository.name, snapshot.project, {deployedHere, services: snapshot.services})
    const changes = planChanges(snapshot.services, actual, deployed?.services)
    context.store.updateStack(stack.id, {pendingCommit: commit, pendingChanges: JSON.stringify(changes), lastError: null, lastErrorAt: null})
    return {kind: 'pending', commit, mode, changes}
  } catch (error) {
    context.store.recordStackError(target.stack.id, error)
    return {kind: 'plan-failed', commit, error: asKedgeError(error, 'plan_failed')}
  }
}

/** The repository's kedge.yaml as the clone has it now, or null when it is missing from the clone or invalid. */
export function readCheckoutConfig(context: KedgeContext, repository: RepositoryRow): KedgeConfig | null {
  const repoDir = stackPaths(context, repository.name).repoDir
  try {
    return context.files.readKedgeConfig(repoDir, path.join(repoDir, repository.path)).config
  } catch {
    return null
  }
}
