import type {StackContainer} from './containers.js'
import type {FileChangeAction, MountedFiles} from '../compose/mounted-files.js'
import {LABELS} from '../compose/labels.js'

/** A service as the deployed (or to-be-deployed) commit wants it. */
export interface DesiredService {
  name: string
  image: string | null
  replicas: number
  hash: string
  /** The hashes older kedge versions gave the same service (see formerServiceHashes); absent in older snapshots. */
  formerHashes?: string[]
  /** The one former hash that snapshots of an earlier kedge version kept. */
  formerHash?: string
  /** A job meant to run to completion (see ComposeService.oneShot); absent in older snapshots. */
  oneShot?: boolean
  /** Services whose namespaces it joins (see ComposeService.joins); absent in older snapshots. */
  joins?: string[]
  /** For a service that declares `x-kedge.on_file_change`: its mounted files, which `hash` then leaves out; absent otherwise and in older snapshots. */
  files?: MountedFiles
}

/** Whether the container runs the service's configuration, by kedge's hash of it now or as older kedge versions hashed it. */
export function runsConfigOf(service: DesiredService, container: StackContainer): boolean {
  const label = container.labels[LABELS.configHash]
  if (label === undefined) return false
  return label === service.hash || label === service.formerHash || (service.formerHashes?.includes(label) ?? false)
}

/** A job's container that ran to completion: done, not stopped. */
export function hasCompleted(service: DesiredService, container: StackContainer): boolean {
  return service.oneShot === true && container.state === 'exited' && container.exitCode === 0
}

/** `scale`: the containers run the service's configuration, but not as many as it wants; Compose adds or removes some. */
export type ChangeAction = 'create' | 'recreate' | 'remove' | 'scale' | 'start' | FileChangeAction

export interface ServiceChange {
  service: string
  action: ChangeAction
  /** The image running now, or null. */
  from: string | null
  /** The image wanted, or null when the service goes away. */
  to: string | null
  /** For a service recreated only because one whose namespace it joins is: that service. */
  joining?: string
  /** For `reload`: the signal sent to the containers. */
  signal?: string
}

/**
 * What applying `desired` would change, given the containers kedge labelled for the project. Pure: the
 * deploy loop, notify mode and `kedge diff` all plan with it. `previous` (the services as last
 * deployed) tells whether the mounted files of a service that reloads them itself changed (see fileChangeOf).
 */
export function planChanges(desired: readonly DesiredService[], actual: readonly StackContainer[], previous?: readonly Pick<DesiredService, 'name' | 'files'>[]): ServiceChange[] {
  const changes: ServiceChange[] = []
  const wanted = new Set(desired.map((service) => service.name))
  for (const service of desired) {
    const containers = actual.filter((container) => container.service === service.name)
    const change = (action: ChangeAction): ServiceChange => ({service: service.name, action, from: containers[0]?.image ?? null, to: service.image})
    if (containers.length === 0) {
      if (service.replicas > 0) changes.push(change('create'))
    } else if (containers.some((container) => !runsConfigOf(service, container))) {
      changes.push(change('recreate'))
    } else {
      if (containers.length !== service.replicas) changes.push(change('scale'))
      else if (containers.some((container) => container.state !== 'running' && !hasCompleted(service, container))) changes.push(change('start'))
      // Beside a scale or a start too: the containers that run on are restarted or signalled all the same
      // (one that `up` starts reads the new files anyway).
      const fileChange = containers.some((container) => container.state === 'running') ? fileChangeOf(service, previous) : null
      if (fileChange) changes.push({...change(fileChange.action), ...fileChange})
    }
  }
  recreateJoiners(desired, actual, changes)
  const extra = [...new Set(actual.map((container) => container.service))].filter((service) => !wanted.has(service)).sort()
  for (const service of extra) {
    const container = actual.find((candidate) => candidate.service === service)!
    changes.push({service, action: 'remove', from: container.image, to: null})
  }
  return changes
}

/**
 * A container that joins another's network (or ipc, pid) namespace holds on to the container it joined:
 * when that one is created anew, the joiner must be too, or it keeps the old, empty namespace. Compose v2
 * would recreate it only when asked to `up` it, Compose v1 not even then; kedge plans it, and removes the
 * joiner's containers itself before `up` (see joinersToReplace).
 */
function recreateJoiners(desired: readonly DesiredService[], actual: readonly StackContainer[], changes: ServiceChange[]): void {
  for (let added = true; added; ) {
    added = false
    const renewed = new Set(changes.filter((change) => change.action === 'create' || change.action === 'recreate').map((change) => change.service))
    for (const service of desired) {
      const joined = service.joins?.find((name) => renewed.has(name))
      const containers = actual.filter((container) => container.service === service.name)
      if (joined === undefined || containers.length === 0 || changes.some((change) => change.service === service.name && change.action === 'recreate')) continue
      // Recreated, it needs neither a start, a scale nor a reload.
      const at = changes.findIndex((change) => change.service === service.name)
      const change: ServiceChange = {service: service.name, action: 'recreate', from: containers[0]!.image, to: service.image, joining: joined}
      const others = changes.filter((other) => other.service !== service.name)
      changes.splice(0, changes.length, ...others)
      changes.splice(at >= 0 ? at : changes.length, 0, change)
      added = true
    }
  }
}

/** The containers to remove before `up` so that Compose creates them anew: those of services that only join a renewed one. */
export function joinersToReplace(changes: readonly ServiceChange[], actual: readonly StackContainer[]): string[] {
  const joiners = new Set(changes.filter((change) => change.joining !== undefined).map((change) => change.service))
  return actual.filter((container) => joiners.has(container.service)).map((container) => container.id)
}

/**
 * What to do for a service whose configuration its containers already run, when only its mounted
 * files changed since `previous` (the services as last deployed). Null when nothing is to be done,
 * also when `previous` recorded no files' hash (an older snapshot: the labels covered the files then).
 */
export function fileChangeOf(service: DesiredService, previous: readonly Pick<DesiredService, 'name' | 'files'>[] | undefined): Pick<ServiceChange, 'action' | 'signal'> | null {
  const before = previous?.find((candidate) => candidate.name === service.name)?.files
  if (!service.files || !before || before.hash === service.files.hash) return null
  const {onChange} = service.files
  if (onChange === 'restart') return {action: 'restart'}
  if (onChange === 'none') return {action: 'files'}
  return {action: 'reload', signal: onChange.slice('signal:'.length)}
}

export function describeChanges(changes: readonly ServiceChange[]): string {
  if (changes.length === 0) return 'no changes'
  return changes.map((change) => `${change.action} ${change.service}${FILE_CHANGE_NOTES[change.action]?.(change) ?? ''}`).join(', ')
}

const FILE_CHANGE_NOTES: Partial<Record<ChangeAction, (change: ServiceChange) => string>> = {
  reload: (change) => ` (signal ${change.signal})`,
  files: () => ' (no action)',
}
