import {useEffect, useRef, useState} from 'preact/hooks'
import {SessionEnded} from '../api/client.js'
import {loadDiff, type StackAddress} from '../api/stack-api.js'
import type {DiffResult} from '../api/types.js'

export interface DiffCheck {
  result: DiffResult | null
  error: unknown
  checking: boolean
  checkedAt: string | null
  check: () => void
}

/**
 * What the branch head would change. The server fetches the remote and takes the repository's lock
 * for it, so it is asked when the page opens and when someone asks again, never on live updates; and
 * only by an admin, since it acts (a read-only token is refused it).
 */
export function useDiff(target: StackAddress, stackName: string, allowed: boolean): DiffCheck {
  const [state, setState] = useState<Omit<DiffCheck, 'check'>>({result: null, error: null, checking: allowed, checkedAt: null})
  const alive = useRef(true)
  const inFlight = useRef(false)

  const check = async () => {
    if (inFlight.current || !allowed) return
    inFlight.current = true
    setState((previous) => ({...previous, checking: true}))
    try {
      const result = await loadDiff(target, stackName)
      if (alive.current) setState({result, error: null, checking: false, checkedAt: new Date().toISOString()})
    } catch (error) {
      if (alive.current && !(error instanceof SessionEnded)) setState((previous) => ({...previous, error, checking: false}))
    } finally {
      inFlight.current = false
    }
  }

  useEffect(() => {
    alive.current = true
    void check()
    return () => {
      alive.current = false
    }
  }, [])

  return {...state, check: () => void check()}
}
