import {z} from 'zod'

import {InvalidConfigError} from '../errors.js'
import {deepFreeze, keepingRefusals, parseConfigDocument, validated} from './config-document.js'
import {hooksConfigOf, hooksSection, type HooksConfig} from './hooks-config.js'
import {COMPATIBILITY_SECTIONS, dockerSection, reconciliationFields, type DeployTarget, type KedgeConfig} from './kedge-config.js'
import type {ReconciliationMode} from './reconciliation-mode.js'
import {secretFilesOf, secretsSection, type SecretFile} from './secrets-config.js'

/** What a stack directory's own kedge.yaml sets; the rest comes from the repository's kedge.yaml. */
export interface StackOverrides {
  projectName?: string
  composeFiles?: readonly string[]
  profiles?: readonly string[]
  target?: DeployTarget
  mode?: ReconciliationMode
  prune?: boolean
  maxHeals?: number
  healWindowMs?: number
  healthTimeoutMs?: number
  rollbackOnFailure?: boolean
  keepReleases?: number
  /** The stack's own hooks, in place of the repository's. */
  hooks?: HooksConfig
  /** The stack's own SOPS files, in place of the repository's. */
  secrets?: readonly SecretFile[]
  imageUpdates?: boolean
  imageUpdateIntervalMs?: number
}

const {interval: _repositoryWide, ...stackReconciliationFields} = reconciliationFields

const schema = z.strictObject(
  {
    docker: dockerSection.optional(),
    reconciliation: z.strictObject(stackReconciliationFields, {error: 'expected a mapping'}).optional(),
    hooks: hooksSection.optional(),
    secrets: secretsSection.optional(),
  },
  {error: 'expected a mapping at the top level'},
)

/** Keys that only the repository's kedge.yaml sets, and why; a stack's file that sets one is refused. */
const REPOSITORY_ONLY: ReadonlyArray<[field: string, why: string]> = [
  ['stacks', 'a stack does not hold stacks'],
  ['logging', 'kedge logs a repository at one level and format'],
  ['reconciliation.interval', 'the repository is polled once for all its stacks'],
  ...COMPATIBILITY_SECTIONS.map((section): [string, string] => [section, 'the Go kedge reads it from the repository only']),
]

/** Parses the text of a stack directory's kedge.yaml; `file` names it in errors. Pure; the result is frozen. */
export function parseStackConfig(text: string, file: string): StackOverrides {
  return parseOnce(text, file)
}

const parseOnce = keepingRefusals((text, file) => deepFreeze(parseStackText(text, file)))

function parseStackText(text: string, file: string): StackOverrides {
  const document = parseConfigDocument(text, file)
  for (const [field, why] of REPOSITORY_ONLY) {
    if (holds(document, field.split('.'))) {
      throw new InvalidConfigError(file, field, `is set in the repository's kedge.yaml, not in a stack's: ${why}`, {
        hint: 'move it to the kedge.yaml that lists the stacks, or remove it',
      })
    }
  }
  const {docker, reconciliation, hooks, secrets} = validated(schema, document, file)
  return withoutUnset({
    projectName: docker?.project_name,
    composeFiles: docker?.compose_file === undefined ? undefined : [docker.compose_file].flat(),
    profiles: docker?.profiles === undefined ? undefined : [...new Set(docker.profiles)],
    target: docker?.target,
    mode: reconciliation?.mode,
    prune: reconciliation?.prune,
    maxHeals: reconciliation?.max_heals,
    healWindowMs: reconciliation?.heal_window,
    healthTimeoutMs: reconciliation?.health_timeout,
    rollbackOnFailure: reconciliation?.rollback_on_failure,
    keepReleases: reconciliation?.keep_releases,
    hooks: hooks === undefined ? undefined : hooksConfigOf(hooks, file),
    secrets: secrets === undefined ? undefined : secretFilesOf(secrets, file),
    imageUpdates: reconciliation?.image_updates,
    imageUpdateIntervalMs: reconciliation?.image_update_interval,
  })
}

/**
 * A stack's settings: the repository's kedge.yaml (`base`) with what the stack's own file sets
 * (`overrides`, null when it has none) in its place. The project name and the compose files name things
 * of the stack's own directory, so they come from the stack's file only. `file` is the stack's
 * kedge.yaml, null when it has none. The result is frozen.
 */
export function withStackOverrides(base: KedgeConfig, overrides: StackOverrides | null, file: string | null): KedgeConfig {
  const {stacks: _listedByTheRepository, projectName: _ofTheRepository, composeFiles: _besideTheRepositoryFile, ...inherited} = base
  return deepFreeze({
    ...inherited,
    ...withoutUnset(overrides ?? {}),
    profiles: overrides?.profiles ?? base.profiles,
    composeFiles: overrides?.composeFiles === undefined ? undefined : [...overrides.composeFiles],
    logging: {...base.logging},
    file,
  })
}

function holds(document: unknown, keys: readonly string[]): boolean {
  let value = document
  for (const key of keys) {
    if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key)) return false
    value = (value as Record<string, unknown>)[key]
  }
  return true
}

function withoutUnset<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined)) as T
}
