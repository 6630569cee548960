import {and, eq, sql} from 'drizzle-orm'

import type {KedgeDatabase} from './database.js'
import {oncePerDatabase} from './once-per-database.js'
import {locks, type LockRow} from './schema.js'

export type LockHolder = Omit<LockRow, 'name'>

const value = <Name extends string>(name: Name) => sql.placeholder(name)

/** The lock's queries, prepared once per database: serve takes and drops each repository's lock at every round. */
const lockQueries = /* @__PURE__ */ oncePerDatabase((db: KedgeDatabase) => {
  const holder = {host: value('host'), pid: value('pid'), processStart: value('processStart'), purpose: value('purpose'), acquiredAt: value('acquiredAt')}
  return {
    find: db.select().from(locks).where(eq(locks.name, value('name'))).prepare(),
    take: db
      .insert(locks)
      .values({name: value('name'), ...holder})
      // The row of a holder that died is taken over with the new holder's values: SQLite's `excluded` row.
      .onConflictDoUpdate({
        target: locks.name,
        set: {
          host: sql`excluded.host`,
          pid: sql`excluded.pid`,
          processStart: sql`excluded.process_start`,
          purpose: sql`excluded.purpose`,
          acquiredAt: sql`excluded.acquired_at`,
        },
      })
      .prepare(),
    drop: db
      .delete(locks)
      .where(and(eq(locks.name, value('name')), eq(locks.host, value('host')), eq(locks.pid, value('pid')), eq(locks.processStart, value('processStart'))))
      .prepare(),
  }
})

/**
 * Takes the lock for `holder` unless a live holder has it; `isAlive` decides whether the current holder
 * still runs. One IMMEDIATE transaction, so two processes cannot both win.
 */
export function tryTakeLock(
  db: KedgeDatabase,
  name: string,
  holder: LockHolder,
  isAlive: (current: LockRow) => boolean,
): {taken: true} | {taken: false; current: LockRow} {
  const queries = lockQueries(db)
  return db.$client
    .transaction(() => {
      const current = queries.find.get({name})
      if (current && isAlive(current)) return {taken: false as const, current}
      queries.take.run({name, ...holder})
      return {taken: true as const}
    })
    .immediate()
}

export function dropLock(db: KedgeDatabase, name: string, holder: Pick<LockHolder, 'host' | 'pid' | 'processStart'>): void {
  lockQueries(db).drop.run({name, host: holder.host, pid: holder.pid, processStart: holder.processStart})
}

export function findLock(db: KedgeDatabase, name: string): LockRow | undefined {
  return lockQueries(db).find.get({name})
}
