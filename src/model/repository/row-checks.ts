import path from 'node:path'

import {MAX_DURATION_MS} from '../config/duration.js'
import {InvalidStateError, quoted} from '../errors.js'
import {AUTH_KINDS, DEPLOYMENT_STATUSES, DEPLOYMENT_TRIGGERS, FORGES, STACK_HOLDS} from './column-values.js'
import type {DeploymentRow, RepositoryRow, StackRow} from '../rows.js'
import {validateBranchName} from './branch-name.js'
import {isStackName} from '../stack/stack-names.js'
import {REPO_NAME_PATTERN} from './repo-url.js'
import {MIN_INTERVAL_MS} from './repository-interval.js'

/**
 * kedge's database is its own, yet a value read back from it is checked like input before it is used:
 * a row edited by hand or damaged must fail only what depends on it, with an error naming the column,
 * never build a path outside the home, spin a loop or take down every repository's status.
 */

const REPAIR_HINT = 'kedge never writes this value: restore kedge.db from a backup or correct the column by hand'

/** The error for one bad column of one row: `corrupt_row`, naming the table, the row and the column. */
export function corruptRow(table: string, rowId: number | string | null, column: string, detail: string, hint = REPAIR_HINT): InvalidStateError {
  const row = rowId === null ? table : `${table} row ${rowId}`
  return new InvalidStateError(`corrupt database: ${row}, column ${column}: ${detail}`, {code: 'corrupt_row', hint})
}

export function isCorruptRow(error: unknown): error is InvalidStateError {
  return error instanceof InvalidStateError && error.code === 'corrupt_row'
}

/** Whether a stored repository name is one `repo add` accepts: only such a name may become a directory of the home. */
export function isRepositoryName(name: unknown): name is string {
  return typeof name === 'string' && REPO_NAME_PATTERN.test(name)
}

/** A repository name read back from the database, refused as corrupt_row unless `repo add` would have taken it. */
export function checkRepositoryName(name: unknown, rowId: number | string | null = null): string {
  if (!isRepositoryName(name)) {
    throw corruptRow('repositories', rowId, 'name', `${quoted(String(name))} is not a repository name kedge accepts`, repositoryHint(null))
  }
  return name
}

/**
 * A path relative to a root that stays inside it: not absolute, no "..", "\" or NUL, nothing under .git.
 * True for the root itself ('' or '.').
 */
