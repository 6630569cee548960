import {defaultKedgeConfig, type KedgeConfig} from '../../model/config/kedge-config.js'
import {asKedgeError, errorMessage, ExternalError} from '../../model/errors.js'
import type {DeploymentTrigger} from '../../model/repository/column-values.js'
import type {DeploymentRow, StackTarget} from '../../model/rows.js'
import {driftBaseline, driftToRepair} from '../../model/stack/drift.js'
import {planChanges, type ServiceChange} from '../../model/stack/plan.js'
import {keepRunningLabels} from '../../model/stack/running-labels.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import {parseSnapshot} from '../../model/stack/stored-snapshot.js'
import type {KedgeContext} from '../context.js'
import {stackPathsOf} from '../repositories/stack-paths.js'
import {keepRelease} from '../rollback/releases.js'
import {rollbackTo} from '../rollback/rollback.js'
import {changedFilesOf, changedServices, sourceOf, type DeployReason} from '../../model/repository/deploy-reason.js'
import type {HookRecord} from '../../model/repository/hook-record.js'
import {applyStack} from './apply-stack.js'
import {preHookFailure, runHook, type HookFacts} from './hooks.js'
import {changedFilesSince} from './stack-changes.js'
import {readStackCheckout} from '../stacks/checkout-stacks.js'
import {stackLabel} from '../stacks/stacks.js'
import {changesLine, WAITING_FOR_SERVICES} from '../../model/stack/changes-line.js'
import {runAttempt, type AttemptFailed, type DeployOutcome} from './attempt.js'
import {readDesiredStack, type CheckoutRead} from './desired-stack.js'
import {waitForServices} from './health-gate.js'
import {failedForTheHost, HOST_FAILED_NOTE} from './host-failure.js'
import {ensureImages, imagesOf, imagesOfServices} from './images.js'
import {buildMissingImages} from './build-images.js'
import {pruneBuiltImages} from '../rollback/built-images.js'
import {listOwnedContainers, removeOtherProject} from './owned-containers.js'
import {onStackEngine} from '../engines/stack-engine.js'
import {prepareSwarmStack} from '../swarm/apply-swarm-stack.js'
import {swarmChanges} from '../swarm/swarm-changes.js'
import {pruneUnusedSwarmObjects} from '../swarm/prune-swarm-objects.js'
import {waitForSwarmServices, withRecordedServices} from '../swarm/swarm-health-gate.js'
import {isSwarmSnapshot} from '../swarm/swarm-stack.js'

export type {DeployOutcome} from './attempt.js'

/** What the caller read already this round, so that the deploy does not read it again. */
export interface AlreadyRead {
  /** How a new commit of the branch was found (a `git` deploy's reason): by a poll, or because a push webhook asked. */
  found?: 'poll' | 'webhook'
  /** The last good deployment; null when there is none. */
  lastGood?: DeploymentRow | null
  /** The checkout's stack directory and kedge.yaml (see readCheckout). */
  checkout?: CheckoutRead
}

/**
 * The note on a deploy that failed after changing the host and was not rolled back because
 * `rollback_on_failure` is off; the row's `leftFailed` says so to drift healing, which must not roll it back either.
 */
const LEFT_AS_FAILED = 'left as it failed: rollback_on_failure is off'

/**
 * Applies the commit checked out in the clone. Nothing on the host changes until the commit has been
 * validated by Compose and its images are present: a broken commit fails here and the running stack
 * keeps running. Every attempt is recorded, with Compose's own error text when it fails. While the
 * Docker engine does not answer nothing is attempted (engine_unavailable is thrown); an attempt the
 * host cut short (see failedForTheHost) is no fault of the commit: it is recorded as interrupted and retried.
 */
