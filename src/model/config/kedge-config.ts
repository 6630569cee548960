import {z} from 'zod'

import {deepFreeze, keepingRefusals, parseConfigDocument, validated} from './config-document.js'
import {duration} from './duration-field.js'
import {DEFAULT_RECONCILIATION_MODE, RECONCILIATION_MODES, type ReconciliationMode} from './reconciliation-mode.js'
import {hooksConfigOf, hooksSection, type HooksConfig} from './hooks-config.js'
import {stackEntries, type StackEntry} from './stack-entries.js'
import {secretFilesOf, secretsSection, type SecretFile} from './secrets-config.js'

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
export const LOG_FORMATS = ['text', 'json'] as const
export const CONFIG_FILENAMES = ['kedge.yaml', 'kedge.yml'] as const
/** reconciliation.health_timeout when kedge.yaml sets none. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 60_000
/** reconciliation.image_update_interval when kedge.yaml sets none: tags move rarely, and each check is a request to the registry per image. */
export const DEFAULT_IMAGE_UPDATE_INTERVAL_MS = 6 * 60 * 60_000
/** The shortest image_update_interval: public registries limit how often they may be asked. */
export const MIN_IMAGE_UPDATE_INTERVAL_MS = 60_000

/** Compose's own rule for project names. */
export const PROJECT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/

/** How a stack is applied: `compose up` on an engine, or `docker stack deploy` on a Swarm manager (docs/multi-host.md). */
export const DEPLOY_TARGETS = ['compose', 'swarm'] as const
export type DeployTarget = (typeof DEPLOY_TARGETS)[number]

/** The Compose specification's rule for profile names. */
export const PROFILE_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

export interface KedgeConfig {
  /** Where the file was read from, relative to the repository root; null when there is none. */
  file: string | null
  projectName?: string
  composeFiles?: string[]
  /** Compose profiles enabled in every Compose command; services of other profiles are not deployed. */
  profiles: readonly string[]
  /** `compose` (the default) or `swarm`. */
  target: DeployTarget
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
  /** The repository's stacks as listed; undefined when kedge.yaml lists none (model/stack/stack-layout.ts). */
  stacks?: readonly StackEntry[]
  /** The deploy hooks kedge.yaml names (see hooks-config.ts); undefined leaves the defaults in `hooks/`. */
  hooks?: HooksConfig
  /** SOPS-encrypted files kedge decrypts and hands to Compose (secrets-config.ts). */
  secrets: readonly SecretFile[]
  /** Whether kedge follows the images behind the stack's mutable tags (docs/images.md), and how often it asks the registries. */
  imageUpdates: boolean
  imageUpdateIntervalMs: number
}

const oneOf = (values: readonly string[]) => `one of ${values.join(', ')}`

const relativeFile = z.string({error: 'expected a file path'}).min(1, {error: 'expected a file path'})

/** Sections the Go kedge reads from its own global config; accepted so its files work unchanged, and unused. */
const compatibilitySection = z.record(z.string(), z.unknown(), {error: 'expected a mapping'}).optional()

/** kedge.yaml's `docker:` section; a stack's own kedge.yaml sets it too (stack-config.ts). */
export const dockerSection = z.strictObject(
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
    target: z.enum(DEPLOY_TARGETS, {error: `expected ${oneOf(DEPLOY_TARGETS)}`}).optional(),
  },
  {error: 'expected a mapping'},
)

/** The fields of kedge.yaml's `reconciliation:` section; a stack's own kedge.yaml sets all but `interval` (stack-config.ts). */
export const reconciliationFields = {
  mode: z.enum(RECONCILIATION_MODES, {error: `expected ${oneOf(RECONCILIATION_MODES)}`}).optional(),
  interval: duration.optional(),
  prune: z.boolean({error: 'expected true or false'}).optional(),
  max_heals: z.number({error: 'expected a whole number'}).int({error: 'expected a whole number'}).min(0, {error: 'expected 0 or more'}).optional(),
  heal_window: duration.optional(),
  health_timeout: duration.optional(),
  rollback_on_failure: z.boolean({error: 'expected true or false'}).optional(),
  keep_releases: z.number({error: 'expected a whole number'}).int({error: 'expected a whole number'}).min(1, {error: 'expected 1 or more'}).optional(),
  image_updates: z.boolean({error: 'expected true or false'}).optional(),
  image_update_interval: duration.refine((ms) => ms >= MIN_IMAGE_UPDATE_INTERVAL_MS, {error: 'expected at least 1m'}).optional(),
}

const schema = z.strictObject(
  {
    docker: dockerSection.optional(),
    reconciliation: z.strictObject(reconciliationFields, {error: 'expected a mapping'}).optional(),
    logging: z
      .strictObject(
        {
          level: z.enum(LOG_LEVELS, {error: `expected ${oneOf(LOG_LEVELS)}`}).optional(),
          format: z.enum(LOG_FORMATS, {error: `expected ${oneOf(LOG_FORMATS)}`}).optional(),
        },
        {error: 'expected a mapping'},
      )
      .optional(),
    stacks: stackEntries.optional(),
    hooks: hooksSection.optional(),
    secrets: secretsSection.optional(),
    git: compatibilitySection,
    state: compatibilitySection,
    server: compatibilitySection,
    telemetry: compatibilitySection,
  },
  {error: 'expected a mapping at the top level'},
)

/** The sections only a repository's own kedge.yaml sets: the Go kedge's global ones, accepted and unused. */
export const COMPATIBILITY_SECTIONS = ['git', 'state', 'server', 'telemetry'] as const

/** Parses the text of a kedge.yaml; `file` names it in errors. Pure: no file system access. The result is frozen. */
export function parseKedgeConfig(text: string, file: string): KedgeConfig {
  return parseOnce(text, file)
}

const parseOnce = keepingRefusals((text, file) => deepFreeze(parseConfigText(text, file)))

function parseConfigText(text: string, file: string): KedgeConfig {
  const {docker, reconciliation, logging, stacks, hooks, secrets} = validated(schema, parseConfigDocument(text, file), file)
  return {
    file,
    projectName: docker?.project_name,
    composeFiles: docker?.compose_file === undefined ? undefined : [docker.compose_file].flat(),
    profiles: [...new Set(docker?.profiles ?? [])],
    target: docker?.target ?? 'compose',
    mode: reconciliation?.mode ?? DEFAULT_RECONCILIATION_MODE,
    intervalMs: reconciliation?.interval,
    prune: reconciliation?.prune ?? true,
    maxHeals: reconciliation?.max_heals ?? 5,
    healWindowMs: reconciliation?.heal_window ?? 5 * 60_000,
    healthTimeoutMs: reconciliation?.health_timeout ?? DEFAULT_HEALTH_TIMEOUT_MS,
    rollbackOnFailure: reconciliation?.rollback_on_failure ?? true,
    keepReleases: reconciliation?.keep_releases ?? 10,
    logging: {level: logging?.level, format: logging?.format},
    stacks,
    ...(hooks === undefined ? {} : {hooks: hooksConfigOf(hooks, file)}),
    secrets: secrets === undefined ? [] : secretFilesOf(secrets, file),
    imageUpdates: reconciliation?.image_updates ?? false,
    imageUpdateIntervalMs: reconciliation?.image_update_interval ?? DEFAULT_IMAGE_UPDATE_INTERVAL_MS,
  }
}

/** Frozen, so one value serves every caller. */
const DEFAULT_CONFIG = parseKedgeConfig('', '')

export function defaultKedgeConfig(): KedgeConfig {
  return DEFAULT_CONFIG
}
