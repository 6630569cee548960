import {asKedgeError} from '../../model/errors.js'
import {holdOf, type HoldView} from '../../model/stack/stack-hold.js'
import type {KedgeConfig} from '../../model/config/kedge-config.js'
import type {DeploymentRow, LockRow, StackTarget} from '../../model/rows.js'
import type {StackContainer} from '../../model/stack/containers.js'
import {detectDrift, type Drift} from '../../model/stack/drift.js'
import {healedDrift, type DeployReason} from '../../model/repository/deploy-reason.js'
import {snapshotConfig} from '../../model/stack/snapshot-config.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import {parseSnapshot} from '../../model/stack/stored-snapshot.js'
import type {KedgeContext} from '../context.js'
import {applyStack} from '../deploying/apply-stack.js'
import {buildMissingImages} from '../deploying/build-images.js'
import {runAttempt, type DeployOutcome} from '../deploying/attempt.js'
import {failedAttempt} from '../deploying/host-failure.js'
import {imagesOf} from '../deploying/images.js'
import {tryWithRepositoryLock} from '../deploying/lock.js'
import {listOwnedContainers} from '../deploying/owned-containers.js'
import {stackPathsOf} from '../repositories/stack-paths.js'
import {releaseTree} from '../rollback/releases.js'
import {stackLabel} from '../stacks/stacks.js'
import {onStackEngine} from '../engines/stack-engine.js'
import {applySwarmStack} from '../swarm/apply-swarm-stack.js'
import {waitForSwarmServices, withRecordedServices} from '../swarm/swarm-health-gate.js'
import {swarmDrift} from '../swarm/swarm-drift-check.js'
import {isSwarmSnapshot} from '../swarm/swarm-stack.js'

export interface DriftReport {
  snapshot: StackSnapshot
  drift: Drift[]
  actual: StackContainer[]
  /** Whether the drift differs from what the previous check recorded. */
  changed: boolean
  /** The drift as recorded on the stack's row (JSON, without container ids). */
  recorded: string
}

/**
 * Compares the deployed commit with what the engine runs, and records the result; null when nothing is
 * deployed. `previous` is the drift recorded before (the stack's row as read, by default).
 */
export async function inspectDrift(
  context: KedgeContext,
  target: StackTarget,
  previous: string | null = target.stack.drift,
  known: DeployedKnown = {},
): Promise<DriftReport | null> {
  const {repository, stack} = target
  const deployed = deployedOf(context, target, known)
  if (!deployed) return null
  context = await onStackEngine(context, target)
  const {snapshot} = deployed
  const swarm = isSwarmSnapshot(snapshot)
  const actual = swarm ? [] : await listOwnedContainers(context, repository.name, snapshot.project, {deployedHere: true, services: snapshot.services})
  const drift = swarm ? await swarmDrift(context, stack.id, snapshot) : detectDrift(snapshot.services, actual, await context.engine.currentImageIds(imagesOf(snapshot)))
  const recorded = JSON.stringify(drift.map(({containerId: _, ...entry}) => entry))
  const changed = recorded !== (previous ?? '[]')
  context.store.recordDriftCheck(stack.id, recorded, context.clock.now())
  return {snapshot, drift, actual, changed, recorded}
}

/** The deployed snapshot and its kedge.yaml, parsed once per deployment: a caller that checks again and again (serve) keeps it between checks. */
export interface ParsedDeployment {
  deploymentId: number
  snapshot: StackSnapshot
  config: KedgeConfig
}

export interface DeployedKnown {
  /** The last good deployment, when the caller read it already this round; null when there is none. */
  lastGood?: DeploymentRow | null
  /** Where the parsed deployment is kept between checks; a check of another deployment replaces it. */
  parsed?: {current: ParsedDeployment | null}
}

export interface HealOptions extends DeployedKnown {
  signal?: AbortSignal
  /**
   * Someone asked for this heal (the API's, the dashboard's Heal): it heals in every mode, and past the
   * flap guard, which is there to stop kedge's own heals from looping, not a person's.
   */
  byOperator?: boolean
}

function deployedOf(context: KedgeContext, {stack}: StackTarget, known: DeployedKnown): ParsedDeployment | null {
  const row = known.lastGood !== undefined ? known.lastGood : (context.store.lastGoodDeployment(stack.id) ?? null)
  const kept = known.parsed?.current
  if (row && kept?.deploymentId === row.id) return kept
  const snapshot = parseSnapshot(row?.snapshot ?? null)
  if (!row || !snapshot) return null
  const parsed = {deploymentId: row.id, snapshot, config: snapshotConfig(snapshot)}
  if (known.parsed) known.parsed.current = parsed
  return parsed
}

export type HealResult =
  | {kind: 'nothing-deployed'}
  | {kind: 'busy'; holder: LockRow}
  | {kind: 'in-sync'; changed: boolean}
  | {kind: 'recorded'; mode: 'notify' | 'manual'; drift: Drift[]; changed: boolean}
  | {kind: 'flapping'; drift: Drift[]; changed: boolean; maxHeals: number; windowMs: number}
  | {kind: 'held'; drift: Drift[]; changed: boolean; reason: string}
  | {kind: 'healed'; drift: Drift[]; outcome: DeployOutcome}
  /** Held by `kedge down` or `kedge suspend`: not checked, not healed; a stack taken down has no containers, and that is no drift. */
  | {kind: 'stack-held'; hold: HoldView}

/**
 * Checks a repository for drift and acts by its mode: `auto` re-applies the deployed commit (kedge
 * first removes the drifted containers Compose would not replace itself), `notify` and `manual` only
 * record it. Each heal is a deployment with trigger `drift`; past `max_heals` heals in `heal_window`
 * (kedge.yaml; 5 in 5 minutes by default) kedge stops healing until the window has room again.
 */
