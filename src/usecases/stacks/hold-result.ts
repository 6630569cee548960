import {toDeploymentView, type DeploymentView} from '../../model/repository/deployment-view.js'
import type {HoldView} from '../../model/stack/stack-hold.js'
import type {HoldChange} from './holds.js'
import type {StackTakenDown} from './take-down.js'

/** One stack's part in `kedge down`, `suspend` or `resume`, as `--json` shows it. */
export interface HoldResult {
  address: string
  stack: string
  hold: HoldView | null
  changed: boolean
  deployment: DeploymentView | null
  takenDown?: StackTakenDown | null
  error?: {code: string; message: string}
}

export function toHoldResult(change: HoldChange): HoldResult {
  return {
    address: change.address,
    stack: change.stack,
    hold: change.hold,
    changed: change.changed,
    deployment: change.deployment ? toDeploymentView(change.deployment, change.stack) : null,
    ...(change.takenDown !== undefined ? {takenDown: change.takenDown} : {}),
    ...(change.error ? {error: {code: change.error.code, message: change.error.message}} : {}),
  }
}
