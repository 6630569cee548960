/**
 * The one EventSource of the page: the server tells of changes and of the steps of actions under way,
 * so nothing polls. EventSource reconnects by itself after a network error; a refusal (the session
 * ended, the server answered something else) closes it for good, and the page offers to reconnect.
 */

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'closed'

export interface ChangeEvent {
  /** The repository that changed; null when anything may have. */
  repo: string | null
}

export interface ProgressEvent {
  action: string
  address: string
  step: string
  at: string
}

type Listener<T> = (value: T) => void

const changeListeners = new Set<Listener<ChangeEvent>>()
const progressListeners = new Set<Listener<ProgressEvent>>()
const stateListeners = new Set<Listener<LiveState>>()
const closedListeners = new Set<() => void>()

let source: EventSource | null = null
let state: LiveState = 'closed'
let hasBeenOpen = false

export function openEventStream(): void {
  if (source && source.readyState !== EventSource.CLOSED) return
  source = new EventSource('/api/v1/events')
  setState(hasBeenOpen ? 'reconnecting' : 'connecting')
  source.addEventListener('open', () => {
    // Whatever changed while the stream was down was not told: every view reads again.
    if (hasBeenOpen) emit(changeListeners, {repo: null})
    hasBeenOpen = true
    setState('live')
  })
  source.addEventListener('error', () => {
    if (source?.readyState === EventSource.CLOSED) {
      setState('closed')
      for (const listener of closedListeners) listener()
    } else {
      setState('reconnecting')
    }
  })
  source.addEventListener('change', (event) => {
    const data = parsed<Partial<ChangeEvent>>(event)
    emit(changeListeners, {repo: typeof data?.repo === 'string' ? data.repo : null})
  })
  source.addEventListener('progress', (event) => {
    const data = parsed<ProgressEvent>(event)
    if (data && typeof data.action === 'string' && typeof data.step === 'string') emit(progressListeners, data)
  })
}

export function closeEventStream(): void {
  source?.close()
  source = null
  hasBeenOpen = false
  setState('closed')
}

export function liveState(): LiveState {
  return state
}

export function onChange(listener: Listener<ChangeEvent>): () => void {
  return subscribe(changeListeners, listener)
}

export function onProgress(listener: Listener<ProgressEvent>): () => void {
  return subscribe(progressListeners, listener)
}

export function onLiveState(listener: Listener<LiveState>): () => void {
  return subscribe(stateListeners, listener)
}

/** The server closed the stream for good: the app asks whether the session still holds. */
export function onStreamClosed(listener: () => void): () => void {
  return subscribe(closedListeners, listener)
}

function setState(next: LiveState): void {
  if (next === state) return
  state = next
  emit(stateListeners, next)
}

function subscribe<T>(listeners: Set<T>, listener: T): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

function emit<T>(listeners: Set<Listener<T>>, value: T): void {
  for (const listener of listeners) listener(value)
}

function parsed<T>(event: Event): T | null {
  try {
    return JSON.parse((event as MessageEvent<string>).data) as T
  } catch {
    return null
  }
}
