import type {ClientRequest} from 'node:http'

/** How an exchange ends: with a value, or an error. */
export type ExchangeOutcome<T> = {value: T} | {error: Error}

/**
 * One HTTP exchange's end, settled once: by what `finish` is given, by `timeoutMs` running out, or by
 * `signal` aborting, whichever comes first. The end destroys the request and stops the timer and the
 * listener, so that nothing of the exchange outlives it.
 */
export function exchangeOnce<T>(
  request: ClientRequest,
  options: {timeoutMs: number; signal?: AbortSignal},
  ends: {timedOut: () => Error; abandoned: () => Error},
): {done: Promise<T>; finish: (outcome: ExchangeOutcome<T>) => void} {
  let settle: (outcome: ExchangeOutcome<T>) => void = () => undefined
  const done = new Promise<T>((resolve, reject) => {
    settle = (outcome) => ('error' in outcome ? reject(outcome.error) : resolve(outcome.value))
  })
  let settled = false
  const finish = (outcome: ExchangeOutcome<T>): void => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', abandon)
    request.destroy()
    settle(outcome)
  }
  const abandon = () => finish({error: ends.abandoned()})
  const timer = setTimeout(() => finish({error: ends.timedOut()}), options.timeoutMs)
  options.signal?.addEventListener('abort', abandon, {once: true})
  return {done, finish}
}
