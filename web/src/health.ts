import type {StackHealth} from './api/types.js'

/** How each health reads to a person; a Record, so a health added on the server (model/stack/stack-health.ts) fails the type check here. */
export const HEALTH_LABELS: Record<StackHealth, string> = {
  deploying: 'deploying',
  down: 'down',
  suspended: 'suspended',
  gone: 'gone from the repository',
  drifted: 'drifted',
  failed: 'failed',
  rolled_back: 'rolled back',
  not_deployed: 'not deployed',
  behind: 'behind the branch',
  in_sync: 'in sync',
}

/** What needs a person first comes first, as the server ranks them. */
const HEALTH_RANK: Record<StackHealth, number> = {
  deploying: 0,
  down: 1,
  suspended: 2,
  gone: 3,
  drifted: 4,
  failed: 5,
  rolled_back: 6,
  not_deployed: 7,
  behind: 8,
  in_sync: 9,
}

export const HEALTHS = (Object.keys(HEALTH_RANK) as StackHealth[]).sort((a, b) => HEALTH_RANK[a] - HEALTH_RANK[b])

export function healthRank(health: StackHealth): number {
  return HEALTH_RANK[health]
}

/** A colour family for a badge; the badge always says its word too. */
export type Tone = 'good' | 'info' | 'warn' | 'bad' | 'muted'

export const HEALTH_TONES: Record<StackHealth, Tone> = {
  deploying: 'info',
  down: 'muted',
  suspended: 'muted',
  gone: 'muted',
  drifted: 'warn',
  failed: 'bad',
  rolled_back: 'warn',
  not_deployed: 'muted',
  behind: 'info',
  in_sync: 'good',
}

const STATUS_TONES: Record<string, Tone> = {
  success: 'good',
  pending: 'info',
  failed: 'bad',
  rolled_back: 'warn',
  skipped: 'muted',
  removed: 'muted',
}

/** A deployment's status (success, failed, ...) as a badge's colour. */
export function statusTone(status: string): Tone {
  return STATUS_TONES[status] ?? 'muted'
}

export function statusLabel(status: string): string {
  return status.replaceAll('_', ' ')
}
