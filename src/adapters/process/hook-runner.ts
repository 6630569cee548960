import {closeSync, fstatSync, openSync, readSync, statSync} from 'node:fs'
import path from 'node:path'

import {redact} from '../../model/secrets/redaction.js'
import type {HookExit, HookRun, HookRunner} from '../../ports/hook-runner.js'
import {runChild} from './child-process.js'
import {createPrivateDirectory, removePrivateDirectory} from './private-directory.js'

/** Of kedge's own environment, only what a script needs to find its tools and speak to the same engine: never a secret. */
const PASSED_VARIABLES = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG']

/** What is kept of a hook's output: its last lines are where it says why it failed. */
const KEPT_OUTPUT_CHARACTERS = 16 * 1024
/** Read of the output's end before it is redacted and cut to what is kept, so that a secret the cut would halve is masked whole first. */
const READ_OUTPUT_BYTES = 4 * KEPT_OUTPUT_CHARACTERS
/** A hook that prints more than this is stopped: its output would fill the disk, and only its end is kept. */
const MAX_OUTPUT_FILE_BYTES = 16 * 1024 * 1024
/** How often the output's size is looked at while the hook runs. */
const OUTPUT_CHECK_MS = 100
/** Between SIGTERM and SIGKILL for a hook past its timeout. */
const HOOK_KILL_GRACE_MS = 3_000

/**
 * The hook's output goes to a file, standard error joined to standard output (so that it reads in the
 * order it was printed), never to a pipe of kedge's: a process the hook leaves behind (a daemon it
 * started) holds the file, not kedge's end of a pipe, and the hook is over when its own process is. The
 * script text is fixed: the hook's path and the file's are its arguments `$0` and `$1`, never part of it.
 */
const TO_FILE = 'exec "$0" >"$1" 2>&1 </dev/null'
const TO_FILE_WITH_SH = 'exec /bin/sh "$0" >"$1" 2>&1 </dev/null'

export const hookRunner: HookRunner = {
  async run(hook: HookRun): Promise<HookExit> {
    const env: NodeJS.ProcessEnv = {}
    for (const name of PASSED_VARIABLES) if (process.env[name] !== undefined) env[name] = process.env[name]
    Object.assign(env, hook.variables)
    // Removed when the hook is over, and by kedge's exit or the next kedge should this one be killed first.
    const directory = createPrivateDirectory({onDisk: true})
    const outputFile = path.join(directory, 'output')
    // Stops the hook once its output passes the limit (runChild stops it as it would for an abort).
    const tooMuch = new AbortController()
    const watch = setInterval(() => {
      try {
        if ((statSync(outputFile, {throwIfNoEntry: false})?.size ?? 0) > MAX_OUTPUT_FILE_BYTES) tooMuch.abort()
      } catch {
        // Not readable now: the next look, or the hook's end, settles it.
      }
    }, OUTPUT_CHECK_MS)
    try {
      const started = performance.now()
      const outcome = await runChild({
        file: '/bin/sh',
        args: ['-c', hook.executable ? TO_FILE : TO_FILE_WITH_SH, hook.file, outputFile],
        cwd: hook.cwd,
        env,
        timeoutMs: hook.timeoutMs,
        signal: hook.signal ? AbortSignal.any([hook.signal, tooMuch.signal]) : tooMuch.signal,
        // The shell's own complaints only (it could not open the file): the hook's output is in the file.
        maxStdoutBytes: 64 * 1024,
        killGraceMs: HOOK_KILL_GRACE_MS,
      })
      return {
        code: outcome.code,
        signal: outcome.signal,
        timedOut: outcome.stopped === 'timeout',
        output:
          keptOutput(outputFile) +
          outcome.stdout.toString('utf8') +
          outcome.stderr +
          (tooMuch.signal.aborted ? `\n[stopped: it printed more than ${MAX_OUTPUT_FILE_BYTES / 1024 / 1024} MiB]` : ''),
        seconds: (performance.now() - started) / 1000,
      }
    } finally {
      clearInterval(watch)
      removePrivateDirectory(directory)
    }
  },
}

/** The end of what the hook printed, redacted and then cut to what is kept; how much was left out is said first. */
function keptOutput(file: string): string {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch {
    return ''
  }
  try {
    const size = fstatSync(fd).size
    const length = Math.min(size, READ_OUTPUT_BYTES)
    const buffer = Buffer.alloc(length)
    const read = readSync(fd, buffer, 0, length, size - length)
    const text = redact(buffer.subarray(0, read).toString('utf8'))
    if (size <= KEPT_OUTPUT_CHARACTERS && text.length <= KEPT_OUTPUT_CHARACTERS) return text
    const kept = text.slice(-KEPT_OUTPUT_CHARACTERS)
    return `[${size} bytes printed; the last ${kept.length} characters kept]\n${kept}`
  } finally {
    closeSync(fd)
  }
}
