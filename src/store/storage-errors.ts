import {accessSync, constants, existsSync, statfsSync} from 'node:fs'
import path from 'node:path'

import {ExternalError, isKedgeError, type KedgeError} from '../model/errors.js'
import type {KedgeHome} from '../model/home.js'

/**
 * The disk under the kedge home failing kedge: full, mounted read-only, or not writable for this user.
 * SQLite, Node and git each say so in their own words (SQLITE_FULL, ENOSPC, git's "No space left on
 * device"); here they all become one error that names the home and says what to do about it.
 */
export type StorageFault = 'home_full' | 'home_read_only' | 'home_not_writable'

const FAULT_CODES: ReadonlySet<string> = new Set<StorageFault>(['home_full', 'home_read_only', 'home_not_writable'])

/**
 * SQLite's I/O errors do not say why they failed (a shared-memory file it could not grow is
 * SQLITE_IOERR_SHMSIZE): when the home's filesystem has less than this free, that is taken as the cause.
 */
const NEARLY_FULL_BYTES = 1024 * 1024

type HomePaths = Pick<KedgeHome, 'root' | 'databaseFile'>

/** What an error says about the storage, and whether it certainly concerns the home or must be checked against it. */
interface Evidence {
  fault: StorageFault | 'unexplained'
  certain: boolean
  file?: string
}

/**
 * The storage fault behind `error` (or any error in its cause chain), as kedge's error naming the home;
 * null when the error is not about the home's storage. `error` must come from the home's database, its
 * files, or a git command writing there: SQLite's codes carry no path, so they are taken to be the home's.
 * With `anyError`, an error that names no fault is still put down to one the home has now: opening the
 * database is told apart that way, as SQLite says only "unable to open" and Node's recursive mkdir says
 * ENOENT under a read-only parent.
 */
export function isStorageFault(error: KedgeError): boolean {
  return FAULT_CODES.has(error.code)
}

export function storageFault(home: HomePaths, error: unknown, options: {anyError?: boolean} = {}): KedgeError | null {
  if (isKedgeError(error) && FAULT_CODES.has(error.code)) return error
  const evidence = evidenceIn(home, error) ?? (options.anyError ? {fault: 'unexplained' as const, certain: false} : null)
  if (!evidence) return null
  const found = inspectHome(home.root)
  switch (evidence.fault) {
    case 'home_full':
      return evidence.certain || found === 'home_full' ? faultError(home.root, 'home_full', error) : null
    case 'home_read_only':
      if (found === 'home_read_only' || found === 'home_not_writable') return faultError(home.root, found, error)
      // A read-only mount inside a writable home (repos/, say).
      return evidence.certain ? faultError(home.root, 'home_read_only', error, evidence.file) : null
    case 'home_not_writable':
      return found ? faultError(home.root, found, error) : faultError(home.root, 'home_not_writable', error, evidence.file)
    case 'unexplained':
      return found ? faultError(home.root, found, error) : null
  }
}

/**
 * Refuses a home this user cannot write (a read-only mount, no permission) before a command that writes
 * starts anything. A full disk is not refused in advance: how much room a write needs is not known.
 */
export function requireWritableHome(home: HomePaths): void {
  const fault = writeAccessFault(home.root)
  if (fault) throw faultError(home.root, fault, null)
}

function evidenceIn(home: HomePaths, error: unknown): Evidence | null {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    const evidence = evidenceOf(home, current)
    if (evidence) return evidence
  }
  return null
}

function evidenceOf(home: HomePaths, error: Error): Evidence | null {
  const {code, path: file, dest} = error as NodeJS.ErrnoException & {dest?: string}
  if (typeof code === 'string') {
    if (code === 'SQLITE_FULL') return {fault: 'home_full', certain: true}
    // On a writable filesystem, SQLite cannot write kedge.db because of its permissions.
    if (code.startsWith('SQLITE_READONLY')) return {fault: 'home_not_writable', certain: true, file: home.databaseFile}
    if (code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_IOERR')) return {fault: 'unexplained', certain: false}
    // Node's errors name the file when the call had one; a write() on an open file does not.
    const inHome = [file, dest].some((candidate) => typeof candidate === 'string' && isInside(home.root, candidate))
    if (code === 'ENOSPC' || code === 'EDQUOT') return {fault: 'home_full', certain: inHome}
    if (code === 'EROFS') return {fault: 'home_read_only', certain: inHome, file}
    if ((code === 'EACCES' || code === 'EPERM') && inHome) return {fault: 'home_not_writable', certain: true, file}
  }
  // A child process (git) only says it in its message, which may also be about another disk: checked against the home.
  if (/no space left on device|disk quota exceeded/i.test(error.message)) return {fault: 'home_full', certain: false}
  if (/read-only file system/i.test(error.message)) return {fault: 'home_read_only', certain: false}
  return null
}

/** What is wrong with the home's storage now, if anything. */
function inspectHome(root: string): StorageFault | null {
  return writeAccessFault(root) ?? (nearlyFull(root) ? 'home_full' : null)
}

/** Whether this user may write the home; a home that does not exist yet is judged by the directory it would be made in. */
function writeAccessFault(root: string): StorageFault | null {
  try {
    accessSync(nearestExisting(root), constants.W_OK)
    return null
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EROFS') return 'home_read_only'
    if (code === 'EACCES' || code === 'EPERM') return 'home_not_writable'
    return null
  }
}

function nearlyFull(root: string): boolean {
  try {
    const {bavail, bsize} = statfsSync(nearestExisting(root))
    return bavail * bsize < NEARLY_FULL_BYTES
  } catch {
    // statfs is only a diagnosis: without it the error stays as it was.
    return false
  }
}

function faultError(root: string, fault: StorageFault, cause: unknown, file?: string): ExternalError {
  const elsewhere = 'or point --home (KEDGE_HOME) at another directory'
  switch (fault) {
    case 'home_full':
      return new ExternalError(`the filesystem of the kedge home ${root} is full`, {code: fault, hint: `free some space on it, ${elsewhere}`, cause})
    case 'home_read_only':
      return new ExternalError(readOnlyMessage(root, file), {
        code: fault,
        hint: `remount it read-write, ${elsewhere}`,
        cause,
      })
    case 'home_not_writable':
      return new ExternalError(`kedge may not write to its home ${root}: permission denied${file && file !== root ? ` on ${file}` : ''}`, {
        code: fault,
        hint: `run kedge as the user that owns the home, give this user write access to it, ${elsewhere}`,
        cause,
      })
  }
}

function readOnlyMessage(root: string, file: string | undefined): string {
  if (!existsSync(root)) return `the kedge home ${root} does not exist and cannot be created: its filesystem is read-only`
  if (file && path.resolve(file) !== path.resolve(root)) return `part of the kedge home ${root} is on a read-only filesystem: ${file}`
  return `the kedge home ${root} is read-only: its filesystem is mounted read-only`
}

function nearestExisting(directory: string): string {
  let current = path.resolve(directory)
  while (!existsSync(current) && path.dirname(current) !== current) current = path.dirname(current)
  return current
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, path.resolve(file))
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
}
