/** One run of a repository's hook on the host. */
export interface HookRun {
  /** The hook's real path in the checkout. */
  file: string
  /** Run with /bin/sh when false. */
  executable: boolean
  cwd: string
  /** KEDGE_* variables; the runner adds a minimal, allowlisted part of kedge's own environment and nothing else. */
  variables: Record<string, string>
  timeoutMs: number
  signal?: AbortSignal
}

export interface HookExit {
  /** The exit status, null when a signal ended it. */
  code: number | null
  signal: string | null
  /** Stopped at its timeout. */
  timedOut: boolean
  /** The end of its standard output and error, redacted before it was cut (so that no secret is left half masked). */
  output: string
  seconds: number
}

/** Runs the hooks a repository holds (kedge.yaml `hooks:`), once the operator allowed them. */
export interface HookRunner {
  /** Resolves with how the hook ended, whatever that was; rejects only when it could not be started. */
  run(hook: HookRun): Promise<HookExit>
}
