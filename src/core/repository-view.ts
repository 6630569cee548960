import {formatDuration} from '../config/duration.js'
import type {DeploymentRow, RepositoryRow} from '../store/schema.js'

/** How a registered repository is shown to people and in `--json`. */
export interface RepositoryView {
  name: string
  url: string
  branch: string
  path: string
  /** The poll interval set for this repository; null means kedge.yaml's, else serve's default. */
  interval: string | null
  createdAt: string
  lastDeployment: {commit: string; status: string; trigger: string; startedAt: string; finishedAt: string | null} | null
  lastError: string | null
}

export function toRepositoryView(row: RepositoryRow, lastDeployment?: DeploymentRow): RepositoryView {
  return {
    name: row.name,
    url: row.url,
    branch: row.branch,
    path: row.path,
    interval: row.intervalMs === null ? null : formatDuration(row.intervalMs),
    createdAt: row.createdAt.toISOString(),
    lastDeployment: lastDeployment
      ? {
          commit: lastDeployment.commit,
          status: lastDeployment.status,
          trigger: lastDeployment.trigger,
          startedAt: lastDeployment.startedAt.toISOString(),
          finishedAt: lastDeployment.finishedAt?.toISOString() ?? null,
        }
      : null,
    lastError: row.lastError,
  }
}
