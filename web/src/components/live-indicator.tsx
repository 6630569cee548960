import {useEffect, useState} from 'preact/hooks'
import {liveState, onLiveState, openEventStream} from '../live/event-stream.js'

const WORDS = {connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', closed: 'disconnected'} as const

/** Whether the page hears of changes as they happen; when the server closed the stream, a way to open it again. */
export function LiveIndicator() {
  const [state, setState] = useState(liveState)
  useEffect(() => onLiveState(setState), [])
  return (
    <span class="live">
      <span class={`live-dot live-${state}`} data-live={state === 'live' ? 'true' : 'false'} role="status" title={state === 'live' ? 'The page updates as kedge acts' : 'Updates are paused until the connection is back'}>
        {WORDS[state]}
      </span>
      {state === 'closed' && (
        <button type="button" class="button quiet small" onClick={openEventStream}>
          Reconnect
        </button>
      )}
    </span>
  )
}
