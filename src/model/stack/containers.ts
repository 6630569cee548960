import {COMPOSE_LABELS, LABELS} from '../compose/labels.js'

export type ContainerHealth = 'healthy' | 'unhealthy' | 'starting' | null

/** A container as kedge sees it, whichever engine client read it. */
export interface StackContainer {
  id: string
  name: string
  /** kedge's service label, else Compose's. */
  service: string
  /** created, running, paused, restarting, removing, exited or dead */
  state: string
  /** The engine's human status, e.g. "Up 5 minutes (healthy)". */
  status: string
  image: string
  imageId: string
  health: ContainerHealth
  exitCode: number | null
  labels: Record<string, string>
  managedByKedge: boolean
}

export function toStackContainer(raw: {
  Id: string
  Names: string[]
  Image: string
  ImageID: string
  State: string
  Status: string
  Labels: Record<string, string> | null
}): StackContainer {
  const labels = raw.Labels ?? {}
  return {
    id: raw.Id,
    name: (raw.Names[0] ?? raw.Id).replace(/^\//, ''),
    service: labels[LABELS.service] ?? labels[COMPOSE_LABELS.service] ?? '',
    state: raw.State,
    status: raw.Status,
    image: raw.Image,
    imageId: raw.ImageID,
    health: healthFromStatus(raw.Status),
    exitCode: exitCodeFromStatus(raw.Status),
    labels,
    managedByKedge: labels[LABELS.managed] === 'true',
  }
}

export function healthFromStatus(status: string): ContainerHealth {
  if (/\(unhealthy\)/.test(status)) return 'unhealthy'
  if (/\(health: starting\)/.test(status)) return 'starting'
  if (/\(healthy\)/.test(status)) return 'healthy'
  return null
}

export function exitCodeFromStatus(status: string): number | null {
  const match = /^Exited \((-?\d+)\)/.exec(status)
  return match ? Number(match[1]) : null
}

/**
 * A container left by a recreate that was cut short, which every later `up` trips over. Compose v1
 * renames the old container to "<its short id>_<project>_<service>_<n>" before it creates the new one;
 * Compose v2 creates the new one as "<old short id>_<project>-<service>-<n>" and renames it once the old
 * one is gone (and cancels every other recreate of the same `up` when one fails). Either is kedge's to
 * remove: the container under the service's own name, or a new one from `up`, takes its place.
 */
export function isInterruptedRecreate(container: StackContainer, project: string): boolean {
  const match = /^([0-9a-f]{12})_(.+)$/.exec(container.name)
  if (!match) return false
  const [, shortId, rest] = match as unknown as [string, string, string]
  const v1 = new RegExp(`^${escapeRegExp(`${project}_${container.service}`)}_\\d+$`).test(rest) && container.id.startsWith(shortId)
  const v2 = new RegExp(`^${escapeRegExp(`${project}-${container.service}`)}-\\d+$`).test(rest)
  return v1 || v2
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
