import {asKedgeError, ExternalError, InvalidInputError, NotFoundError, quoted} from '../../model/errors.js'
import {isoTimeOrNull} from '../../model/repository/row-checks.js'
import type {DeploymentRow, StackTarget} from '../../model/rows.js'
import {keepRunningLabels} from '../../model/stack/running-labels.js'
import {snapshotConfig} from '../../model/stack/snapshot-config.js'
import type {DeployReason} from '../../model/repository/deploy-reason.js'
import {parseSnapshot} from '../../model/stack/stored-snapshot.js'
import type {KedgeContext} from '../context.js'
import {applyStack} from '../deploying/apply-stack.js'
import {buildMissingImages} from '../deploying/build-images.js'
import {runAttempt, type DeployOutcome} from '../deploying/attempt.js'
import {waitForServices} from '../deploying/health-gate.js'
import {failedAttempt} from '../deploying/host-failure.js'
import {withRepositoryLock} from '../deploying/lock.js'
import {listOwnedContainers, removeOtherProject} from '../deploying/owned-containers.js'
import {stackPathsOf} from '../repositories/stack-paths.js'
import {requireOneStack, stackLabel} from '../stacks/stacks.js'
import {planChanges} from '../../model/stack/plan.js'
import {changesLine, WAITING_FOR_SERVICES} from '../../model/stack/changes-line.js'
import {releaseTree} from './releases.js'
import {refuseHeld} from '../stacks/holds.js'
import {onStackEngine} from '../engines/stack-engine.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import {applySwarmStack} from '../swarm/apply-swarm-stack.js'
import {swarmChanges} from '../swarm/swarm-changes.js'
import {pruneUnusedSwarmObjects} from '../swarm/prune-swarm-objects.js'
import {waitForSwarmServices, withRecordedServices} from '../swarm/swarm-health-gate.js'
import {isSwarmSnapshot} from '../swarm/swarm-stack.js'

const ROLLBACK_LOCK_WAIT_MS = 10 * 60_000

/**
 * `kedge rollback`: applies an earlier successful deployment again, from what kedge kept (its release
 * directory, else the clone, else the database snapshot), never from the remote, and pins the
 * repository to it until a new commit arrives or `kedge sync` is run.
 */
export async function rollbackRepository(context: KedgeContext, address: string, commitPrefix: string, options: {signal?: AbortSignal} = {}): Promise<DeployOutcome> {
  const {repository, stack} = requireOneStack(context, address)
  refuseHeld(context, address, 'roll back')
  const target = findTarget(context, {repository, stack}, commitPrefix)
  return withRepositoryLock(context, repository, {purpose: 'kedge rollback', waitMs: ROLLBACK_LOCK_WAIT_MS, signal: options.signal}, async () => {
    // Asked again under the lock: a `kedge down` that held it while this waited has the last word.
    refuseHeld(context, address, 'roll back')
    const stackTarget = requireOneStack(context, address)
    const current = context.store.lastGoodDeployment(stack.id)
    const outcome = await rollbackTo(context, stackTarget, target, {
      trigger: 'rollback',
      replacedCommit: current?.commit ?? null,
      pinnedAtHead: context.store.findRepository(repository.name)?.remoteHead ?? current?.commit ?? null,
      reason: `rolled back by hand from ${current ? current.commit.slice(0, 7) : 'nothing'}`,
      signal: options.signal,
    })
    if (outcome.error) throw outcome.error
    return outcome
  })
}

/**
 * Rolls back to `target`, holding the repository's lock already; records the row and sets the pin. A
 * deploy whose commit failed calls it for its automatic rollback.
 */
