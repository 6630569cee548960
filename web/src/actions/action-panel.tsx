import type {Ref} from 'preact'
import {Elapsed} from '../components/elapsed.js'
import {duration} from '../format.js'
import {failedLine, runningLine} from './stack-actions.js'
import type {ActionOutcome, ProgressStep, RunningAction} from './use-stack-actions.js'

/**
 * What the action under way does, step by step as the event stream tells it, then how it ended. A live
 * region, so a screen reader hears the steps; the ticking seconds stay out of it.
 */
export function ActionPanel({address, running, outcome, panelRef}: {address: string; running: RunningAction | null; outcome: ActionOutcome | null; panelRef: Ref<HTMLDivElement>}) {
  return (
    <div class="action-panel" ref={panelRef} tabIndex={-1} aria-live="polite">
      {running && (
        <>
          <p class="action-running">
            <span class="spinner" aria-hidden="true" />
            {runningLine(running.action, address)}…{' '}
            <span aria-hidden="true" class="muted">
              <Elapsed since={running.startedAt} />
            </span>
          </p>
          <Steps steps={running.steps} />
        </>
      )}
      {outcome && !running && (
        <>
          <Steps steps={outcome.steps} />
          <div class={`action-result ${outcome.ok ? 'result-good' : 'result-bad'}`} data-action-result={outcome.ok ? 'success' : 'failed'}>
            <p>
              {!outcome.ok && <strong>{failedLine(outcome.action)}: </strong>}
              {outcome.message} <span class="muted">({duration(outcome.seconds)})</span>
            </p>
            {outcome.hint && <p class="hint">{outcome.hint}</p>}
          </div>
        </>
      )}
    </div>
  )
}

function Steps({steps}: {steps: ProgressStep[]}) {
  if (steps.length === 0) return null
  return (
    <ol class="steps">
      {steps.map((step, index) => (
        <li key={index} data-action-step>
          <span class="step-time">{step.seconds.toFixed(1)} s</span> {step.step}
        </li>
      ))}
    </ol>
  )
}
