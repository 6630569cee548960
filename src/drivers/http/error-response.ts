import {type ErrorCode, ExitCode, isKedgeError, type KedgeError} from '../../model/errors.js'

export interface ErrorBody {
  error: {code: ErrorCode; message: string; hint?: string}
}

/** HTTP statuses for kedge's error codes; the rest follow the error's class. */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  not_found: 404,
  conflict: 409,
  stack_held: 409,
  busy: 409,
  already_running: 409,
  unauthorized: 401,
  bad_signature: 401,
  forbidden: 403,
  csrf_failed: 403,
  dashboard_missing: 503,
  not_watching: 503,
  webhook_busy: 503,
  payload_too_large: 413,
  unsupported_media_type: 415,
  home_full: 507,
  home_read_only: 503,
  home_not_writable: 503,
}

/** One mapping from kedge's errors to HTTP, as the CLI has one to exit codes. */
export function errorResponse(error: unknown): {status: number; body: ErrorBody} {
  if (!isKedgeError(error)) {
    return {status: 500, body: {error: {code: 'internal', message: 'unexpected error', hint: 'see the log of kedge serve'}}}
  }
  return {status: statusOf(error), body: {error: {code: error.code, message: error.message, ...(error.hint ? {hint: error.hint} : {})}}}
}

function statusOf(error: KedgeError): number {
  const byCode = STATUS_BY_CODE[error.code]
  if (byCode) return byCode
  if (error.exitCode === ExitCode.invalidInput) return 400
  // Something outside kedge failed: a git remote, the engine, a deploy that did not come up.
  return 502
}
