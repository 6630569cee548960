import {and, count, desc, eq, gte, inArray, notInArray} from 'drizzle-orm'

import {HOLD_TRIGGERS} from '../model/repository/column-values.js'

import type {DeploymentOutcome} from '../ports/store.js'
import type {StoreConnection} from './connection.js'
import type {KedgeDatabase} from './database.js'
import {oncePerDatabase} from './once-per-database.js'
import {plainSelect} from './plain-select.js'
import {redactFields} from './redact-fields.js'
import {ROW_COLUMNS} from './row-columns.js'
import {deployments, type DeploymentRow, type DeploymentTrigger} from './schema.js'

export function startDeployment(db: KedgeDatabase, values: {repositoryId: number; stackId: number; commit: string; trigger: DeploymentTrigger; engineId?: number | null}): DeploymentRow {
  return db
    .insert(deployments)
    .values({...values, status: 'pending', startedAt: new Date()})
    .returning()
    .get()
}

/** The outcome as the row keeps it, redacted, `buildOutput` (what a failed build printed) included. */
export function finishDeployment(
  db: KedgeDatabase,
  id: number,
  outcome: DeploymentOutcome,
): DeploymentRow {
  return db
    .update(deployments)
    .set({...redactFields(outcome, {text: ['error', 'note', 'buildOutput'], json: ['reason', 'hooks'], content: ['snapshot']}), finishedAt: new Date()})
    .where(eq(deployments.id, id))
    .returning()
    .get()
}

/** The hooks that run once the outcome is recorded (success, failure) add their records to the row. */
export function recordDeploymentHooks(db: KedgeDatabase, id: number, hooks: string): void {
  db.update(deployments).set(redactFields({hooks}, {json: ['hooks']})).where(eq(deployments.id, id)).run()
}

const deploymentRows = plainSelect<DeploymentRow>(ROW_COLUMNS.deployments)

export function listDeployments(db: StoreConnection, stackId: number, limit: number): DeploymentRow[] {
  return deploymentRows.all(db, 'SELECT * FROM deployments WHERE stack_id = ? ORDER BY id DESC LIMIT ?', stackId, limit)
}

/** A hold's rows (`kedge down`, `suspend`, `resume`) succeed without deploying a commit. */
const NOT_A_HOLD = `trigger NOT IN (${HOLD_TRIGGERS.map((trigger) => `'${trigger}'`).join(', ')})`

/** The newest row that applied (or tried to apply) a commit, or took the stack away: not a hold's row. */
export function newestAttempt(db: StoreConnection, stackId: number): DeploymentRow | undefined {
  return deploymentRows.get(db, `SELECT * FROM deployments WHERE stack_id = ? AND ${NOT_A_HOLD} ORDER BY id DESC LIMIT 1`, stackId)
}

/** The newest deployment that left the stack as its commit wants it. */
export function lastGoodDeployment(db: StoreConnection, stackId: number): DeploymentRow | undefined {
  return deploymentRows.get(db, `SELECT * FROM deployments WHERE stack_id = ? AND status IN ('success', 'rolled_back') AND ${NOT_A_HOLD} ORDER BY id DESC LIMIT 1`, stackId)
}

/** The last good deployment's id and commit, without its snapshot: what serve's quiet round needs of it (bench/stack-scale.ts). */
const lastGoodSummaryOf = /* @__PURE__ */ oncePerDatabase((client: StoreConnection['$client']) =>
  client.prepare<[number], {id: number; commit: string}>(
    `SELECT id, "commit" FROM deployments WHERE stack_id = ? AND status IN ('success', 'rolled_back') AND ${NOT_A_HOLD} ORDER BY id DESC LIMIT 1`,
  ),
)

export function lastGoodSummary(db: StoreConnection, stackId: number): {id: number; commit: string} | undefined {
  return lastGoodSummaryOf(db.$client).get(stackId)
}

/** Whether the repository has a deployment still pending (left by a holder of its lock that died, or under way). */
const pendingOf = /* @__PURE__ */ oncePerDatabase((client: StoreConnection['$client']) =>
  client.prepare<[number], {id: number}>("SELECT id FROM deployments WHERE repository_id = ? AND status = 'pending' LIMIT 1"),
)

export function hasPendingDeployment(db: StoreConnection, repositoryId: number): boolean {
  return pendingOf(db.$client).get(repositoryId) !== undefined
}

/**
 * The newest deployment that may have put containers on the host: the last good one, else the newest
 * failed attempt that got as far as a snapshot (a failed first deploy can leave containers running).
 */
export function lastAppliedDeployment(db: StoreConnection, stackId: number): DeploymentRow | undefined {
  return (
    lastGoodDeployment(db, stackId) ??
    deploymentRows.get(db, "SELECT * FROM deployments WHERE stack_id = ? AND status = 'failed' AND snapshot IS NOT NULL ORDER BY id DESC LIMIT 1", stackId)
  )
}

/** Every deployment that left its commit running (success, rolled_back), newest first. */
export function listGoodDeployments(db: KedgeDatabase, stackId: number): DeploymentRow[] {
  return db
    .select()
    .from(deployments)
    .where(and(eq(deployments.stackId, stackId), inArray(deployments.status, ['success', 'rolled_back']), notInArray(deployments.trigger, [...HOLD_TRIGGERS])))
    .orderBy(desc(deployments.id))
    .all()
}

/** The newest attempt at this commit, whatever became of it; a hold's rows attempt nothing. */
export function lastAttemptAt(db: KedgeDatabase, stackId: number, commit: string): DeploymentRow | undefined {
  return db
    .select()
    .from(deployments)
    .where(and(eq(deployments.stackId, stackId), eq(deployments.commit, commit), notInArray(deployments.trigger, [...HOLD_TRIGGERS])))
    .orderBy(desc(deployments.id))
    .limit(1)
    .get()
}

/** Marks a repository's `pending` deployments as interrupted: only called by the holder of its lock, so none is in progress. */
export function markInterrupted(db: KedgeDatabase, repositoryId: number): number {
  // Asked at every take of the lock, and almost always none: the update is left out.
  if (!hasPendingDeployment(db, repositoryId)) return 0
  return db
    .update(deployments)
    .set({status: 'failed', interrupted: true, error: 'interrupted: kedge stopped before the deployment finished', finishedAt: new Date()})
    .where(and(eq(deployments.repositoryId, repositoryId), eq(deployments.status, 'pending')))
    .run().changes
}

/** Deployments that were cut short (kedge stopped, the engine went away) are not counted: they said nothing about the stack. */
export function countDeploymentsSince(db: KedgeDatabase, stackId: number, trigger: DeploymentTrigger, since: Date): number {
  const row = db
    .select({total: count()})
    .from(deployments)
    .where(and(eq(deployments.stackId, stackId), eq(deployments.trigger, trigger), gte(deployments.startedAt, since), eq(deployments.interrupted, false)))
    .get()
  return row?.total ?? 0
}
