import {createHash} from 'node:crypto'

import {YAMLParseError} from 'yaml'
import {z} from 'zod'

import {clipped, errorMessage, InvalidConfigError, quoted} from '../errors.js'
import {KEDGE_CONFIG_MAX_TOKENS, parseBoundedYaml, YamlTooComplexError} from './bounded-yaml.js'
import {DURATION_EXPECTED, parseDuration} from './duration.js'
import {DEFAULT_RECONCILIATION_MODE, RECONCILIATION_MODES, type ReconciliationMode} from './reconciliation-mode.js'

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
export const LOG_FORMATS = ['text', 'json'] as const
export const CONFIG_FILENAMES = ['kedge.yaml', 'kedge.yml'] as const
/** reconciliation.health_timeout when kedge.yaml sets none. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 60_000

/** Compose's own rule for project names. */
export const PROJECT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/

/** The Compose specification's rule for profile names. */
export const PROFILE_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

export interface KedgeConfig {
  /** Where the file was read from, relative to the repository root; null when there is none. */
  file: string | null
  projectName?: string
  composeFiles?: string[]
  /** Compose profiles enabled in every Compose command; services of other profiles are not deployed. */
  profiles: readonly string[]
  mode: ReconciliationMode
  intervalMs?: number
  /** Remove containers kedge labelled whose service is gone, and surplus replicas. */
  prune: boolean
  /** The flap guard: at most `maxHeals` heals in `healWindowMs`, then kedge stops healing and reports it. */
  maxHeals: number
  healWindowMs: number
  /** How long a deploy waits for the services it changed to run (and be healthy) before it counts as failed. */
  healthTimeoutMs: number
  /** Roll back to the last good deployment when a deploy fails after `up`. */
  rollbackOnFailure: boolean
  /** How many deployed commits' trees kedge keeps for rollback. */
  keepReleases: number
  /** Only what the file sets: `serve` falls back to its own flags for the rest. */
  logging: {level?: (typeof LOG_LEVELS)[number]; format?: (typeof LOG_FORMATS)[number]}
}

const oneOf = (values: readonly string[]) => `one of ${values.join(', ')}`

const duration = z.union([z.string(), z.number()], {error: `expected ${DURATION_EXPECTED}`}).transform((value, ctx) => {
  const ms = parseDuration(value)
  if (ms === null) {
    ctx.addIssue({code: 'custom', message: `expected ${DURATION_EXPECTED}, got ${typeof value === 'string' ? quoted(value) : value}`})
    return z.NEVER
  }
  return ms
})

const relativeFile = z.string({error: 'expected a file path'}).min(1, {error: 'expected a file path'})

/** Sections the Go kedge reads from its own global config; accepted so its files work unchanged, and unused. */
const compatibilitySection = z.record(z.string(), z.unknown(), {error: 'expected a mapping'}).optional()

const schema = z.strictObject(
  {
    docker: z
      .strictObject(
        {
          project_name: z
            .string({error: 'expected a string'})
            .regex(PROJECT_NAME_PATTERN, {
              error: 'expected lower-case letters, digits, "-" and "_", starting with a letter or digit',
            })
            .optional(),
          compose_file: z
            .union([relativeFile, z.array(relativeFile).min(1, {error: 'expected at least one file'})], {
              error: 'expected a file path or a list of file paths',
            })
            .optional(),
          profiles: z
            .array(
              z.string({error: 'expected a profile name'}).regex(PROFILE_NAME_PATTERN, {
                error: 'expected profile names of letters, digits, "_", "." and "-", starting with a letter or digit',
              }),
              {error: 'expected a list of profile names'},
            )
            .optional(),
        },
        {error: 'expected a mapping'},
      )
      .optional(),
    reconciliation: z
      .strictObject(
        {
          mode: z.enum(RECONCILIATION_MODES, {error: `expected ${oneOf(RECONCILIATION_MODES)}`}).optional(),
          interval: duration.optional(),
          prune: z.boolean({error: 'expected true or false'}).optional(),
          max_heals: z.number({error: 'expected a whole number'}).int({error: 'expected a whole number'}).min(0, {error: 'expected 0 or more'}).optional(),
          heal_window: duration.optional(),
          health_timeout: duration.optional(),
          rollback_on_failure: z.boolean({error: 'expected true or false'}).optional(),
          keep_releases: z.number({error: 'expected a whole number'}).int({error: 'expected a whole number'}).min(1, {error: 'expected 1 or more'}).optional(),
        },
        {error: 'expected a mapping'},
      )
      .optional(),
    logging: z
      .strictObject(
        {
          level: z.enum(LOG_LEVELS, {error: `expected ${oneOf(LOG_LEVELS)}`}).optional(),
          format: z.enum(LOG_FORMATS, {error: `expected ${oneOf(LOG_FORMATS)}`}).optional(),
        },
        {error: 'expected a mapping'},
      )
      .optional(),
    git: compatibilitySection,
    state: compatibilitySection,
    server: compatibilitySection,
    telemetry: compatibilitySection,
  },
  {error: 'expected a mapping at the top level'},
)

