import {readFileSync} from 'node:fs'

/** The commands the fast path runs: the read commands people and scripts call most, by oclif command id. */
export const HOT_COMMAND_IDS = ['repo:list', 'status', 'history'] as const
export type HotCommandId = (typeof HOT_COMMAND_IDS)[number]

/** How the fast path reads a flag's value; a flag of any other kind keeps its command out of the fast path. */
export type FlagKind = 'boolean' | 'string' | 'integer'

export interface FastPathFlag {
  kind: FlagKind
  /** The variable oclif reads the value from when the flag is not given. */
  env?: string
  default?: string | number | boolean
  required?: boolean
  /** Integers: the bounds oclif checks. */
  min?: number
  max?: number
}

/** What of oclif's configuration decides whether it would behave differently from the fast path. */
export interface OclifSettings {
  /** The prefix of oclif's own variables: KEDGE_ for KEDGE_DEBUG. */
  envPrefix: string
  /** Where oclif looks for a user's theme and plugins, under the configuration and data directories. */
  dirname: string
}

/**
 * What the fast path knows of oclif's configuration and of the hot commands' flags. The build writes it
 * (scripts/fast-path.js) from oclif's own manifest and the command classes, so no flag is declared twice.
 */
export interface FastPathManifest {
  oclif: OclifSettings
  commands: Record<HotCommandId, {flags: Record<string, FastPathFlag>}>
}

export const FAST_PATH_MANIFEST_FILE = 'manifest.json'

/** The manifest the build wrote next to the fast path's bundle. */
export function readFastPathManifest(): FastPathManifest {
  return JSON.parse(readFileSync(new URL(FAST_PATH_MANIFEST_FILE, import.meta.url), 'utf8')) as FastPathManifest
}
