import type {DeploymentRow} from '../store/schema.js'

/** How a deployment is shown to people and in `--json`. */
export interface DeploymentView {
  id: number
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
}

export function toDeploymentView(row: DeploymentRow): DeploymentView {
  return {
    id: row.id,
    commit: row.commit,
    status: row.status,
    trigger: row.trigger,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    error: row.error,
    project: row.project,
    replacedCommit: row.replacedCommit,
    note: row.note,
  }
}
