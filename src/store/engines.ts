import {eq, or, sql} from 'drizzle-orm'

import type {StoreConnection} from './connection.js'
import type {KedgeDatabase} from './database.js'
import {plainSelect} from './plain-select.js'
import {ROW_COLUMNS} from './row-columns.js'
import {deployments, engines, repositories, stacks, type EngineRow} from './schema.js'

const engineRows = plainSelect<EngineRow>(ROW_COLUMNS.engines)

/** Every registered engine, by name. */
export function listEngines(db: StoreConnection): EngineRow[] {
  return engineRows.all(db, 'SELECT * FROM engines ORDER BY name')
}

export function findEngine(db: StoreConnection, name: string): EngineRow | undefined {
  return engineRows.get(db, 'SELECT * FROM engines WHERE name = ?', name)
}

export function findEngineById(db: StoreConnection, id: number): EngineRow | undefined {
  return engineRows.get(db, 'SELECT * FROM engines WHERE id = ?', id)
}

/**
 * The new row, or undefined when an engine already has its name. One IMMEDIATE transaction, so that two
 * registrations at once cannot both take the name, and a refused one spends no id.
 */
export function insertEngine(db: KedgeDatabase, values: Omit<EngineRow, 'id'>): EngineRow | undefined {
  return db.$client
    .transaction(() => {
      const taken = db.select({id: engines.id}).from(engines).where(eq(engines.name, values.name)).get()
      return taken ? undefined : db.insert(engines).values(values).returning().get()
    })
    .immediate()
}

export function updateEngine(db: KedgeDatabase, id: number, values: Partial<Pick<EngineRow, 'knownHosts' | 'identity'>>): void {
  db.update(engines).set(values).where(eq(engines.id, id)).run()
}

/**
 * What still uses the engine: the repositories and stacks set to it, and the stacks whose newest
 * deployment ran there (their containers may still run on it).
 */
export function engineUsers(db: KedgeDatabase, id: number): {repositories: string[]; stacks: string[]} {
  const setRepositories = db.select({name: repositories.name}).from(repositories).where(eq(repositories.engineId, id)).all()
  const newest = sql`${deployments.id} = (SELECT MAX(d.id) FROM deployments d WHERE d.stack_id = ${stacks.id})`
  const used = db
    .select({repository: repositories.name, stack: stacks.name})
    .from(stacks)
    .innerJoin(repositories, eq(repositories.id, stacks.repositoryId))
    .leftJoin(deployments, eq(deployments.stackId, stacks.id))
    .where(or(eq(stacks.engineId, id), sql`(${newest} AND ${deployments.engineId} = ${id})`))
    .all()
  return {repositories: setRepositories.map((row) => row.name), stacks: [...new Set(used.map((row) => `${row.repository}/${row.stack}`))].sort()}
}

/** Deletes the engine unless something uses it (see engineUsers), in one transaction; whether it was deleted. */
export function deleteEngine(db: KedgeDatabase, name: string): {deleted: boolean; users: {repositories: string[]; stacks: string[]}} {
  return db.$client
    .transaction(() => {
      const row = db.select({id: engines.id}).from(engines).where(eq(engines.name, name)).get()
      if (!row) return {deleted: false, users: {repositories: [], stacks: []}}
      const users = engineUsers(db, row.id)
      if (users.repositories.length > 0 || users.stacks.length > 0) return {deleted: false, users}
      // Old history may still name it: those rows keep their commit and outcome, and forget where they ran.
      db.update(deployments).set({engineId: null}).where(eq(deployments.engineId, row.id)).run()
      db.delete(engines).where(eq(engines.id, row.id)).run()
      return {deleted: true, users}
    })
    .immediate()
}
