import type {DeploymentRow} from '../rows.js'
import {parseReason, reasonLine, type DeployReason} from './deploy-reason.js'
import {parseHookRecords, type HookRecord} from './hook-record.js'
import {checkDeploymentRow} from './row-checks.js'

/** How a deployment is shown to people and in `--json`. */
export interface DeploymentView {
  id: number
  /** The stack it deployed: for a repository of one root stack, the repository's name. */
  stack: string
  commit: string
  status: string
  trigger: string
  startedAt: string
  finishedAt: string | null
  error: string | null
  project: string | null
  /** For a rollback: the commit it replaced. */
  replacedCommit: string | null
  note: string | null
  /** Why it happened: the trigger's source, the files it read that changed, the services it changed, the drift it healed; null on rows older than reasons. */
  reason: DeployReason | null
  /** The reason in one line, as notifications carry it. */
  reasonLine: string | null
  /** What the repository's hooks did, output redacted. */
  hooks: HookRecord[]
  /** What building its images printed when the build failed (its last 64 KiB, redacted); null otherwise. */
  buildOutput: string | null
}

/** corrupt_row when the row holds what kedge never writes (a time that is not one): it is not shown half-read. */
export function toDeploymentView(unchecked: DeploymentRow, stack: string): DeploymentView {
  const row = checkDeploymentRow(unchecked)
  const reason = parseReason(row.reason)
  return {
    id: row.id,
    stack,
    commit: row.commit,
    status: row.status,
    trigger: row.trigger,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    error: row.error,
    project: row.project,
    replacedCommit: row.replacedCommit,
    note: row.note,
    reason,
    reasonLine: reason ? reasonLine(reason) : null,
    hooks: parseHookRecords(row.hooks),
    // null, never absent, in --json and the API.
    buildOutput: row.buildOutput ?? null,
  }
}
