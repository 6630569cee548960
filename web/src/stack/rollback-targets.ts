import type {DeploymentView} from '../api/types.js'
import {isHoldRow} from './hold-rows.js'

/**
 * The rows that offer "Roll back to <sha>": successful deploys of a commit other than the deployed one
 * (a hold's row succeeds without deploying one), the newest row of each commit only, so that each
 * button names one commit once.
 */
export function rollbackTargets(rows: readonly DeploymentView[], deployedCommit: string | null): Set<number> {
  const targets = new Set<number>()
  const offered = new Set<string>()
  for (const row of rows) {
    if (row.status !== 'success' || isHoldRow(row) || row.commit === deployedCommit || offered.has(row.commit)) continue
    offered.add(row.commit)
    targets.add(row.id)
  }
  return targets
}
