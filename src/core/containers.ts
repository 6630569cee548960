import {COMPOSE_LABELS, LABELS} from './labels.js'

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
 * Compose v1 recreates a container by renaming it to "<short id>_<name>", creating the new one, then
 * removing the old. Killed in between, it leaves the renamed container behind and every later `up`
 * fails ("Renaming a container with the same name as its current name").
 */
export function isInterruptedRecreate(container: StackContainer, project: string): boolean {
  const match = /^([0-9a-f]{12})_(.+)_(\d+)$/.exec(container.name)
  return match !== null && container.id.startsWith(match[1]!) && match[2] === `${project}_${container.service}`
}
