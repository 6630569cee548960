import {currentImageIds} from '../../adapters/engine/docker-engine.js'
import {asKedgeError} from '../../model/errors.js'
import {countDeploymentsSince, finishDeployment, listDeployments, startDeployment} from '../../store/deployments.js'
import {recordRepositoryError, updateRepository} from '../../store/repositories.js'
import type {LockRow, RepositoryRow} from '../../store/schema.js'
import type {StackContainer} from '../../model/stack/containers.js'
import type {KedgeContext} from '../context.js'
import {applyStack, imagesOf, LEFT_AS_FAILED, listOwnedContainers, type DeployOutcome} from '../deploying/deploy.js'
import {stackPaths} from '../repositories/stack-paths.js'
import {failedAttempt} from '../deploying/host-failure.js'
import {releaseTree} from '../rollback/releases.js'
import {deployedSnapshot} from '../deploying/desired-stack.js'
import {snapshotConfig} from '../../model/stack/snapshot-config.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import {detectDrift, type Drift} from '../../model/stack/drift.js'
import {tryWithRepositoryLock} from '../deploying/lock.js'

export interface DriftReport {
  snapshot: StackSnapshot
  drift: Drift[]
  actual: StackContainer[]
  /** Whether the drift differs from what the previous check recorded. */
  changed: boolean
}

/** Compares the deployed commit with what the engine runs, and records the result; null when nothing is deployed. */
export async function inspectDrift(context: KedgeContext, repository: RepositoryRow): Promise<DriftReport | null> {
  const snapshot = deployedSnapshot(context, repository)
  if (!snapshot) return null
  const actual = await listOwnedContainers(repository.name, snapshot.project, {deployedHere: true, services: snapshot.services})
  const drift = detectDrift(snapshot.services, actual, await currentImageIds(imagesOf(snapshot)))
  const recorded = JSON.stringify(drift.map(({containerId: _, ...entry}) => entry))
  const changed = recorded !== (repository.drift ?? '[]')
  updateRepository(context.db, repository.id, {drift: recorded, driftCheckedAt: new Date()})
  repository.drift = recorded
  return {snapshot, drift, actual, changed}
}

export type HealResult =
  | {kind: 'nothing-deployed'}
  | {kind: 'busy'; holder: LockRow}
  | {kind: 'in-sync'; changed: boolean}
  | {kind: 'recorded'; mode: 'notify' | 'manual'; drift: Drift[]; changed: boolean}
  | {kind: 'flapping'; drift: Drift[]; changed: boolean; maxHeals: number; windowMs: number}
  | {kind: 'held'; drift: Drift[]; changed: boolean; reason: string}
  | {kind: 'healed'; drift: Drift[]; outcome: DeployOutcome}

/**
 * Checks a repository for drift and acts by its mode: `auto` re-applies the deployed commit (kedge
 * first removes the drifted containers Compose would not replace itself), `notify` and `manual` only
 * record it. Each heal is a deployment with trigger `drift`; past `max_heals` heals in `heal_window`
 * (kedge.yaml; 5 in 5 minutes by default) kedge stops healing until the window has room again.
 */
export async function healDrift(context: KedgeContext, repository: RepositoryRow, options: {signal?: AbortSignal} = {}): Promise<HealResult> {
  const result = await tryWithRepositoryLock(context, repository, 'kedge serve (drift)', () => healLocked(context, repository, options.signal))
  return 'busy' in result ? {kind: 'busy', holder: result.busy} : result
}

async function healLocked(context: KedgeContext, repository: RepositoryRow, signal?: AbortSignal): Promise<HealResult> {
  const report = await inspectDrift(context, repository)
  if (!report) return {kind: 'nothing-deployed'}
  const {snapshot, drift, actual, changed} = report
  const config = snapshotConfig(snapshot)
  const actionable = drift.filter((entry) => entry.type !== 'extra' || config.prune)
  if (actionable.length === 0) return {kind: 'in-sync', changed}
  if (config.mode !== 'auto') return {kind: 'recorded', mode: config.mode, drift, changed}
  const newest = listDeployments(context.db, repository.id, 1)[0]
  if (newest?.status === 'failed' && newest.note === LEFT_AS_FAILED) {
    return {kind: 'held', drift, changed, reason: `${newest.commit.slice(0, 7)} failed and rollback_on_failure is off`}
  }
  if (countDeploymentsSince(context.db, repository.id, 'drift', new Date(Date.now() - config.healWindowMs)) >= config.maxHeals) {
    return {kind: 'flapping', drift, changed, maxHeals: config.maxHeals, windowMs: config.healWindowMs}
  }

  const deployment = startDeployment(context.db, {repositoryId: repository.id, commit: snapshot.commit, trigger: 'drift'})
  const note = `healed: ${describeDrift(actionable)}`
  try {
    // After a rollback restored from a release or the database, the commit may not be in the clone.
    const {tree} = await releaseTree(context, repository.name, snapshot)
    await applyStack(stackPaths(context, repository.name), repository.name, snapshot, actual, {drift, prune: config.prune, signal, tree})
    const finished = finishDeployment(context.db, deployment.id, {status: 'success', note, snapshot: JSON.stringify(snapshot), project: snapshot.project})
    await inspectDrift(context, repository)
    return {kind: 'healed', drift, outcome: {deployment: finished, changes: [], error: null}}
  } catch (caught) {
    const error = asKedgeError(caught, 'heal_failed')
    const finished = finishDeployment(context.db, deployment.id, {
      status: 'failed',
      error: error.message,
      snapshot: JSON.stringify(snapshot),
      project: snapshot.project,
      ...(await failedAttempt(error, note, signal)),
    })
    recordRepositoryError(context.db, repository.id, error)
    return {kind: 'healed', drift, outcome: {deployment: finished, changes: [], error}}
  }
}

export function describeDrift(drift: readonly Drift[]): string {
  return drift.map((entry) => `${entry.service} ${entry.type}`).join(', ')
}