export function isContainedPath(value: unknown): value is string {
  if (typeof value !== 'string' || value.includes('\0') || value.includes('\\')) return false
  if (value === '' || value === '.') return true
  const normalized = path.posix.normalize(value)
  if (path.posix.isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../')) return false
  return !normalized.split('/').includes('.git')
}

/** Every column of a repository row kedge relies on, as `repo add` and `repo set` would have taken it; corrupt_row for the first that is not. */
export function checkRepositoryRow(row: RepositoryRow): RepositoryRow {
  const bad = (column: string, detail: string) => corruptRow('repositories', row.id, column, detail, repositoryHint(isRepositoryName(row.name) ? row.name : null))
  checkRepositoryName(row.name, row.id)
  if (!isSafeUrl(row.url)) throw bad('url', `${quoted(String(row.url))} is not a repository URL kedge accepts`)
  try {
    validateBranchName(row.branch)
  } catch {
    throw bad('branch', `${quoted(String(row.branch))} is not a branch name`)
  }
  if (!isStackPath(row.path)) throw bad('path', `${quoted(String(row.path))} is not a normalised path inside the repository`)
  if (row.intervalMs !== null && !isInterval(row.intervalMs)) {
    throw bad('interval_ms', `${quoted(String(row.intervalMs))} is not an interval of ${MIN_INTERVAL_MS} ms to ${MAX_DURATION_MS} ms`)
  }
  if (row.authKind !== null && !(AUTH_KINDS as readonly unknown[]).includes(row.authKind)) throw bad('auth_kind', `${quoted(String(row.authKind))} is not a kind of credentials`)
  if (row.commitStatus !== null && !(FORGES as readonly unknown[]).includes(row.commitStatus)) throw bad('commit_status', `${quoted(String(row.commitStatus))} is not a forge kedge posts statuses to`)
  checkTimestamp(row.createdAt, 'created_at', bad, false)
  checkTimestamp(row.remoteCheckedAt, 'remote_checked_at', bad)
  checkTimestamp(row.lastErrorAt, 'last_error_at', bad)
  return row
}


/** Every column of a stack row kedge relies on; corrupt_row for the first that is not as kedge writes it. */
export function checkStackRow(row: StackRow, repository: string): StackRow {
  const bad = (column: string, detail: string) => corruptRow('stacks', row.id, column, detail, repositoryHint(repository))
  if (typeof row.name !== 'string' || !isStackName(row.name)) throw bad('name', `${quoted(String(row.name))} is not a stack name kedge accepts`)
  if (!isStackPath(row.path)) throw bad('path', `${quoted(String(row.path))} is not a normalised path inside the repository`)
  if (row.hold !== null && !(STACK_HOLDS as readonly unknown[]).includes(row.hold)) throw bad('hold', `${quoted(String(row.hold))} is not down or suspended`)
  checkTimestamp(row.createdAt, 'created_at', bad, false)
  checkTimestamp(row.heldAt, 'held_at', bad)
  checkTimestamp(row.lastErrorAt, 'last_error_at', bad)
  checkTimestamp(row.driftCheckedAt, 'drift_checked_at', bad)
  checkJsonArray(row.pendingChanges, 'pending_changes', bad)
  checkJsonArray(row.drift, 'drift', bad)
  return row
}

/** What is damaged in a stack row (checkStackRow's corrupt_row error), or null when it is as kedge writes it. */
export function stackRowDamage(row: StackRow, repository: string): InvalidStateError | null {
  try {
    checkStackRow(row, repository)
    return null
  } catch (error) {
    if (isCorruptRow(error)) return error
    throw error
  }
}

/** The columns of a deployment row kedge shows and compares (its snapshot is checked where it is parsed, stack-snapshot.ts). */
export function checkDeploymentRow(row: DeploymentRow): DeploymentRow {
  const bad = (column: string, detail: string) => corruptRow('deployments', row.id, column, detail)
  if (typeof row.commit !== 'string' || !/^[0-9a-f]{4,64}$/.test(row.commit)) throw bad('commit', `${quoted(String(row.commit))} is not a commit id`)
  if (!(DEPLOYMENT_STATUSES as readonly unknown[]).includes(row.status)) throw bad('status', `${quoted(String(row.status))} is not a deployment status`)
  if (!(DEPLOYMENT_TRIGGERS as readonly unknown[]).includes(row.trigger)) throw bad('trigger', `${quoted(String(row.trigger))} is not a deployment trigger`)
  checkTimestamp(row.startedAt, 'started_at', bad, false)
  checkTimestamp(row.finishedAt, 'finished_at', bad)
  return row
}

/** A timestamp as an ISO string, or null when it is missing or not a real time: for showing rows that may be damaged. */
export function isoTimeOrNull(value: Date | null | undefined): string | null {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : null
}

function repositoryHint(name: string | null): string {
  const remove = name ? `"kedge repo remove ${name}"` : '"kedge repo remove" with the name as stored'
  return `${REPAIR_HINT}, or run ${remove} and add the repository again`
}

/** What `repo add --path` stores: '' or '.' for the root, else a normalised relative path without a trailing "/". */
function isStackPath(value: unknown): boolean {
  return isContainedPath(value) && (value === '' || value === '.' || (path.posix.normalize(value) === value && !value.endsWith('/')))
}

/**
 * What every URL `repo add` ever took has, and what keeps git from reading it as an option or a remote
 * helper; not the whole of today's rule, which an older registration need not meet.
 */
function isSafeUrl(value: unknown): boolean {
  return typeof value === 'string' && value.trim() === value && value !== '' && !value.startsWith('-') && !/[\s\u0000-\u001f\u007f]/.test(value) && !/^[A-Za-z][A-Za-z0-9+.-]*::/.test(value)
}

function isInterval(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= MIN_INTERVAL_MS && value <= MAX_DURATION_MS
}

export type BadColumn = (column: string, detail: string) => InvalidStateError

/** A timestamp column read back: a real time, or null where the column may be null. */
export function checkTimestamp(value: unknown, column: string, bad: BadColumn, nullable = true): void {
  if (value === null && nullable) return
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw bad(column, 'not a timestamp')
}

function checkJsonArray(value: unknown, column: string, bad: BadColumn): void {
  if (value === null) return
  let parsed: unknown
  try {
    parsed = JSON.parse(String(value))
  } catch {
    throw bad(column, 'not JSON')
  }
  if (!Array.isArray(parsed)) throw bad(column, 'not a JSON list')
}
