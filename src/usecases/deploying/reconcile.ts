import path from 'node:path'

import type {KedgeConfig} from '../../model/config/kedge-config.js'
import {asKedgeError, ExternalError, type KedgeError} from '../../model/errors.js'
import type {DeploymentRow, LockRow, StackTarget} from '../../model/rows.js'
import {planChanges, type ServiceChange} from '../../model/stack/plan.js'
import {parseSnapshot} from '../../model/stack/stored-snapshot.js'
import type {KedgeContext} from '../context.js'
import {withRepositoryAccess} from '../repositories/credentials.js'
import {stackPaths, stackPathsOf} from '../repositories/stack-paths.js'
import type {DeployOutcome} from './attempt.js'
import {applyCheckedOutCommit, type AlreadyRead} from './deploy.js'
import {readCheckout, readDesiredStack} from './desired-stack.js'
import {fetchHead} from './fetch-head.js'
import {tryWithRepositoryLock} from './lock.js'
import {listOwnedContainers} from './owned-containers.js'

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

export interface ReconcileOptions {
  trigger: 'startup' | 'git'
  /** Aborted to abandon a deploy in progress; a failure once it is aborted counts as an interruption. */
  signal?: AbortSignal
  /** Called with the number of deployments found interrupted by a holder that died. */
  onRecovered?: (count: number) => void
  /** Called when a new commit ends a rollback's pin. */
  onUnpinned?: (pinned: string, head: string) => void
  /** Called once the remote was asked for the branch head, with how long that took. */
  onPolled?: (outcome: {success: boolean; seconds: number; head: string | null}) => void
  /** Called with the fetched commit's kedge.yaml as the round read it (null when it is invalid), for what the caller derives from it. */
  onCheckoutConfig?: (commit: string, config: KedgeConfig | null) => void
}

export function unpin(context: KedgeContext, {stack}: StackTarget): void {
  context.store.updateStack(stack.id, {pinnedCommit: null, pinReason: null, pinnedAtHead: null})
}

/**
 * One round of the deploy loop for a repository: ask the remote for the branch head (one cheap round
 * trip), and only when it moved fetch it and, by the mode its kedge.yaml sets, apply it (auto) or record
 * what applying it would change (notify, manual). A commit that already failed is not retried until the
 * branch moves again; one that was interrupted is.
 */
export async function reconcileRepository(context: KedgeContext, target: StackTarget, options: ReconcileOptions): Promise<ReconcileResult> {
  const result = await tryWithRepositoryLock(context, target.repository, `kedge serve (${options.trigger})`, async (recovered) => {
    if (recovered > 0) options.onRecovered?.(recovered)
    return reconcileLocked(context, target, options)
  })
  return 'busy' in result ? {kind: 'busy', holder: result.busy} : result
}

/** As reconcileRepository, for a caller that holds the repository's lock already (see runRound). */
export async function reconcileLocked(context: KedgeContext, target: StackTarget, options: ReconcileOptions): Promise<ReconcileResult> {
  const {store} = context
  let {repository} = target
  const {stack} = target
  const polling = performance.now()
  let polled = false
  let step: ReconcileResult | {fetched: string; lastGood: DeploymentRow | null}
  try {
    // One access for the poll and the fetch: the credentials are opened once a round, and a host key the
    // poll accepted on first use is the one the fetch is checked against.
    const access = await withRepositoryAccess(context, repository, async (access) => {
      const head = await context.git.remoteBranchHead(repository.url, repository.branch, {signal: options.signal, access})
      polled = true
      options.onPolled?.({success: head !== null, seconds: (performance.now() - polling) / 1000, head})
      const found = afterPoll(context, target, head, options)
      if ('kind' in found) return found
      return {fetched: await fetchHead(context, repository, options.signal, {access, recordedHead: head ?? undefined}), lastGood: found.lastGood}
    })
    step = access.value
    repository = access.repository
  } catch (error) {
    if (polled) throw error
    options.onPolled?.({success: false, seconds: (performance.now() - polling) / 1000, head: null})
    store.recordRepositoryError(repository.id, error)
    return {kind: 'unreachable', error: asKedgeError(error, 'git_failed')}
  }
  if ('kind' in step) return step

  const {fetched: commit, lastGood} = step
  target = {repository, stack}
  const checkout = readCheckout(context.files, stackPaths(context, repository.name).repoDir, stack, commit)
  const config = 'file' in checkout ? checkout.file.config : null
  options.onCheckoutConfig?.(commit, config)
  // An invalid kedge.yaml is left to the deploy, which records why it fails.
  const mode = config?.mode ?? 'auto'
  if (mode === 'auto') return deployWhenEngineAnswers(context, target, commit, options, {lastGood, checkout})
  return recordPendingChanges(context, target, commit, mode, {lastGood, checkout}, options.signal)
}

/** What the branch head the poll found calls for: a result that ends the round, or the fetch (with the last good deployment, read once). */
function afterPoll(context: KedgeContext, target: StackTarget, head: string | null, options: ReconcileOptions): ReconcileResult | {lastGood: DeploymentRow | null} {
  const {store} = context
  const {repository, stack} = target
  if (head === null) {
    const error = new ExternalError(`branch "${repository.branch}" no longer exists on ${repository.url}`, {code: 'unknown_branch'})
    store.recordRepositoryError(repository.id, error)
    return {kind: 'no-branch', error}
  }
  // The remote answered: whatever kept it from answering before is over.
  store.updateRepository(repository.id, {remoteHead: head, remoteCheckedAt: context.clock.now(), ...(repository.lastError ? {lastError: null, lastErrorAt: null} : {})})

  if (stack.pinnedCommit) {
    // A rollback holds until the branch moves past the head it rolled back from.
    if (head === stack.pinnedAtHead || head === stack.pinnedCommit) {
      store.updateStack(stack.id, {lastError: null, lastErrorAt: null})
      return {kind: 'pinned', commit: stack.pinnedCommit}
    }
    unpin(context, target)
    options.onUnpinned?.(stack.pinnedCommit, head)
  }
  const lastGood = store.lastGoodDeployment(stack.id) ?? null
  if (lastGood?.commit === head) {
    // The stack runs the branch head: whatever went wrong before is over.
    store.updateStack(stack.id, {pendingCommit: null, pendingChanges: null, lastError: null, lastErrorAt: null})
    return {kind: 'up-to-date', commit: head}
  }
  const attempt = store.lastAttemptAt(stack.id, head)
  if (attempt?.status === 'failed' && !attempt.interrupted) return {kind: 'already-failed', commit: head}
  if (stack.pendingCommit === head) return {kind: 'already-pending', commit: head}
  return {lastGood}
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

/** kedge.yaml as the clone has it now, or null when it is missing from the clone or invalid. */
export function readCheckoutConfig(context: KedgeContext, {repository, stack}: StackTarget): KedgeConfig | null {
  const repoDir = stackPaths(context, repository.name).repoDir
  try {
    return context.files.readKedgeConfig(repoDir, path.join(repoDir, stack.path)).config
  } catch {
    return null
  }
}