export async function healDrift(context: KedgeContext, target: StackTarget, options: HealOptions = {}): Promise<HealResult> {
  const result = await tryWithRepositoryLock(context, target.repository, 'kedge serve (drift)', () => healLocked(context, target, options))
  return 'busy' in result ? {kind: 'busy', holder: result.busy} : result
}

/** As healDrift, for a caller that holds the repository's lock already (see runRound). */
export async function healLocked(context: KedgeContext, target: StackTarget, options: HealOptions = {}): Promise<HealResult> {
  const {signal} = options
  const {repository, stack} = target
  const hold = holdOf(stack)
  if (hold) return {kind: 'stack-held', hold}
  context = await onStackEngine(context, target)
  // Read and parsed once: the checks below and the heal's own check after it are of the same deployment.
  const lastGood = options.lastGood !== undefined ? options.lastGood : (context.store.lastGoodDeployment(stack.id) ?? null)
  const known = {lastGood, parsed: options.parsed ?? {current: null}}
  const deployed = deployedOf(context, target, known)
  const report = await inspectDrift(context, target, stack.drift, known)
  if (!report || !deployed) return {kind: 'nothing-deployed'}
  const {snapshot, drift, actual, changed} = report
  const {config} = deployed
  // In a swarm stack, Swarm's own business (a shortfall it is rescheduling) and the services that are not
  // kedge's are told, never acted on: a redeploy would not change them.
  const leftToSwarm = isSwarmSnapshot(snapshot) ? new Set(['degraded', 'foreign']) : new Set<string>()
  const actionable = drift.filter((entry) => (entry.type !== 'extra' || config.prune) && !leftToSwarm.has(entry.type))
  // Every check is told of in the modes that leave drift to the operator, none found included: the
  // notifier tells of drift it has not told of yet (a `kedge diff` that recorded it first is no matter).
  if (config.mode !== 'auto') context.announcer.announce({kind: 'drift_checked', target, drift: actionable, mode: config.mode})
  // What a heal would not change is told in auto mode too, or nobody would hear of a swarm service Swarm cannot place.
  else if (isSwarmSnapshot(snapshot)) context.announcer.announce({kind: 'drift_checked', target, drift: drift.filter((entry) => leftToSwarm.has(entry.type)), mode: 'auto'})
  if (actionable.length === 0) return {kind: 'in-sync', changed}
  if (config.mode !== 'auto' && !options.byOperator) return {kind: 'recorded', mode: config.mode, drift, changed}
  // A hold's rows (down, suspend, resume) deploy nothing: they neither set nor end a failed deploy's hold.
  const newest = context.store.newestAttempt(stack.id)
  if (newest?.status === 'failed' && newest.leftFailed) {
    return {kind: 'held', drift, changed, reason: `${newest.commit.slice(0, 7)} failed and rollback_on_failure is off`}
  }
  const windowStart = new Date(context.clock.now().getTime() - config.healWindowMs)
  if (!options.byOperator && context.store.countDeploymentsSince(stack.id, 'drift', windowStart) >= config.maxHeals) {
    // At every check while the guard holds: the notifier folds them into one message per window.
    context.announcer.announce({kind: 'heal_stopped', target, drift: actionable, maxHeals: config.maxHeals, windowMs: config.healWindowMs})
    return {kind: 'flapping', drift, changed, maxHeals: config.maxHeals, windowMs: config.healWindowMs}
  }

  const note = `healed: ${describeDrift(actionable)}`
  context.progress.step(`${stackLabel(target)}: healing ${describeDrift(actionable)}`)
  const reason = JSON.stringify({source: 'heal', drift: healedDrift(actionable)} satisfies DeployReason)
  const attempt = await runAttempt(context, target, {commit: snapshot.commit, trigger: 'drift', previousCommit: snapshot.commit}, {
    work: async () => {
      // After a rollback restored from a release or the database, the commit may not be in the clone.
      const paths = stackPathsOf(context, target)
      const {tree} = await releaseTree(context, paths, snapshot)
      let healed = snapshot
      if (isSwarmSnapshot(snapshot)) {
        // Swarm puts each service back to the spec of the commit: the heal is a redeploy of it, gated as a deploy is.
        const before = await context.engine.swarmState(snapshot.project)
        await applySwarmStack(context, paths, repository.name, snapshot, {prune: config.prune, signal, tree, state: before})
        healed = withRecordedServices(snapshot, await waitForSwarmServices(context, snapshot, config.healthTimeoutMs, before, signal))
      } else {
        // A built image that is gone is built again from the commit's tree, never pulled: its tag is in no registry.
        await buildMissingImages(context, paths, repository.name, snapshot, {from: {tree}, signal, say: (what) => context.progress.step(`${stackLabel(target)}: ${what}`)})
        await applyStack(context, paths, repository, snapshot, actual, {drift, prune: config.prune, signal, tree})
      }
      // What the heal left is recorded as the repository's drift; a check that fails fails the heal.
      await inspectDrift(context, target, report.recorded, known)
      return {outcome: {status: 'success' as const, note, snapshot: JSON.stringify(healed), project: snapshot.project, reason}}
    },
    failed: async (caught, engineLossesBefore) => {
      const error = asKedgeError(caught, 'heal_failed')
      return {
        error,
        outcome: {snapshot: JSON.stringify(snapshot), project: snapshot.project, reason, ...(await failedAttempt(context, error, note, engineLossesBefore, signal))},
      }
    },
  })
  return {kind: 'healed', drift, outcome: {...attempt, changes: []}}
}

export function describeDrift(drift: readonly Drift[]): string {
  return drift.map((entry) => `${entry.service} ${entry.type}`).join(', ')
}
