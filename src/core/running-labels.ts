import type {StackContainer} from './containers.js'
import {LABELS} from './labels.js'
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
