import type {StackContainer} from './containers.js'
import {LABELS} from '../compose/labels.js'
import {runsConfigOf} from './plan.js'
import type {SnapshotService} from './stack-snapshot.js'

/**
 * The services as the override file labels them, with the labels their running containers already carry
 * wherever those containers run the service's configuration. Compose's own hash covers the labels, so a
 * label that moved on (the commit, after a deploy that failed left newer containers than the last good
 * one; the hash, as an older kedge computed it) would make Compose recreate a service kedge only starts
 * or scales. Pure.
 */
export function keepRunningLabels(services: readonly SnapshotService[], actual: readonly StackContainer[]): SnapshotService[] {
  return services.map((service) => {
    const running = actual.find((container) => container.service === service.name && container.managedByKedge && runsConfigOf(service, container))
    const commit = running?.labels[LABELS.commit]
    const hash = running?.labels[LABELS.configHash]
    if (!running || commit === undefined || hash === undefined) return service
    return {...service, commit, hash, formerHashes: [...new Set([...(service.formerHashes ?? []), service.hash])].filter((former) => former !== hash)}
  })
}

/**
 * The hashes that stand for a service's configuration now: kedge's own, and its former ones extended by
 * those of the previous deployment's same service when its configuration did not change (its hash is one
 * of ours, or one of its aliases is ours). The previous deployment may have kept an older label on the
 * containers (see keepRunningLabels); without carrying it on, the next change of replicas or mounted
 * files would find a label it no longer knows and recreate instead of scaling or reloading. Pure.
 */
export function carriedHashes(
  hash: string,
  formerHashes: readonly string[],
  previous: Pick<SnapshotService, 'hash' | 'formerHashes' | 'formerHash'> | undefined,
): {unchanged: boolean; formerHashes: string[]} {
  const previousHashes = previous ? [previous.hash, ...(previous.formerHashes ?? []), ...(previous.formerHash ? [previous.formerHash] : [])] : []
  const unchanged = previous !== undefined && (previousHashes.includes(hash) || formerHashes.includes(previous.hash))
  const carried = unchanged ? [...formerHashes, ...previousHashes] : [...formerHashes]
  return {unchanged, formerHashes: [...new Set(carried)].filter((former) => former !== hash)}
}
