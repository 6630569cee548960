import {useEffect, useRef, useState} from 'preact/hooks'
import {SessionEnded} from '../api/client.js'
import {onChange, type ChangeEvent} from './event-stream.js'

export interface LiveResource<T> {
  /** The last data read; kept when a later read fails, so the page does not go blank. */
  data: T | null
  error: unknown
  reload: () => void
}

/**
 * Data read on mount and again on each change the event stream tells of that `concerns` it. A burst of
 * changes folds: at most one read in flight and one more queued behind it.
 */
export function useLiveResource<T>(key: string, load: () => Promise<T>, concerns: (change: ChangeEvent) => boolean): LiveResource<T> {
  const [state, setState] = useState<{key: string; data: T | null; error: unknown}>({key, data: null, error: null})
  const loadRef = useRef(load)
  const concernsRef = useRef(concerns)
  const reloadRef = useRef<() => void>(() => {})
  loadRef.current = load
  concernsRef.current = concerns

  useEffect(() => {
    let alive = true
    let inFlight = false
    let queued = false
    const read = async () => {
      if (inFlight) {
        queued = true
        return
      }
      inFlight = true
      do {
        queued = false
        try {
          const data = await loadRef.current()
          if (alive) setState({key, data, error: null})
        } catch (error) {
          // The login form replaces the page: nothing to show here.
          if (error instanceof SessionEnded) queued = false
          else if (alive) setState((previous) => ({...previous, error}))
        }
      } while (queued && alive)
      inFlight = false
    }
    reloadRef.current = () => void read()
    setState({key, data: null, error: null})
    void read()
    const stopListening = onChange((change) => {
      if (concernsRef.current(change)) void read()
    })
    return () => {
      alive = false
      stopListening()
    }
  }, [key])

  const reload = () => reloadRef.current()
  // Until the effect runs for a new key, the state is the old key's: not this page's data.
  if (state.key !== key) return {data: null, error: null, reload}
  return {data: state.data, error: state.error, reload}
}
