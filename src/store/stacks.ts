import {eq, sql} from 'drizzle-orm'

import type {StoreConnection} from './connection.js'
import type {KedgeDatabase} from './database.js'
import {oncePerDatabase} from './once-per-database.js'
import {plainSelect} from './plain-select.js'
import {redactFields} from './redact-fields.js'
import {ROW_COLUMNS} from './row-columns.js'
import {stacks, type NewStackRow, type StackRow} from './schema.js'

const stackRows = plainSelect<StackRow>(ROW_COLUMNS.stacks)

/** A repository's stacks, by name. */
export function listStacks(db: StoreConnection, repositoryId: number): StackRow[] {
  return stackRows.all(db, 'SELECT * FROM stacks WHERE repository_id = ? ORDER BY name', repositoryId)
}

/** Every repository's stacks, by repository id and then name: one query for `status` and serve's start. */
export function listAllStacks(db: StoreConnection): StackRow[] {
  return stackRows.all(db, 'SELECT * FROM stacks ORDER BY repository_id, name')
}

export function insertStack(db: KedgeDatabase, values: NewStackRow): StackRow {
  return db.insert(stacks).values(values).returning().get()
}

export function updateStack(db: KedgeDatabase, id: number, values: Partial<Omit<StackRow, 'id' | 'repositoryId'>>): void {
  db.update(stacks).set(redactFields(values, {text: ['lastError'], json: ['pendingChanges', 'drift']})).where(eq(stacks.id, id)).run()
}

/** Prepared once per database, as recordRemoteHead is: every listing of a stack's containers writes it (bench/stack-scale.ts). */
const driftCheckUpdate = /* @__PURE__ */ oncePerDatabase((db: KedgeDatabase) =>
  db
    .update(stacks)
    .set({drift: sql`${sql.placeholder('drift')}`, driftCheckedAt: sql`${sql.placeholder('checkedAt')}`})
    .where(eq(stacks.id, sql.placeholder('id')))
    .prepare(),
)

/** Records what a drift check found (JSON, redacted as updateStack redacts it) and when. */
export function recordDriftCheck(db: KedgeDatabase, id: number, drift: string, checkedAt: Date): void {
  driftCheckUpdate(db).run({id, drift: redactFields({drift}, {json: ['drift']}).drift, checkedAt: checkedAt.getTime()})
}

/** Records the last error on the stack, for `status`; the message is kedge's or the tool's own. */
export function recordStackError(db: KedgeDatabase, id: number, error: unknown): void {
  updateStack(db, id, {lastError: error instanceof Error ? error.message : String(error), lastErrorAt: new Date()})
}

/** Deletes the stack and, with it, its history. */
export function deleteStack(db: KedgeDatabase, id: number): boolean {
  return db.delete(stacks).where(eq(stacks.id, id)).run().changes > 0
}
