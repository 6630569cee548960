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

export interface KedgeErrorOptions {
  hint?: string
  cause?: unknown
}

export abstract class KedgeError extends Error {
  abstract readonly code: string
  abstract readonly exitCode: number
  readonly hint?: string

  constructor(message: string, options: KedgeErrorOptions = {}) {
    super(message, {cause: options.cause})
    this.name = new.target.name
    this.hint = options.hint
  }
}

/** The user gave kedge something it cannot accept: a flag, an argument, a file in their repository. */
export class InvalidInputError extends KedgeError {
  readonly code: string
  readonly exitCode = ExitCode.invalidInput

  constructor(message: string, options: KedgeErrorOptions & {code?: string} = {}) {
    super(message, options)
    this.code = options.code ?? 'invalid_input'
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
export class UnauthorizedError extends KedgeError {
  readonly code: string
  readonly exitCode = ExitCode.failed

  constructor(message: string, options: KedgeErrorOptions & {code?: string} = {}) {
    super(message, options)
    this.code = options.code ?? 'unauthorized'
  }
}

/** Something outside kedge (a git remote, the Docker engine, the disk) did not do what was asked. */
export class ExternalError extends KedgeError {
  readonly code: string
  readonly exitCode = ExitCode.failed

  constructor(message: string, options: KedgeErrorOptions & {code: string}) {
    super(message, options)
    this.code = options.code
  }
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
export class InvalidStateError extends KedgeError {
  readonly code: string
  readonly exitCode = ExitCode.failed

  constructor(message: string, options: KedgeErrorOptions & {code: string}) {
    super(message, options)
    this.code = options.code
  }
}

export function isKedgeError(error: unknown): error is KedgeError {
  return error instanceof KedgeError
}

/** An expected failure as it is, anything else wrapped as an external failure with that code. */
export function asKedgeError(error: unknown, code: string): KedgeError {
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
