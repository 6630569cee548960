/** Time, so that waits and timestamps can be driven by a test. */
export interface Clock {
  now(): Date
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}
