import type {DeploymentView} from '../api/types.js'
import {StatusBadge} from '../components/badge.js'
import {Sha} from '../components/commits.js'
import {TimeAgo} from '../components/time-ago.js'
import {duration, secondsBetween} from '../format.js'
import {buttonLabel, type StackAction} from '../actions/stack-actions.js'
import {ReasonCell} from './deploy-reason.js'
import {HookRecords} from './hook-records.js'
import {rollbackTargets} from './rollback-targets.js'

interface HistoryTableProps {
  rows: DeploymentView[]
  deployedCommit: string | null
  /** null for the read role: no rollback buttons. */
  onAction: ((action: StackAction) => void) | null
  busy: boolean
}

/** Newest first; each deployment is a <tbody> of its row and, when it has more to say, its error, note and hooks. */
export function HistoryTable({rows, deployedCommit, onAction, busy}: HistoryTableProps) {
  const targets = rollbackTargets(rows, deployedCommit)
  const current = rows.find((row) => row.commit === deployedCommit && (row.status === 'success' || row.status === 'rolled_back'))
  return (
    <table class="data history">
      <thead>
        <tr>
          <th scope="col">Started</th>
          <th scope="col">Commit</th>
          <th scope="col">Status</th>
          <th scope="col">Trigger</th>
          <th scope="col">Took</th>
          <th scope="col">Why</th>
          <th scope="col">
            <span class="visually-hidden">Roll back</span>
          </th>
        </tr>
      </thead>
      {rows.map((row) => {
        const seconds = secondsBetween(row.startedAt, row.finishedAt)
        const rollback: StackAction = {kind: 'rollback', commit: row.commit}
        return (
          <tbody key={row.id} data-deployment={String(row.id)} data-status={row.status}>
            <tr>
              <td data-label="Started" class="nowrap">
                <TimeAgo iso={row.startedAt} />
              </td>
              <td data-label="Commit">
                <Sha commit={row.commit} />
                {row === current && <span class="tag">deployed</span>}
                {row.replacedCommit && (
                  <span class="muted small">
                    {' '}
                    in place of <Sha commit={row.replacedCommit} />
                  </span>
                )}
              </td>
              <td data-label="Status" class="nowrap">
                <StatusBadge status={row.status} />
              </td>
              <td data-label="Trigger" class="nowrap">
                {row.trigger}
              </td>
              <td data-label="Took" class="nowrap">{seconds === null ? <span class="muted">under way</span> : duration(seconds)}</td>
              <td data-label="Why">
                <ReasonCell reason={row.reason} line={row.reasonLine} />
              </td>
              <td class="row-action">
                {onAction && targets.has(row.id) && (
                  <button type="button" class="button small" disabled={busy} onClick={() => onAction(rollback)}>
                    {buttonLabel(rollback)}
                  </button>
                )}
              </td>
            </tr>
            {(row.error || row.note || row.hooks.length > 0) && (
              <tr class="history-detail">
                <td colSpan={7}>
                  {row.note && <p class="note">{row.note}</p>}
                  {row.error && <pre class="error-text">{row.error}</pre>}
                  {row.hooks.length > 0 && <HookRecords hooks={row.hooks} />}
                </td>
              </tr>
            )}
          </tbody>
        )
      })}
    </table>
  )
}
