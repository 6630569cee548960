import {and, eq} from 'drizzle-orm'

import type {KedgeDatabase} from './database.js'
import {locks, type LockRow} from './schema.js'

export type LockHolder = Omit<LockRow, 'name'>

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
  return db.$client
    .transaction(() => {
      const current = db.select().from(locks).where(eq(locks.name, name)).get()
      if (current && isAlive(current)) return {taken: false as const, current}
      db.insert(locks)
        .values({name, ...holder})
        .onConflictDoUpdate({target: locks.name, set: holder})
        .run()
      return {taken: true as const}
    })
    .immediate()
}

export function dropLock(db: KedgeDatabase, name: string, holder: Pick<LockHolder, 'host' | 'pid' | 'processStart'>): void {
  db.delete(locks)
    .where(and(eq(locks.name, name), eq(locks.host, holder.host), eq(locks.pid, holder.pid), eq(locks.processStart, holder.processStart)))
    .run()
}

export function findLock(db: KedgeDatabase, name: string): LockRow | undefined {
  return db.select().from(locks).where(eq(locks.name, name)).get()
}
