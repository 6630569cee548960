import Database from 'better-sqlite3'

import {nativeLibrary} from './sqlite-library.js'

/** Tells whether kedge.db has changed, whoever wrote it (serve itself, or a command in another process), and for which repository. */
export interface DatabaseChanges {
  /** Changes whenever a commit reached the database since it was last read. */
  version(): number
  /**
   * Each repository's state as a person sees it (its URL, credentials' kind, branch and head, its stacks'
   * holds, drift, pins, pending commits, the head each was found in sync with, and errors, its newest
   * deployment and how that went), as one string: it differs only when
   * something shown differs, not when a poll or a check merely records its time.
   */
  repositoryVersions(): Map<string, string>
  /** The access tokens that stand, as one string: it differs once one is created, revoked or changed. */
  accessVersion(): string
  close(): void
}

const REPOSITORY_VERSIONS = `
  SELECT r.name AS name,
    r.url || '|' || coalesce(r.auth_kind, '') || '|' || coalesce(r.branch, '') || '|' || coalesce(r.remote_head, '') || '|' || coalesce(r.last_error_at, '') || '|' ||
    coalesce((SELECT group_concat(s.id || ':' || coalesce(s.hold, '') || ':' || coalesce(s.drift, '') || ':' || coalesce(s.pending_commit, '') || ':' ||
      coalesce(s.pinned_commit, '') || ':' || coalesce(s.unchanged_head, '') || ':' || coalesce(s.last_error_at, ''), ',') FROM stacks s WHERE s.repository_id = r.id), '') || '|' ||
    coalesce((SELECT d.id || ':' || d.status || ':' || length(coalesce(d.hooks, '')) FROM deployments d
      WHERE d.repository_id = r.id ORDER BY d.id DESC LIMIT 1), '') AS version
  FROM repositories r`

/**
 * A connection of its own that reads SQLite's `data_version`, which changes when another connection
 * commits (the one serve writes with included) and costs no read of the database's pages; and, once it
 * changed, what changed for each repository.
 */
export function watchDatabaseChanges(file: string): DatabaseChanges {
  const client = new Database(file, {fileMustExist: true, nativeBinding: nativeLibrary()})
  const dataVersion = client.prepare('PRAGMA data_version').pluck()
  const versions = client.prepare(REPOSITORY_VERSIONS)
  const access = client.prepare("SELECT coalesce(group_concat(id || ':' || role || ':' || coalesce(expires_at, ''), ','), '') FROM access_tokens").pluck()
  return {
    version: () => dataVersion.get() as number,
    repositoryVersions: () => new Map((versions.all() as Array<{name: string; version: string}>).map((row) => [row.name, row.version])),
    accessVersion: () => access.get() as string,
    close: () => client.close(),
  }
}
