import type {HookRecord} from '../api/types.js'
import {duration} from '../format.js'

/** What each hook of a deploy did, and what it printed (redacted by the server). */
export function HookRecords({hooks}: {hooks: HookRecord[]}) {
  return (
    <ul class="hooks plain">
      {hooks.map((hook, index) => (
        <li key={index} class="hook">
          <p>
            <strong>{hook.hook} hook</strong> <code>{hook.file}</code>: <span class={`hook-outcome outcome-${hook.outcome}`}>{outcomeWords(hook)}</span>
            {hook.outcome !== 'skipped' && `, ${duration(hook.seconds)}`}
            {hook.note && <span class="muted"> ({hook.note})</span>}
          </p>
          {hook.output !== '' && <pre class="output">{hook.output}</pre>}
        </li>
      ))}
    </ul>
  )
}

function outcomeWords(hook: HookRecord): string {
  const outcome = hook.outcome.replaceAll('_', ' ')
  return hook.exitCode === null ? outcome : `${outcome}, exit ${hook.exitCode}`
}