/**
 * Invalid files, kept with their error by a hash of their content: a hostile commit's kedge.yaml (an
 * alias bomb, a file at the token bound) is not parsed again wherever it is read again (docs/hostile-commits.md).
 * A valid file is not kept: a round of serve reads it once, and the deployed one is parsed once per deployment.
 */
const refusedConfigs = new Map<string, InvalidConfigError>()
const REFUSED_CONFIGS_KEPT = 512

/** Parses the text of a kedge.yaml; `file` names it in errors. Pure: no file system access. The result is frozen. */
export function parseKedgeConfig(text: string, file: string): KedgeConfig {
  const key = createHash('sha256').update(file).update('\u0000').update(text).digest('base64')
  const refused = refusedConfigs.get(key)
  if (refused) throw refused
  try {
    return deepFreeze(parseConfigText(text, file))
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error
    if (refusedConfigs.size >= REFUSED_CONFIGS_KEPT) refusedConfigs.delete(refusedConfigs.keys().next().value!)
    refusedConfigs.set(key, error)
    throw error
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}

function parseConfigText(text: string, file: string): KedgeConfig {
  let document: unknown
  try {
    // Warnings (an unknown tag, a collection as a key) are not printed; the schema refuses those anyway.
    document = parseBoundedYaml(text, {maxTokens: KEDGE_CONFIG_MAX_TOKENS})
  } catch (error) {
    if (error instanceof YamlTooComplexError) {
      throw new InvalidConfigError(file, undefined, `too large to parse: ${error.message}`, {hint: 'a kedge.yaml holds a few settings; see docs/hostile-commits.md'})
    }
    // The parser also throws plain errors, e.g. on an alias bomb ("Excessive alias count").
    const where = error instanceof YAMLParseError && error.linePos?.[0] ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}: ` : ''
    const reason = clipped(firstLine(errorMessage(error)).replace(/\s*at line \d+, column \d+:?$/, ''))
    throw new InvalidConfigError(file, undefined, `invalid YAML: ${where}${reason}`)
  }
  const parsed = schema.safeParse(document ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.path.join('.')
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => (field ? `${field}.${plainKey(key)}` : plainKey(key)))
      throw new InvalidConfigError(file, keys[0], `unknown field (expected ${knownFields(issue.path)})`)
    }
    throw new InvalidConfigError(file, field || undefined, issue.message)
  }
  const {docker, reconciliation, logging} = parsed.data
  return {
    file,
    projectName: docker?.project_name,
    composeFiles: docker?.compose_file === undefined ? undefined : [docker.compose_file].flat(),
    profiles: [...new Set(docker?.profiles ?? [])],
    mode: reconciliation?.mode ?? DEFAULT_RECONCILIATION_MODE,
    intervalMs: reconciliation?.interval,
    prune: reconciliation?.prune ?? true,
    maxHeals: reconciliation?.max_heals ?? 5,
    healWindowMs: reconciliation?.heal_window ?? 5 * 60_000,
    healthTimeoutMs: reconciliation?.health_timeout ?? DEFAULT_HEALTH_TIMEOUT_MS,
    rollbackOnFailure: reconciliation?.rollback_on_failure ?? true,
    keepReleases: reconciliation?.keep_releases ?? 10,
    logging: {level: logging?.level, format: logging?.format},
  }
}

/** Frozen, so one value serves every caller. */
const DEFAULT_CONFIG = parseKedgeConfig('', '')

export function defaultKedgeConfig(): KedgeConfig {
  return DEFAULT_CONFIG
}

function knownFields(sectionPath: PropertyKey[]): string {
  let shape: z.ZodRawShape = schema.shape
  for (const key of sectionPath) {
    const inner = (shape[String(key)] as z.ZodOptional<z.ZodObject> | undefined)?.unwrap()
    shape = inner?.shape ?? {}
  }
  return Object.keys(shape).join(', ')
}

/** A key as written when it looks like one, else quoted (and cut short): a key may hold a newline, or a megabyte. */
function plainKey(key: string): string {
  return /^[\w.-]{1,80}$/.test(key) ? key : quoted(key)
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim()
}
