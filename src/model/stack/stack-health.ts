import type {StackHold} from '../repository/column-values.js'

/**
 * A stack's state at a glance, as the dashboard shows it. One word for what needs a person first: a
 * deploy under way, then a hold someone set, then what runs against what should (drift), then how the
 * last deploy went, then whether the branch moved on.
 */
export const STACK_HEALTHS = ['deploying', 'down', 'suspended', 'gone', 'drifted', 'failed', 'rolled_back', 'not_deployed', 'behind', 'in_sync'] as const
export type StackHealth = (typeof STACK_HEALTHS)[number]

/** What the health is read from: the parts of a stack's status that decide it. */
export interface HealthInputs {
  hold: {kind: StackHold} | null
  lastDeployment: {status: string; trigger: string} | null
  deployed: {commit: string} | null
  inSync: boolean
  driftCount: number
}

export function stackHealth(inputs: HealthInputs): StackHealth {
  const {hold, lastDeployment: last} = inputs
  if (last?.status === 'pending') return 'deploying'
  if (hold) return hold.kind
  if (inputs.driftCount > 0) return 'drifted'
  if (last?.status === 'failed') return 'failed'
  // A rollback, by hand or kedge's own after a failed deploy, is recorded with this status (rollback.ts).
  if (last?.status === 'rolled_back') return 'rolled_back'
  if (!inputs.deployed) return 'not_deployed'
  return inputs.inSync ? 'in_sync' : 'behind'
}
