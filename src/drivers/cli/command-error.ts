import {chalkStderr as chalk} from 'chalk'

import {ExitCode, isKedgeError, type KedgeError} from '../../model/errors.js'
import {redact, redactDeep} from '../../model/secrets/redaction.js'
import {printError, type ErrorReport} from './error-output.js'

/**
 * How a command's failure reaches the user, whoever ran the command: the exit code, the one-line
 * message (or the JSON error), and with `debug` the stack trace.
 */
export function reportCommandError(error: Error, options: {json: boolean; debug: boolean; storageFault: (error: unknown) => KedgeError | null}): void {
  // A full or read-only home is named as such, whichever library found it.
  const report = toErrorReport(options.storageFault(error) ?? error)
  process.exitCode = report.exitCode
  if (report.message.length > 0) printError(redactDeep(report), options.json)
  if (options.debug) for (const line of debugLines(error)) process.stderr.write(`${chalk.dim(redact(line))}\n`)
}

/** The stack trace, then each cause's (Compose's whole output, say), which the one-line message leaves out. */
function debugLines(error: unknown): string[] {
  const lines: string[] = []
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    lines.push(`${depth === 0 ? '' : 'Caused by: '}${current.stack ?? current.message}`)
  }
  return lines
}

function toErrorReport(error: Error): ErrorReport {
  if (isKedgeError(error)) return {code: error.code, message: error.message, hint: error.hint, exitCode: error.exitCode}
  const oclifExit = (error as {oclif?: {exit?: number}}).oclif?.exit
  if (error.name === 'ExitError' && oclifExit !== undefined) return {code: 'exit', message: '', exitCode: oclifExit}
  if (oclifExit !== undefined) {
    // oclif's own parse errors: a bad flag or argument.
    const [first = 'invalid usage', second] = error.message.split('\n').map((line) => line.trim()).filter(Boolean)
    const parsing = /^Parsing (--\S+)$/.exec(first)
    const message = parsing && second
      ? `invalid ${parsing[1]}: ${second.charAt(0).toLowerCase()}${second.slice(1)}` // a flag's own check ("Parsing --limit") says what is wrong on the next line
      : !second || !first.endsWith(':')
        ? first
        : /^The following errors? occurred:$/.test(first)
          ? second // oclif's flag relations (exclusive, dependsOn) say what is wrong on the next line
          : `${first} ${second.split(/\s+/)[0]}` // "Missing 1 required arg:" is followed by the argument's name and description
    return {
      code: 'invalid_usage',
      message,
      hint: 'see --help',
      exitCode: ExitCode.invalidInput,
    }
  }
  return {
    code: 'internal',
    message: `unexpected error: ${error.message}`,
    hint: 'run again with --debug for details, and report it if it persists',
    exitCode: ExitCode.internal,
  }
}