export async function applyCheckedOutCommit(
  context: KedgeContext,
  target: StackTarget,
  commit: string,
  trigger: DeploymentTrigger,
  signal?: AbortSignal,
  known: AlreadyRead = {},
): Promise<DeployOutcome> {
  context = await onStackEngine(context, target)
  await context.engine.ping()
  const {repository, stack} = target
  const previous = known.lastGood !== undefined ? (known.lastGood ?? undefined) : context.store.lastGoodDeployment(stack.id)
  const previousSnapshot = parseSnapshot(previous?.snapshot ?? null)
  const paths = stackPathsOf(context, target)
  // How far the work got: what the failure's record and the release after a success are made from.
  const progress: {
    snapshot: StackSnapshot | null
    /** The stack's kedge.yaml as the checkout has it: read before Compose validates the commit, so that a failure hook is found by it too. */
    config: KedgeConfig | null
    changes: ServiceChange[]
    touchedHost: boolean
    reason: DeployReason
    hooks: HookRecord[]
  } = {
    snapshot: null,
    config: null,
    changes: [],
    touchedHost: false,
    reason: {source: sourceOf(trigger, known.found)},
    hooks: [],
  }
  const say = (what: string) => context.progress.step(`${stackLabel(target)}: ${what}`)
  const hookFacts = (status: string, error: string | null): HookFacts => ({commit, previousCommit: previous?.commit ?? null, trigger: progress.reason.source, status, error})

  const work = async () => {
    // First: a commit that fails to be read still says which of its files changed.
    Object.assign(progress.reason, changedFilesOf(previousSnapshot ? await changedFilesSince(context, target, previousSnapshot, commit, signal) : null))
    const checkout = known.checkout ?? readStackCheckout(context, target, commit)
    // Known before Compose reads the commit (readDesiredStack's config is this one): should it refuse the commit, the failure hook is found by it.
    if ('file' in checkout) progress.config = checkout.file.config
    say(`validating ${commit.slice(0, 7)}: kedge.yaml and the compose files`)
    const desired = await readDesiredStack(context, paths, target, commit, previousSnapshot, signal, {checkout})
    const {config} = desired
    // Before anything on the host changes (not even a pull): a pre hook that fails leaves the running stack as it is.
    const pre = await runHook(context, target, 'pre', {repoDir: paths.repoDir, config}, hookFacts('pending', null), signal)
    if (pre) {
      progress.hooks.push(pre)
      const stopped = preHookFailure(pre)
      if (stopped) throw stopped
    }
    if (isSwarmSnapshot(desired.snapshot)) return deploySwarm(desired.snapshot, config)
    const actual = await listOwnedContainers(context, repository.name, desired.snapshot.project, {
      deployedHere: previousSnapshot?.project === desired.snapshot.project,
      services: desired.snapshot.services,
    })
    const applied: StackSnapshot = {...desired.snapshot, services: keepRunningLabels(desired.snapshot.services, actual)}
    progress.snapshot = applied
    progress.changes = planChanges(applied.services, actual, previousSnapshot?.services)
    progress.reason.services = changedServices(progress.changes)
    // Drift of what runs now is repaired on the way, measured against the commit that runs (see driftToRepair).
    const baseline = driftBaseline(previousSnapshot?.services ?? [], applied.services, actual)
    // One look at the images for all three; a build or a pull changes what the references name, so then they are looked at again.
    const present = await context.engine.currentImageIds([...new Set([...imagesOf(applied), ...imagesOfServices(baseline)])])
    // Built from the clone, where the commit is checked out: a build that fails leaves the host as it was.
    const built = await buildMissingImages(context, paths, repository.name, applied, {from: {clone: true}, signal, present, say})
    const pulled = await ensureImages(context, applied, paths, signal, present, say)
    const drift = driftToRepair(baseline, applied.services, actual, built || pulled ? await context.engine.currentImageIds(imagesOfServices(baseline)) : present)
    signal?.throwIfAborted()
    progress.touchedHost = true
    say(changesLine(progress.changes))
    await applyStack(context, paths, repository, applied, actual, {drift, prune: config.prune, signal})
    // Every service, not only the changed ones: a deploy succeeds only when the whole stack is up.
    say(WAITING_FOR_SERVICES)
    await waitForServices(context, repository.name, applied.project, applied.services, config.healthTimeoutMs, signal)
    if (previousSnapshot) await removeOtherProject(context, repository.name, previousSnapshot.project, applied.project)
    return {
      outcome: {status: 'success' as const, snapshot: JSON.stringify(applied), project: applied.project, ...recordOf(progress)},
      // The drift recorded was measured against what ran before: it says nothing of this deployment until the next check.
      stackChanges: {lastError: null, lastErrorAt: null, pendingCommit: null, pendingChanges: null, drift: null, driftCheckedAt: null},
    }
  }

  /** A swarm stack: planned against Swarm's services, applied with `docker stack deploy`, gated on Swarm's updates and tasks. */
  const deploySwarm = async (snapshot: StackSnapshot, config: KedgeConfig) => {
    const state = await context.engine.swarmState(snapshot.project)
    progress.snapshot = snapshot
    progress.changes = swarmChanges(snapshot, state, previousSnapshot ?? null)
    progress.reason.services = changedServices(progress.changes)
    const prepared = await prepareSwarmStack(context, paths, repository.name, snapshot, {prune: config.prune, signal, say, state})
    signal?.throwIfAborted()
    progress.touchedHost = true
    say(changesLine(progress.changes))
    await prepared.deploy()
    say(WAITING_FOR_SERVICES)
    const applied = withRecordedServices(snapshot, await waitForSwarmServices(context, snapshot, config.healthTimeoutMs, state, signal))
    progress.snapshot = applied
    await pruneUnusedSwarmObjects(context, repository.name, applied)
    return {
      outcome: {status: 'success' as const, snapshot: JSON.stringify(applied), project: applied.project, ...recordOf(progress)},
      stackChanges: {lastError: null, lastErrorAt: null, pendingCommit: null, pendingChanges: null, drift: null, driftCheckedAt: null},
    }
  }

  const failed = async (caught: unknown, engineLossesBefore: number): Promise<AttemptFailed> => {
    const interrupted = signal?.aborted === true
    const error = interrupted
      ? new ExternalError('interrupted: kedge stopped before the deployment finished', {code: 'interrupted'})
      : (context.store.storageFault(caught) ?? asKedgeError(caught, 'deploy_failed'))
    let hostFailed = !interrupted && (await failedForTheHost(context, error, engineLossesBefore))
    let note: string | null = null
    let leftFailed = false
    if (progress.touchedHost && !interrupted && !hostFailed && previous !== undefined) {
      if (progress.config?.rollbackOnFailure === true) {
        say(`${commit.slice(0, 7)} failed (${error.message.split('\n')[0]}): rolling back to ${previous.commit.slice(0, 7)}`)
        const rollback = await rollbackTo(context, target, previous, {
          trigger: 'auto_rollback',
          replacedCommit: commit,
          pinnedAtHead: commit,
          reason: `automatic: ${commit.slice(0, 7)} failed: ${error.message.split('\n')[0]}`,
          signal,
        })
        // The rollback's own record says whether the host cut it short (the engine went away while it
        // ran): then the commit's failure was the host's doing too.
        hostFailed = rollback.deployment.interrupted && !signal?.aborted
        note = rollback.error
          ? `the automatic rollback to ${previous.commit.slice(0, 7)} failed: ${rollback.error.message}`
          : `rolled back automatically to ${previous.commit.slice(0, 7)}`
      } else {
        note = LEFT_AS_FAILED
        leftFailed = true
      }
    }
    if (hostFailed) note = HOST_FAILED_NOTE
    const {snapshot} = progress
    return {
      error,
      outcome: {note, snapshot: snapshot ? JSON.stringify(snapshot) : null, project: snapshot?.project ?? null, interrupted: interrupted || hostFailed, leftFailed, ...recordOf(progress)},
    }
  }

  const attempt = await runAttempt(context, target, {commit, trigger, previousCommit: previous?.commit ?? null}, {work, failed})
  const {snapshot, config, changes} = progress
  if (!attempt.error && snapshot && config) {
    await keepRelease(context, paths, commit, config.keepReleases, snapshot.placedPaths).catch(() => undefined)
    await pruneAfterDeploy(context, target, snapshot.project, config.keepReleases, say)
  }
  // Once the outcome is recorded; what they do is recorded on the row and changes nothing else. A deploy kedge stopped runs neither.
  if (!attempt.deployment.interrupted) {
    // A commit whose kedge.yaml could not be read has its failure hook looked for where the defaults say.
    const settings = config ?? {...defaultKedgeConfig(), file: null}
    const name = attempt.error ? 'failure' : 'success'
    const after = await runHook(context, target, name, {repoDir: paths.repoDir, config: settings}, hookFacts(attempt.deployment.status, attempt.deployment.error), signal)
    if (after) return {...attempt, deployment: recordAfterHook(context, attempt.deployment, [...progress.hooks, after]), changes}
  }
  return {...attempt, changes}
}

