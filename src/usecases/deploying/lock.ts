import {ExternalError} from '../../model/errors.js'
import type {LockRow, RepositoryRow} from '../../model/rows.js'
import type {ProcessIdentity} from '../../ports/processes.js'
import type {KedgeContext} from '../context.js'

const POLL_MS = 200

/** Names held by this process: the database row alone cannot tell two holders in one process apart. */
const heldHere = new Set<string>()

export interface HeldLock {
  name: string
  release(): void
}

export interface LockOptions {
  purpose: string
  /** How long to wait for the holder to finish; 0 fails at once. */
  waitMs: number
  signal?: AbortSignal
  onWait?: (holder: LockRow) => void
}

export const repositoryLockName = (repository: string) => `repository:${repository}`

export async function acquireLock(context: KedgeContext, name: string, options: LockOptions): Promise<HeldLock> {
  const {store, clock, processes} = context
  const self = processes.current()
  const deadline = clock.now().getTime() + options.waitMs
  let announced = false
  for (;;) {
    options.signal?.throwIfAborted()
    if (!heldHere.has(name)) {
      // A row naming this process for a lock it does not hold is left over from a release that could not
      // be written (a full disk): it would keep this process out forever.
      const isHeld = (current: LockRow) => !isSameProcess(current, self) && processes.isRunning(current)
      const attempt = store.tryTakeLock(name, {...self, purpose: options.purpose, acquiredAt: clock.now()}, isHeld)
      if (attempt.taken) {
        heldHere.add(name)
        return {
          name,
          release: () => {
            heldHere.delete(name)
            store.dropLock(name, self)
          },
        }
      }
      if (!announced) options.onWait?.(attempt.current)
      announced = true
      if (clock.now().getTime() >= deadline) throw lockBusy(name, attempt.current)
    } else {
      // Another task of this process holds it (a round that ran past its deadline and is still stopping): busy, like any other holder.
      const holder = {...self, name, purpose: 'another task of this process', acquiredAt: clock.now()}
      if (!announced) options.onWait?.(holder)
      announced = true
      if (clock.now().getTime() >= deadline) throw lockBusy(name, holder)
    }
    await clock.sleep(POLL_MS, options.signal)
  }
}

/**
 * Runs `work` holding the repository's lock. Whoever takes the lock first marks deployments left
 * `pending` by a holder that died as interrupted, so history never shows a deploy forever in progress.
 */
export async function withRepositoryLock<T>(
  context: KedgeContext,
  repository: RepositoryRow,
  options: LockOptions,
  work: (recovered: number) => Promise<T>,
): Promise<T> {
  try {
    const lock = await acquireLock(context, repositoryLockName(repository.name), options)
    try {
      return await work(context.store.markInterrupted(repository.id))
    } finally {
      lock.release()
    }
  } catch (error) {
    // Every change to a repository passes here, serve's rounds included: a full or read-only home is
    // reported as such wherever the error ends up (the CLI, serve's log, the API).
    throw context.store.storageFault(error) ?? error
  }
}

/**
 * As withRepositoryLock, but without waiting: when another process holds the repository, returns
 * `{busy: holder}` instead of running `work`.
 */
export async function tryWithRepositoryLock<T>(
  context: KedgeContext,
  repository: RepositoryRow,
  purpose: string,
  work: (recovered: number) => Promise<T>,
): Promise<T | {busy: LockRow}> {
  let holder: LockRow | undefined
  try {
    return await withRepositoryLock(context, repository, {purpose, waitMs: 0, onWait: (current) => (holder = current)}, work)
  } catch (error) {
    if (holder && error instanceof ExternalError && error.code === 'busy') return {busy: holder}
    throw error
  }
}

export function describeHolder(holder: LockRow): string {
  return `${holder.purpose} (pid ${holder.pid} on ${holder.host}, since ${holder.acquiredAt.toISOString()})`
}

function isSameProcess(holder: ProcessIdentity, self: ProcessIdentity): boolean {
  return holder.host === self.host && holder.pid === self.pid && holder.processStart === self.processStart
}

function lockBusy(name: string, holder: LockRow): ExternalError {
  return new ExternalError(`${name.replace(':', ' ')} is busy: held by ${describeHolder(holder)}`, {
    code: 'busy',
    hint: 'wait for it to finish, or stop that process',
  })
}
