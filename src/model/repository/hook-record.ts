import type {HookName} from '../config/hooks-config.js'

/** How a hook's run ended: `skipped` when the repository's hooks are not allowed to run on the host. */
export const HOOK_OUTCOMES = ['ok', 'failed', 'timed_out', 'skipped'] as const
export type HookOutcome = (typeof HOOK_OUTCOMES)[number]

/** One hook's run, as its deployment keeps it (the `hooks` column, a JSON list of these). */
export interface HookRecord {
  hook: HookName
  /** The hook's file, relative to the repository root. */
  file: string
  outcome: HookOutcome
  exitCode: number | null
  seconds: number
  /** What it printed (standard output and error), its end when it printed much, redacted. */
  output: string
  /** Why it failed or was skipped, in a few words. */
  note?: string
}

/** The records of a deployment's hooks, or [] when the row has none or holds what kedge never writes. */
export function parseHookRecords(stored: string | null): HookRecord[] {
  if (stored === null) return []
  try {
    const parsed: unknown = JSON.parse(stored)
    return Array.isArray(parsed) ? parsed.filter((entry): entry is HookRecord => typeof entry === 'object' && entry !== null && typeof entry.hook === 'string' && (HOOK_OUTCOMES as readonly unknown[]).includes(entry.outcome)) : []
  } catch {
    return []
  }
}
