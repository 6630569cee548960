import path from 'node:path'

import {z} from 'zod'

import {duration} from './duration-field.js'

/**
 * The deploy hooks (Konta's model): `pre` runs before the host changes and stops the deploy when it
 * fails; `success` and `failure` run once the outcome is recorded, and change nothing.
 */
export const HOOK_NAMES = ['pre', 'success', 'failure'] as const
export type HookName = (typeof HOOK_NAMES)[number]

/** How long a hook may run when kedge.yaml sets no `hooks.timeout`. */
export const DEFAULT_HOOK_TIMEOUT_MS = 60_000

/** The longest `hooks.timeout`: a hook runs inside a round of serve, which the deploy and its hooks must fit. */
export const MAX_HOOK_TIMEOUT_MS = 60 * 60_000

/** Where a hook is looked for when kedge.yaml names none: `hooks/<name>.sh` beside kedge.yaml. */
export const DEFAULT_HOOKS_DIRECTORY = 'hooks'

export interface HooksConfig {
  /** Each hook's file, relative to the repository root; a hook not named is looked for in `hooks/`. */
  files: Partial<Record<HookName, string>>
  timeoutMs?: number
}

const hookFile = z
  .string({error: 'expected a file path, relative to kedge.yaml'})
  .min(1, {error: 'expected a file path, relative to kedge.yaml'})
  .refine((file) => !file.startsWith('/'), {error: 'expected a path relative to kedge.yaml, inside the repository'})

/** kedge.yaml's `hooks:` section; a stack's own kedge.yaml sets it too, and then its hooks are the stack's. */
export const hooksSection = z.strictObject(
  {pre: hookFile.optional(), success: hookFile.optional(), failure: hookFile.optional(), timeout: duration.refine((ms) => ms <= MAX_HOOK_TIMEOUT_MS, {error: 'expected at most 1h'}).optional()},
  {error: 'expected a mapping of pre, success, failure and timeout'},
)

/** The section as kedge keeps it: each file made relative to the repository root, from kedge.yaml's directory (`file`). */
export function hooksConfigOf(section: z.output<typeof hooksSection>, file: string): HooksConfig {
  const directory = path.posix.dirname(file)
  const files: HooksConfig['files'] = {}
  for (const name of HOOK_NAMES) {
    const named = section[name]
    if (named !== undefined) files[name] = path.posix.join(directory, named)
  }
  return {files, ...(section.timeout === undefined ? {} : {timeoutMs: section.timeout})}
}

/** Where a hook kedge.yaml does not name is looked for: `hooks/<name>.sh` in `directory` (kedge.yaml's, relative to the repository root). */
export function defaultHookFile(directory: string, name: HookName): string {
  return path.posix.join(directory, DEFAULT_HOOKS_DIRECTORY, `${name}.sh`)
}
