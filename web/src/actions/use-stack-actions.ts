import {useEffect, useRef, useState} from 'preact/hooks'
import {describeError, request, SessionEnded} from '../api/client.js'
import {stackPath, type StackAddress} from '../api/stack-api.js'
import type {RepositoryStatus} from '../api/types.js'
import {onProgress} from '../live/event-stream.js'
import {newActionId} from './action-id.js'
import {bodyOf, routeOf, successLine, type StackAction} from './stack-actions.js'

export interface ProgressStep {
  step: string
  /** Seconds since the action was sent, by this browser's clock. */
  seconds: number
}

export interface RunningAction {
  action: StackAction
  id: string
  startedAt: number
  steps: ProgressStep[]
}

export interface ActionOutcome {
  action: StackAction
  ok: boolean
  message: string
  hint: string | null
  seconds: number
  steps: ProgressStep[]
}

export interface StackActions {
  /** The action waiting for its confirmation. */
  asked: StackAction | null
  running: RunningAction | null
  outcome: ActionOutcome | null
  ask: (action: StackAction) => void
  cancel: () => void
  confirm: () => void
}

/** One action at a time per stack page: asked, confirmed, sent, followed on the event stream, answered. */
export function useStackActions(target: StackAddress, status: RepositoryStatus | null, onDone: () => void): StackActions {
  const [asked, setAsked] = useState<StackAction | null>(null)
  const [running, setRunning] = useState<RunningAction | null>(null)
  const [outcome, setOutcome] = useState<ActionOutcome | null>(null)
  const runningId = useRef<string | null>(null)
  const steps = useRef<ProgressStep[]>([])
  const startedAt = useRef(0)
  const alive = useRef(true)

  useEffect(() => {
    alive.current = true
    const stopListening = onProgress((progress) => {
      if (progress.action !== runningId.current) return
      steps.current = [...steps.current, {step: progress.step, seconds: (Date.now() - startedAt.current) / 1000}]
      setRunning((current) => current && {...current, steps: steps.current})
    })
    return () => {
      alive.current = false
      stopListening()
    }
  }, [])

  const run = async (action: StackAction) => {
    const started: RunningAction = {action, id: newActionId(), startedAt: Date.now(), steps: []}
    runningId.current = started.id
    startedAt.current = started.startedAt
    steps.current = []
    setOutcome(null)
    setRunning(started)
    let result: Pick<ActionOutcome, 'ok' | 'message' | 'hint'>
    try {
      const answer = await request<unknown>(`${stackPath(target)}/${routeOf(action)}`, {method: 'POST', body: bodyOf(action), actionId: started.id})
      result = {ok: true, message: successLine(action, target.address, target.stack ?? target.repo, answer), hint: null}
    } catch (error) {
      // On a 401 the login form replaces the page: no outcome to show.
      if (error instanceof SessionEnded) return
      result = {ok: false, ...describeError(error)}
    } finally {
      runningId.current = null
      if (alive.current) setRunning(null)
    }
    if (!alive.current) return
    setOutcome({action, ...result, seconds: (Date.now() - started.startedAt) / 1000, steps: steps.current})
    onDone()
  }

  return {
    asked,
    running,
    outcome,
    ask: (action) => {
      if (running || !status) return
      // A new action begins: the last one's outcome would be mistaken for its own.
      setOutcome(null)
      setAsked(action)
    },
    cancel: () => setAsked(null),
    confirm: () => {
      const action = asked
      setAsked(null)
      if (action && !running) void run(action)
    },
  }
}
