import {describeError} from '../api/client.js'

/** A read that failed: the server's words, and a way to try again without reloading. */
export function LoadError({what, error, onRetry}: {what: string; error: unknown; onRetry: () => void}) {
  const {message, hint} = describeError(error)
  return (
    <div class="notice notice-bad" role="alert">
      <p>
        <strong>Could not load {what}:</strong> {message}
      </p>
      {hint && <p class="hint">{hint}</p>}
      <button type="button" class="button small" onClick={onRetry}>
        Try again
      </button>
    </div>
  )
}
