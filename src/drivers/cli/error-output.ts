// chalkStderr: colour as stderr is a terminal or not, whatever stdout is.
import {chalkStderr as chalk} from 'chalk'

import type {ErrorCode} from '../../model/errors.js'

export interface ErrorReport {
  /** `exit`: oclif's own exit (this.exit()), which prints nothing. */
  code: ErrorCode | 'exit'
  message: string
  hint?: string
  exitCode: number
}

/** The one place errors are printed: a JSON document on stdout with --json, else one line (and a hint) on stderr. */
export function printError(report: ErrorReport, json: boolean): void {
  if (json) {
    const error = {code: report.code, message: report.message, ...(report.hint ? {hint: report.hint} : {})}
    process.stdout.write(`${JSON.stringify({error}, null, 2)}\n`)
    return
  }
  const hint = report.hint ? `\n${chalk.dim(`Hint: ${report.hint}`)}` : ''
  process.stderr.write(`${chalk.red('Error:')} ${report.message}${hint}\n`)
}
