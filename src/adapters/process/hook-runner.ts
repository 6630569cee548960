import type {HookExit, HookRun, HookRunner} from '../../ports/hook-runner.js'
import {runChild} from './child-process.js'

/** Of kedge's own environment, only what a script needs to find its tools and speak to the same engine: never a secret. */
const PASSED_VARIABLES = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG']

/** A hook printing more than this is stopped: kedge keeps only the end of what it printed anyway. */
const MAX_OUTPUT_BYTES = 1024 * 1024
/** What is kept of a hook's output: its last lines are where it says why it failed. */
const KEPT_OUTPUT_BYTES = 16 * 1024
/** Between SIGTERM and SIGKILL for a hook past its timeout. */
const HOOK_KILL_GRACE_MS = 3_000

/**
 * Standard error joins standard output (`2>&1`), so that the output reads in the order it was printed.
 * The script text is fixed: the hook's path is its argument `$0`, never part of it.
 */
const MERGED_OUTPUT = 'exec "$0" 2>&1'
const MERGED_OUTPUT_SH = 'exec /bin/sh "$0" 2>&1'

export const hookRunner: HookRunner = {
  async run(hook: HookRun): Promise<HookExit> {
    const env: NodeJS.ProcessEnv = {}
    for (const name of PASSED_VARIABLES) if (process.env[name] !== undefined) env[name] = process.env[name]
    Object.assign(env, hook.variables)
    const started = performance.now()
    const outcome = await runChild({
      file: '/bin/sh',
      args: ['-c', hook.executable ? MERGED_OUTPUT : MERGED_OUTPUT_SH, hook.file],
      cwd: hook.cwd,
      env,
      timeoutMs: hook.timeoutMs,
      signal: hook.signal,
      maxStdoutBytes: MAX_OUTPUT_BYTES,
      killGraceMs: HOOK_KILL_GRACE_MS,
    })
    const output = outcome.stdout.length > KEPT_OUTPUT_BYTES ? `[${outcome.stdout.length - KEPT_OUTPUT_BYTES} bytes left out]\n${outcome.stdout.subarray(-KEPT_OUTPUT_BYTES).toString('utf8')}` : outcome.stdout.toString('utf8')
    return {
      code: outcome.code,
      signal: outcome.signal,
      timedOut: outcome.stopped === 'timeout',
      output: output + outcome.stderr + (outcome.stopped === 'output_limit' ? `\n[stopped: printed more than ${MAX_OUTPUT_BYTES / 1024 / 1024} MiB]` : ''),
      seconds: (performance.now() - started) / 1000,
    }
  },
}
