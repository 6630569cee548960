// chalkStderr: colour as stderr is a terminal or not, whatever stdout is.
import {chalkStderr as chalk} from 'chalk'

import {redact} from '../../model/secrets/redaction.js'
import type {Progress} from '../../ports/progress.js'
import type {Showing} from '../composition.js'

/**
 * What a command shows on stderr while it works. Its steps only on a terminal, and not under --json: a
 * script reads the result, not the way there. Compose's own output only when asked (--verbose), whatever
 * stderr is, redacted a whole line at a time so that no secret is cut in two and slips through.
 */
export function showingOn(stderr: NodeJS.WriteStream, options: {json: boolean; verbose: boolean}): Showing {
  const started = Date.now()
  const progress: Progress | undefined =
    stderr.isTTY && !options.json ? {step: (what) => stderr.write(`${chalk.dim(`[${seconds(Date.now() - started)}]`)} ${redact(what)}…\n`)} : undefined
  return {progress, composeOutput: options.verbose ? lineByLine((line) => stderr.write(`${chalk.dim('  compose:')} ${redact(line)}\n`)) : undefined}
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`.padStart(6)
}

/** Chunks as they come, written out a whole line at a time; Compose ends its output with a newline. */
function lineByLine(write: (line: string) => void): (chunk: Buffer) => void {
  let pending = ''
  return (chunk) => {
    const lines = (pending + chunk.toString('utf8')).split(/\r?\n|\r/)
    pending = lines.pop() ?? ''
    for (const line of lines) if (line.trim() !== '') write(line)
  }
}
