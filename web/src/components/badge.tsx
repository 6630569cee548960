import type {StackHealth} from '../api/types.js'
import {HEALTH_LABELS, HEALTH_TONES, statusLabel, statusTone} from '../health.js'

/** `marked` puts data-health on the badge itself: the stack page's; an overview row carries it on the row. */
export function HealthBadge({health, marked = false}: {health: StackHealth; marked?: boolean}) {
  return (
    <span class={`badge tone-${HEALTH_TONES[health]}`} data-health={marked ? health : undefined}>
      {HEALTH_LABELS[health]}
    </span>
  )
}

export function StatusBadge({status}: {status: string}) {
  return <span class={`badge tone-${statusTone(status)}`}>{statusLabel(status)}</span>
}

/** The status as coloured text, where a badge would crowd the line. */
export function StatusWord({status}: {status: string}) {
  return <span class={`status-word text-${statusTone(status)}`}>{statusLabel(status)}</span>
}
