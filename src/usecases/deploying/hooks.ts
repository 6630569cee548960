import path from 'node:path'

import {DEFAULT_HOOK_TIMEOUT_MS, defaultHookFile, type HookName} from '../../model/config/hooks-config.js'
import type {KedgeConfig} from '../../model/config/kedge-config.js'
import {ExternalError, errorMessage} from '../../model/errors.js'
import type {HookRecord} from '../../model/repository/hook-record.js'
import {redact} from '../../model/secrets/redaction.js'
import type {RepositoryRow, StackTarget} from '../../model/rows.js'
import type {KedgeContext} from '../context.js'

/** What a hook is told of the deploy it runs for, as KEDGE_* variables. */
export interface HookFacts {
  commit: string
  previousCommit: string | null
  trigger: string
  /** `pending` for pre; the deployment's status for success and failure. */
  status: string
  error: string | null
}

/** Where the hook runs: the clone at the deployed commit, and the stack's settings (its kedge.yaml's `hooks:`). */
export interface HookPlace {
  repoDir: string
  config: KedgeConfig
}

/** The hook's file relative to the repository root: the one kedge.yaml names, else `hooks/<name>.sh` beside the kedge.yaml that governs the stack. */
function hookPath(repository: RepositoryRow, config: KedgeConfig, name: HookName): {file: string; named: boolean} {
  const named = config.hooks?.files[name]
  if (named !== undefined) return {file: named, named: true}
  const directory = config.file ? path.posix.dirname(config.file) : repository.path || '.'
  return {file: defaultHookFile(directory, name), named: false}
}

/**
 * Runs one of the stack's hooks, when the commit has it: null when it has none. Hooks are code of the
 * repository running on the host, so they run only when the operator allowed them for the repository
 * (`allow_hooks`); otherwise the record says they were there and skipped. A hook kedge.yaml names that is
 * missing from the commit is a failed hook. The output is redacted before it is kept.
 */
export async function runHook(context: KedgeContext, target: StackTarget, name: HookName, place: HookPlace, facts: HookFacts, signal?: AbortSignal): Promise<HookRecord | null> {
  const {repository, stack} = target
  const {file, named} = hookPath(repository, place.config, name)
  const record = (fields: Omit<HookRecord, 'hook' | 'file'>): HookRecord => ({hook: name, file, ...fields})
  let found: {path: string; executable: boolean} | null
  try {
    found = context.files.hookFile(place.repoDir, file)
  } catch (error) {
    // Refused (it leads outside the repository, or is no regular file): a failure only where hooks may run.
    const refusal = redact(errorMessage(error))
    return repository.allowHooks ? record({outcome: 'failed', exitCode: null, seconds: 0, output: '', note: refusal}) : skipped(record, repository, refusal)
  }
  if (found === null) {
    if (!named) return null
    const missing = 'kedge.yaml names it, and the commit has no such file'
    return repository.allowHooks ? record({outcome: 'failed', exitCode: null, seconds: 0, output: '', note: missing}) : skipped(record, repository, missing)
  }
  if (!repository.allowHooks) return skipped(record, repository)
  const timeoutMs = place.config.hooks?.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS
  try {
    const exit = await context.hooks.run({
      file: found.path,
      executable: found.executable,
      cwd: path.dirname(found.path),
      variables: {
        KEDGE_HOOK: name,
        KEDGE_REPOSITORY: repository.name,
        KEDGE_STACK: stack.name,
        KEDGE_COMMIT: facts.commit,
        KEDGE_PREVIOUS_COMMIT: facts.previousCommit ?? '',
        KEDGE_TRIGGER: facts.trigger,
        KEDGE_STATUS: facts.status,
        KEDGE_ERROR: facts.error === null ? '' : redact(facts.error),
      },
      timeoutMs,
      signal,
    })
    const output = redact(exit.output)
    const seconds = Math.round(exit.seconds * 1000) / 1000
    if (exit.timedOut) return record({outcome: 'timed_out', exitCode: exit.code, seconds, output, note: `stopped after ${timeoutMs / 1000} s (hooks.timeout)`})
    if (exit.code === 0) return record({outcome: 'ok', exitCode: 0, seconds, output})
    return record({outcome: 'failed', exitCode: exit.code, seconds, output, ...(exit.code === null ? {note: `ended by ${exit.signal ?? 'a signal'}`} : {})})
  } catch (error) {
    return record({outcome: 'failed', exitCode: null, seconds: 0, output: '', note: `could not start: ${redact(errorMessage(error))}`})
  }
}

/** A hook the repository holds but may not run: recorded as there and skipped, with what else was found wrong. */
function skipped(record: (fields: Omit<HookRecord, 'hook' | 'file'>) => HookRecord, repository: RepositoryRow, problem?: string): HookRecord {
  const why = `hooks are not allowed for this repository: run "kedge repo set ${repository.name} --allow-hooks" to allow them`
  return record({outcome: 'skipped', exitCode: null, seconds: 0, output: '', note: problem ? `${why} (and ${problem})` : why})
}

/** A pre hook that did not succeed stops the deploy: the error says which hook and why, with the last line it printed. */
export function preHookFailure(record: HookRecord): ExternalError | null {
  if (record.outcome === 'ok' || record.outcome === 'skipped') return null
  const lastLine = record.output.trim().split('\n').at(-1)?.trim()
  const ended = record.exitCode !== null ? `exited with ${record.exitCode}` : record.note?.startsWith('ended by') ? record.note : `failed: ${record.note ?? 'it did not run'}`
  const why = record.outcome === 'timed_out' ? record.note : `${ended}${lastLine ? `: ${lastLine}` : ''}`
  return new ExternalError(`the pre hook ${record.file} ${why}; nothing on the host was changed`, {
    code: 'hook_failed',
    hint: 'its output is in "kedge history --verbose"; fix the hook or what it checks, and push again',
  })
}