export async function rollbackTo(
  context: KedgeContext,
  stackTarget: StackTarget,
  target: DeploymentRow,
  options: {
    trigger: 'rollback' | 'auto_rollback'
    replacedCommit: string | null
    /** The branch head rolled back from: the pin holds until the branch has another head. */
    pinnedAtHead: string | null
    reason: string
    signal?: AbortSignal
  },
): Promise<DeployOutcome> {
  context = await onStackEngine(context, stackTarget)
  const snapshot = parseSnapshot(target.snapshot, target.id)
  if (!snapshot) throw new ExternalError(`the deployment of ${target.commit.slice(0, 7)} kept no snapshot to roll back to`, {code: 'no_snapshot'})
  const {repository, stack} = stackTarget
  const reason = JSON.stringify({source: options.trigger, detail: options.reason} satisfies DeployReason)
  const attempt = await runAttempt(context, stackTarget, {commit: target.commit, trigger: options.trigger, previousCommit: options.replacedCommit}, {
    work: async () => {
      const say = (what: string) => context.progress.step(`${stackLabel(stackTarget)}: ${what}`)
      say(`restoring ${target.commit.slice(0, 7)} from what kedge kept of it`)
      const paths = stackPathsOf(context, stackTarget)
      const {tree, source} = await releaseTree(context, paths, snapshot)
      const config = snapshotConfig(snapshot)
      const running = context.store.lastGoodDeployment(stack.id)
      const runningSnapshot = parseSnapshot(running?.snapshot ?? null, running?.id ?? null)
      let restored: StackSnapshot
      if (isSwarmSnapshot(snapshot)) {
        const before = await context.engine.swarmState(snapshot.project)
        say(changesLine(swarmChanges(snapshot, before, runningSnapshot)))
        await applySwarmStack(context, paths, repository.name, snapshot, {prune: config.prune, signal: options.signal, tree, say, state: before})
        say(WAITING_FOR_SERVICES)
        restored = withRecordedServices(snapshot, await waitForSwarmServices(context, snapshot, config.healthTimeoutMs, before, options.signal))
        await pruneUnusedSwarmObjects(context, repository.name, restored)
      } else {
        // Only the project that runs now is one kedge deployed: one it left long ago may be someone else's.
        const deployedHere = runningSnapshot?.project === snapshot.project
        const actual = await listOwnedContainers(context, repository.name, snapshot.project, {deployedHere, services: snapshot.services})
        restored = {...snapshot, services: keepRunningLabels(snapshot.services, actual)}
        // Its tags name the images it ran; one pruned or removed since is built again from the commit's tree, before the host changes.
        await buildMissingImages(context, paths, repository.name, restored, {from: {tree}, signal: options.signal, say})
        say(changesLine(planChanges(restored.services, actual, runningSnapshot?.services)))
        await applyStack(context, paths, repository, restored, actual, {drift: [], prune: config.prune, signal: options.signal, tree})
        // Through the same gate as a deploy: a rollback that does not come up is recorded as failed.
        say(WAITING_FOR_SERVICES)
        await waitForServices(context, repository.name, snapshot.project, restored.services, config.healthTimeoutMs, options.signal)
        if (runningSnapshot) await removeOtherProject(context, repository.name, runningSnapshot.project, snapshot.project)
      }
      return {
        outcome: {
          status: 'rolled_back' as const,
          note: `${options.reason} (restored from the ${source})`,
          replacedCommit: options.replacedCommit,
          snapshot: JSON.stringify(restored),
          project: snapshot.project,
          reason,
        },
        stackChanges: {
          pinnedCommit: target.commit,
          pinReason: options.reason,
          pinnedAtHead: options.pinnedAtHead,
          pendingCommit: null,
          pendingChanges: null,
          // As after a deploy: the drift recorded was of what ran before.
          drift: null,
          driftCheckedAt: null,
        },
      }
    },
    failed: async (caught, engineLossesBefore) => {
      const error = asKedgeError(caught, 'rollback_failed')
      return {
        error,
        outcome: {
          replacedCommit: options.replacedCommit,
          snapshot: JSON.stringify(snapshot),
          project: snapshot.project,
          reason,
          ...(await failedAttempt(context, error, options.reason, engineLossesBefore, options.signal)),
        },
      }
    },
  })
  return {...attempt, changes: []}
}

/** The successful deployment whose commit starts with the prefix; refuses an unknown or ambiguous one, naming candidates. */
function findTarget(context: KedgeContext, stackTarget: StackTarget, prefix: string): DeploymentRow {
  const wanted = prefix.trim().toLowerCase()
  if (!/^[0-9a-f]{4,64}$/.test(wanted)) {
    throw new InvalidInputError(`invalid commit ${quoted(prefix)}: expected at least 4 hexadecimal digits of a commit`, {code: 'invalid_commit'})
  }
  const good = context.store.listGoodDeployments(stackTarget.stack.id)
  const shown = stackLabel(stackTarget)
  const byCommit = new Map<string, DeploymentRow>()
  for (const deployment of good) if (deployment.commit.startsWith(wanted) && !byCommit.has(deployment.commit)) byCommit.set(deployment.commit, deployment)
  const candidates = (list: DeploymentRow[]) =>
    [...new Set(list.map((deployment) => deployment.commit))]
      .map((commit) => list.find((deployment) => deployment.commit === commit)!)
      .slice(0, 10)
      .map((deployment) => `${deployment.commit.slice(0, 12)} (${isoTimeOrNull(deployment.startedAt) ?? 'unknown time'})`)
      .join(', ')
  if (byCommit.size === 0) {
    throw new NotFoundError(`no successful deployment of ${shown} has a commit starting with "${wanted}"`, {
      hint: good.length > 0 ? `successful deployments: ${candidates(good)}` : `${shown} has no successful deployment to roll back to`,
    })
  }
  if (byCommit.size > 1) {
    throw new InvalidInputError(`commit "${wanted}" is ambiguous: ${candidates([...byCommit.values()])}`, {
      code: 'ambiguous_commit',
      hint: 'give more digits of the commit',
    })
  }
  return [...byCommit.values()][0]!
}