/**
 * The images kedge built that the kept releases no longer use go (see pruneBuiltImages). The deploy
 * succeeded whatever becomes of them: a prune that fails is said, and recorded on the stack, and the
 * next successful deploy tries again.
 */
async function pruneAfterDeploy(context: KedgeContext, target: StackTarget, project: string, keep: number, say: (what: string) => void): Promise<void> {
  try {
    const removed = await pruneBuiltImages(context, target, project, keep)
    if (removed.length > 0) say(`removed ${removed.length} image${removed.length === 1 ? '' : 's'} kedge built that no kept release uses`)
  } catch (error) {
    say(`could not remove the images kedge built that no kept release uses: ${errorMessage(error)}`)
    try {
      context.store.recordStackError(target.stack.id, error)
    } catch {
      // The store refuses every write (a full disk, say): the rounds that follow report it, in status and the log.
    }
  }
}

/**
 * The after hook's record joins the row (and the row the deploy returns); a store that fails to take it
 * leaves the deploy's outcome as recorded, and says so on the stack.
 */
function recordAfterHook(context: KedgeContext, deployment: DeploymentRow, hooks: HookRecord[]): DeploymentRow {
  try {
    context.store.recordDeploymentHooks(deployment.id, JSON.stringify(hooks))
    return {...deployment, hooks: JSON.stringify(hooks)}
  } catch (error) {
    try {
      context.store.recordStackError(deployment.stackId, error)
    } catch {
      // The store refuses every write (a full disk, say): the rounds that follow report it, in status and the log.
    }
    return deployment
  }
}

/** The reason and the hooks' records, as the deployment's row keeps them. */
function recordOf(progress: {reason: DeployReason; hooks: readonly HookRecord[]}): {reason: string; hooks: string | null} {
  return {reason: JSON.stringify(progress.reason), hooks: progress.hooks.length === 0 ? null : JSON.stringify(progress.hooks)}
}
