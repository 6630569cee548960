/**
 * Every failure kedge expects carries a stable machine code (for `--json` and the API),
 * a one-line message for a person, an optional hint, and the exit code the CLI uses.
 * Anything that is not a KedgeError is a bug and is reported as `internal`.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  invalidInput: 2,
  internal: 70,
} as const

/**
 * Every machine code kedge answers with, in `--json` and in the HTTP API. Both are interfaces others
 * script against, so a code is never renamed; a typo in one is a type error. docs/README.md's table of
 * error codes lists exactly these (test/unit/error-codes.test.ts).
 */
export const ERROR_CODES = [
  // Something outside kedge failed, or a deployment did (exit 1).
  'git_failed', 'store_unavailable', 'sqlite_unavailable', 'home_full', 'home_read_only', 'home_not_writable',
  'compose_failed', 'compose_missing', 'engine_unavailable', 'engine_error', 'engine_changed', 'engine_refused', 'engine_untrusted', 'round_overdue', 'project_taken',
  'busy', 'already_running', 'interrupted', 'unhealthy', 'no_snapshot',
  'deploy_failed', 'build_failed', 'plan_failed', 'rollback_failed', 'heal_failed', 'hook_failed', 'notify_failed',
  'auth_failed', 'auth_required', 'remote_redirected', 'host_key_unknown', 'host_key_changed',
  'token_missing', 'secret_key_missing', 'secret_key_mismatch', 'secret_unreadable', 'secret_key_unreadable',
  'ssh_missing', 'invalid_ssh_key', 'listen_failed', 'admin_token_unreadable', 'corrupt_row', 'outside_home',
  'secret_undecryptable', 'secret_tampered', 'age_key_missing', 'registry_failed', 'registry_auth_failed',
  // The input was refused (exit 2).
  'invalid_input', 'invalid_usage', 'unknown_command', 'invalid_url', 'invalid_name', 'invalid_branch',
  'invalid_path', 'invalid_interval', 'unknown_branch', 'invalid_config', 'no_compose_file', 'conflict',
  'not_found', 'no_home', 'invalid_commit', 'ambiguous_commit', 'invalid_auth', 'invalid_known_hosts',
  'invalid_secret_key', 'invalid_env_file', 'invalid_listen', 'invalid_compose_timeout',
  'invalid_admin_token', 'invalid_notify_url', 'invalid_events', 'confirmation_required', 'not_confirmed', 'stack_running', 'stack_held',
  'invalid_engine_host', 'invalid_engine_tls', 'invalid_docker_context', 'invalid_secret_file', 'invalid_age_key',
  // A bug in kedge (exit 70).
  'internal',
  // Only the HTTP side of kedge serve answers these (docs/http.md).
  'unauthorized', 'bad_signature', 'invalid_request', 'invalid_webhook', 'payload_too_large',
  'unsupported_media_type', 'uri_too_long', 'headers_too_large', 'request_timeout', 'not_watching', 'webhook_busy',
  'forbidden', 'csrf_failed', 'dashboard_missing',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface KedgeErrorOptions {
  hint?: string
  cause?: unknown
}

export abstract class KedgeError extends Error {
  abstract readonly code: ErrorCode
  abstract readonly exitCode: number
  readonly hint?: string

  constructor(message: string, options: KedgeErrorOptions = {}) {
    super(message, {cause: options.cause})
    this.name = new.target.name
    this.hint = options.hint
  }
}

/** A kind of error whose code the thrower names (the kind has a default where one fits). */
abstract class ChosenCodeError extends KedgeError {
  readonly code: ErrorCode

  constructor(message: string, options: KedgeErrorOptions & {code: ErrorCode}) {
    super(message, options)
    this.code = options.code
  }
}

/** The user gave kedge something it cannot accept: a flag, an argument, a file in their repository. */
export class InvalidInputError extends ChosenCodeError {
  readonly exitCode = ExitCode.invalidInput

  constructor(message: string, options: KedgeErrorOptions & {code?: ErrorCode} = {}) {
    super(message, {...options, code: options.code ?? 'invalid_input'})
  }
}

export class InvalidConfigError extends InvalidInputError {
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    detail: string,
    options: KedgeErrorOptions = {},
  ) {
    super(`${file}: ${field ? `${field}: ` : ''}${detail}`, {...options, code: 'invalid_config'})
  }
}

export class NotFoundError extends KedgeError {
  readonly code = 'not_found'
  readonly exitCode = ExitCode.invalidInput
}

export class ConflictError extends KedgeError {
  readonly code = 'conflict'
  readonly exitCode = ExitCode.invalidInput
}

/** A caller of the HTTP side without the right token or signature. */
export class UnauthorizedError extends ChosenCodeError {
  readonly exitCode = ExitCode.failed

  constructor(message: string, options: KedgeErrorOptions & {code?: ErrorCode} = {}) {
    super(message, {...options, code: options.code ?? 'unauthorized'})
  }
}

/** A caller of the HTTP side whose token or session may not do what it asked (a read-only token's write; a write without its CSRF token). */
export class ForbiddenError extends ChosenCodeError {
  readonly exitCode = ExitCode.failed

  constructor(message: string, options: KedgeErrorOptions & {code?: ErrorCode} = {}) {
    super(message, {...options, code: options.code ?? 'forbidden'})
  }
}

/** Something outside kedge (a git remote, the Docker engine, the disk) did not do what was asked. */
export class ExternalError extends ChosenCodeError {
  readonly exitCode = ExitCode.failed
}

/**
 * Compose refused or failed: `reason` is kedge's one line of what Compose said; Compose's whole output is
 * the cause, shown with --debug.
 */
export class ComposeFailedError extends ExternalError {
  constructor(
    readonly action: string,
    readonly reason: string,
    options: KedgeErrorOptions = {},
  ) {
    super(`compose could not ${action}: ${reason}`, {...options, code: 'compose_failed'})
  }
}

/**
 * kedge's own state holds what kedge never writes (its database edited by hand, or damaged): the value
 * is not used, and only what depends on it fails. `code` says which check refused it (corrupt_row, …).
 */
export class InvalidStateError extends ChosenCodeError {
  readonly exitCode = ExitCode.failed
}

export function isKedgeError(error: unknown): error is KedgeError {
  return error instanceof KedgeError
}

/** An expected failure as it is, anything else wrapped as an external failure with that code. */
export function asKedgeError(error: unknown, code: ErrorCode): KedgeError {
  return isKedgeError(error) ? error : new ExternalError(errorMessage(error), {code, cause: error})
}

/** How much of a value from input kedge echoes in a message: enough to recognise it, never a whole file. */
const ECHO_MAX_LENGTH = 80

/** `text` cut to the echo length, with "…" where it was cut. */
export function clipped(text: string): string {
  return text.length > ECHO_MAX_LENGTH ? `${text.slice(0, ECHO_MAX_LENGTH)}…` : text
}

/**
 * Input echoed in a message, in double quotes with a newline or control character in it escaped (as in
 * JSON), and cut short when long, so that what someone typed or pushed cannot break an error's one line
 * nor fill it.
 */
export function quoted(input: string): string {
  return JSON.stringify(clipped(input))
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
