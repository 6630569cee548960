import type {DeploymentView} from '../api/types.js'

/** The triggers of a hold's rows (`down`, `suspend`, `resume`): recorded as deployments, they deploy no commit. */
const HOLD_TRIGGERS = new Set(['down', 'suspend', 'resume'])

export function isHoldRow(row: DeploymentView): boolean {
  return HOLD_TRIGGERS.has(row.trigger)
}
