import type {Drift} from '../stack/drift.js'
import {describeChanges, type ServiceChange} from '../stack/plan.js'
import type {DeploymentTrigger} from './column-values.js'

/**
 * What set a deployment off, as people name it: a poll or a push webhook found a new commit, an operator
 * ran `kedge sync` (or `up`, or a rollback), serve started, drift was healed, a failed deploy was rolled back.
 */
export const REASON_SOURCES = ['poll', 'webhook', 'sync', 'up', 'startup', 'heal', 'rollback', 'auto_rollback', 'removed', 'hold', 'image'] as const
export type ReasonSource = (typeof REASON_SOURCES)[number]

/** The drift a heal repaired, without the container ids. */
export type HealedDrift = Pick<Drift, 'service' | 'type' | 'expected' | 'actual'>

/** Why a deployment happened, as its row keeps it (the `reason` column, JSON). */
export interface DeployReason {
  source: ReasonSource
  /** The files the stack reads that differ from the deployed commit's, the first MAX_REASON_FILES; null when that cannot be told (a first deploy, the old commit gone). */
  files?: string[] | null
  /** How many more changed than `files` lists. */
  moreFiles?: number
  /** What the deploy did to each service it changed. */
  services?: Array<Pick<ServiceChange, 'service' | 'action'>>
  /** For a heal: the drift it repaired. */
  drift?: HealedDrift[]
  /** A word from whoever asked for it (a rollback's reason). */
  detail?: string
  /** For an image update: each tag whose image the registry changed, the digest it named and the one it names now. */
  images?: Array<{image: string; from: string | null; to: string; services: string[]}>
}

/** The source of a deploy of a commit, by its row's trigger and, for `git`, how the new commit was found. */
export function sourceOf(trigger: DeploymentTrigger, found: 'poll' | 'webhook' = 'poll'): ReasonSource {
  switch (trigger) {
    case 'git':
      return found
    case 'manual':
      return 'sync'
    case 'drift':
      return 'heal'
    case 'down':
    case 'suspend':
    case 'resume':
      return 'hold'
    default:
      return trigger
  }
}

/** A commit may change any number of files: a reason keeps this many names, and counts the rest. */
export const MAX_REASON_FILES = 100

/** The changed files as a reason keeps them. */
export function changedFilesOf(files: readonly string[] | null): Pick<DeployReason, 'files' | 'moreFiles'> {
  if (files === null) return {files: null}
  return files.length <= MAX_REASON_FILES ? {files: [...files]} : {files: files.slice(0, MAX_REASON_FILES), moreFiles: files.length - MAX_REASON_FILES}
}

/** The parts of a plan worth keeping as a reason: only the services the deploy did something to. */
export function changedServices(changes: readonly ServiceChange[]): NonNullable<DeployReason['services']> {
  return changes.map(({service, action}) => ({service, action}))
}

/** The drift a heal repaired, as its reason keeps it. */
export function healedDrift(drift: readonly Drift[]): HealedDrift[] {
  return drift.map(({service, type, expected, actual}) => ({service, type, expected, actual}))
}

/** At most this many names in the one line: a commit that touched hundreds of files is not listed whole. */
const MAX_LISTED = 5

/** The reason in one line, for `history` and notifications: "webhook: compose.yaml changed; recreate web". */
export function reasonLine(reason: DeployReason): string {
  const parts: string[] = []
  if (reason.files === null) parts.push('files changed: not known')
  else if (reason.files !== undefined) parts.push(reason.files.length === 0 ? 'no file it reads changed' : `${listed(reason.files, reason.moreFiles ?? 0)} changed`)
  if (reason.drift !== undefined && reason.drift.length > 0) parts.push(`drift: ${listed(reason.drift.map((entry) => `${entry.service} ${entry.type}`))}`)
  if (reason.services !== undefined && reason.services.length > 0) parts.push(describeChanges(reason.services.map((change) => ({...change, from: null, to: null}))))
  if (reason.images !== undefined && reason.images.length > 0) parts.push(listed(reason.images.map((entry) => `${entry.image} ${shortDigest(entry.from)} → ${shortDigest(entry.to)}`)))
  if (reason.detail) parts.push(reason.detail)
  return parts.length === 0 ? reason.source : `${reason.source}: ${parts.join('; ')}`
}

/** A digest as `docker images` shows an image id: 12 hex digits, enough to tell two apart in a line. */
export function shortDigest(digest: string | null): string {
  return digest === null ? 'unknown' : digest.replace(/^sha256:/, '').slice(0, 12)
}

function listed(names: readonly string[], more = 0): string {
  if (names.length <= MAX_LISTED && more === 0) return names.join(', ')
  return `${names.slice(0, MAX_LISTED).join(', ')} and ${names.length - Math.min(names.length, MAX_LISTED) + more} more`
}

/** A stored reason, or null when the row has none (it predates reasons) or holds what kedge never writes. */
export function parseReason(stored: string | null): DeployReason | null {
  if (stored === null) return null
  try {
    const parsed: unknown = JSON.parse(stored)
    if (typeof parsed !== 'object' || parsed === null || !(REASON_SOURCES as readonly unknown[]).includes((parsed as {source?: unknown}).source)) return null
    return parsed as DeployReason
  } catch {
    return null
  }
}
