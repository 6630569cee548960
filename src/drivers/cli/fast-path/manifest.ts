import {readFileSync} from 'node:fs'

/** The commands the fast path runs: the read commands people and scripts call most, by oclif command id. */
export const HOT_COMMAND_IDS = ['repo:list', 'status', 'history'] as const
export type HotCommandId = (typeof HOT_COMMAND_IDS)[number]

/** How the fast path reads a flag's value; oclif alone runs a command with a flag of any other kind. */
export type FlagKind = 'boolean' | 'string' | 'integer'

export interface FastPathFlag {
  kind: FlagKind
  /** The one-letter form (`-r`), if the flag declares one. */
  char?: string
  /** Its other names and letters (oclif's aliases and charAliases): an argument naming one is left to oclif. */
  aliases?: string[]
  /** The variable oclif reads the value from when the flag is not given. */
  env?: string
  default?: string | number | boolean
  required?: boolean
  /** Integers: the bounds oclif checks. */
  min?: number
  max?: number
}

/** A positional argument: a string taken as it is given (oclif's Args.string without options). */
export interface FastPathArg {
  required?: boolean
  default?: string
  /** Without it, oclif reads a missing argument from standard input, which the fast path leaves to oclif. */
  ignoreStdin?: boolean
}

export interface FastPathCommand {
  flags: Record<string, FastPathFlag>
  /** In their declared order, as oclif assigns them. */
  args: Record<string, FastPathArg>
  /** Whether a word after the command's own could name a longer command (oclif would then run that one). */
  hasSubcommands: boolean
  /** oclif's enableJsonFlag: `--json` asks for the result as JSON. */
  jsonFlag: boolean
}

/** What of oclif's configuration decides whether it would behave differently from the fast path. */
export interface OclifSettings {
  /** The prefix of oclif's own variables: KEDGE_ for KEDGE_DEBUG. */
  envPrefix: string
  /** Where oclif looks for a user's theme and plugins, under the configuration and data directories. */
  dirname: string
  /** Arguments for which oclif shows help instead of running the command (`--help` and any additionalHelpFlags). */
  helpFlags: string[]
  /** First arguments for which oclif prints its version (`--version` and any additionalVersionFlags). */
  versionFlags: string[]
}

/**
 * What the fast path knows of oclif's configuration and of the hot commands' flags and arguments. The
 * build writes it (scripts/fast-path.js) from oclif's own manifest and the command classes, so nothing
 * is declared twice. A hot command that declares something the fast path cannot read exactly as oclif
 * does is absent from `commands` (and named, with the reason, in `oclifOnly`): oclif runs it.
 */
export interface FastPathManifest {
  oclif: OclifSettings
  commands: Partial<Record<HotCommandId, FastPathCommand>>
  oclifOnly: Partial<Record<HotCommandId, string>>
}

export const FAST_PATH_MANIFEST_FILE = 'manifest.json'

/** The manifest the build wrote next to the fast path's bundle. */
export function readFastPathManifest(): FastPathManifest {
  return JSON.parse(readFileSync(new URL(FAST_PATH_MANIFEST_FILE, import.meta.url), 'utf8')) as FastPathManifest
}
