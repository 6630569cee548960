import {LABELS} from '../compose/labels.js'
import type {Drift, DriftType} from '../stack/drift.js'
import {imageDigest, imageWithoutDigest, type StackService} from './swarm-services.js'
import {
  carriesConfigOf,
  newestTaskError,
  plural,
  runningTasks,
  servicesOfStack,
  wantedTaskCount,
  type DesiredSwarmService,
  type SwarmStackState,
} from './swarm-state.js'

/**
 * When a service short of running tasks counts as `degraded`: Swarm replaces a failed task within
 * seconds and a lost node's within about a quarter of a minute, so a shortfall is drift only once it
 * outlasts the grace period. The caller keeps, per service, when it first saw the service short
 * (see shortServices and trackShortServices); the model keeps no clock.
 */
export interface DegradedClock {
  /** Now, in milliseconds, by the caller's clock. */
  now: number
  graceMs: number
  /** The stack's services (by their compose name) seen short of running tasks, and since when. */
  shortSince: ReadonlyMap<string, number>
}

/** An update or Swarm's rollback of one, running or paused: a shortfall then is the update's, which the gate or update_paused reports. */
const UPDATE_UNDER_WAY = new Set(['updating', 'rollback_started', 'paused', 'rollback_paused'])

/**
 * How a swarm stack differs from what the deployed commit wants. Pure. `desired` is the snapshot's
 * services with what their deployment recorded (specDigest, image). Each entry names the Swarm service
 * (`container` holds its full name, `containerId` its id) or, for a missing one, none.
 *
 * - `missing`: no service `<namespace>_<name>`;
 * - `foreign`: a service of the stack without kedge's label: reported, never touched;
 * - `scaled`: its spec's replicas are not the snapshot's (`docker service scale`);
 * - `wrong_image`: its image, without the pinned digest, is not the snapshot's, or the digest is not the recorded one;
 * - `wrong_config`: it carries another config-hash label, or its spec is not the one recorded (`service update --env-add`, …);
 * - `update_paused`: Swarm paused its update, or its rollback;
 * - `degraded`: fewer tasks run than it wants, for longer than the grace period; Swarm's to fix, so kedge only reports it;
 * - `extra`: a service of the stack with kedge's label that the snapshot lacks.
 */
export function detectSwarmDrift(namespace: string, desired: readonly DesiredSwarmService[], state: SwarmStackState, clock: DegradedClock): Drift[] {
  const drift: Drift[] = []
  const actual = servicesOfStack(namespace, state)
  const wanted = new Set(desired.map((service) => service.name))
  for (const service of desired) {
    const found = actual.find((candidate) => candidate.service === service.name)
    if (!found) {
      drift.push({service: service.name, type: 'missing', expected: `service ${namespace}_${service.name}`, actual: 'none', container: null, containerId: null})
      continue
    }
    const entry = (type: DriftType, expected: string, actualValue: string): Drift => ({
      service: service.name,
      type,
      expected,
      actual: actualValue,
      container: found.name,
      containerId: found.id,
    })
    if (!found.managedByKedge) {
      drift.push(entry('foreign', "kedge's service", `${found.name}, created without kedge's labels`))
      continue
    }
    if (found.replicas !== null && found.replicas !== service.replicas) {
      drift.push(entry('scaled', plural(service.replicas, 'replica'), plural(found.replicas, 'replica')))
    }
    const changed = specChange(service, found)
    if (changed) drift.push(entry(changed.type, changed.expected, changed.actual))
    const update = found.updateStatus
    if (update?.state === 'paused' || update?.state === 'rollback_paused') {
      const reason = newestTaskError(found, state, update.startedAt)
      drift.push(entry('update_paused', 'update completed', `${update.state}: ${update.message}${reason === null ? '' : ` (${reason})`}`))
    }
    const short = shortfall(found, state)
    const since = clock.shortSince.get(service.name)
    if (short && since !== undefined && clock.now - since >= clock.graceMs) {
      const reason = newestTaskError(found, state)
      drift.push(entry('degraded', plural(short.wanted, 'running task'), `${short.running} running${reason === null ? '' : ` (${reason})`}`))
    }
  }
  for (const service of actual) {
    if (wanted.has(service.service)) continue
    const running = runningTasks(service, state).length
    if (service.managedByKedge) {
      drift.push({
        service: service.service,
        type: 'extra',
        expected: 'no such service',
        actual: `${service.name} (${running} of ${wantedTaskCount(service, state)} running)`,
        container: service.name,
        containerId: service.id,
      })
    } else {
      drift.push({service: service.service, type: 'foreign', expected: "only kedge's services", actual: `${service.name}, created without kedge's labels`, container: service.name, containerId: service.id})
    }
  }
  return drift
}

/** The one way the service's spec differs from the deployed one, the image first: a changed image also changes the spec's digest. */
function specChange(service: DesiredSwarmService, found: StackService): {type: DriftType; expected: string; actual: string} | null {
  const recorded = service.swarm
  if (service.image !== null && imageWithoutDigest(found.image) !== imageWithoutDigest(service.image)) {
    return {type: 'wrong_image', expected: service.image, actual: found.image}
  }
  // The digest the compose file pins, else the one `--resolve-image` pinned when the deployment passed its gate.
  const pinnedBy = [service.image, recorded?.image].find((image): image is string => image !== null && image !== undefined && imageDigest(image) !== null)
  if (pinnedBy !== undefined && imageDigest(found.image) !== imageDigest(pinnedBy)) {
    return {type: 'wrong_image', expected: pinnedBy, actual: found.image}
  }
  if (!carriesConfigOf(service, found)) {
    return {type: 'wrong_config', expected: `config ${service.hash.slice(0, 12)}`, actual: `config ${(found.labels[LABELS.configHash] ?? 'none').slice(0, 12)}`}
  }
  if (recorded && found.specDigest !== recorded.specDigest) {
    return {type: 'wrong_config', expected: `spec ${recorded.specDigest.slice(0, 12)}`, actual: `spec ${found.specDigest.slice(0, 12)}, changed on the engine`}
  }
  return null
}

/** The service's running tasks against the tasks it wants, when fewer run; null when enough do or an update is under way. */
function shortfall(service: StackService, state: SwarmStackState): {running: number; wanted: number} | null {
  if (service.updateStatus && UPDATE_UNDER_WAY.has(service.updateStatus.state)) return null
  const wanted = wantedTaskCount(service, state)
  const running = runningTasks(service, state).length
  return running < wanted ? {running, wanted} : null
}

/**
 * The desired services of the stack that run fewer tasks than they want now, outside an update: the
 * caller starts or keeps their clocks with trackShortServices. A rolling update swaps tasks one by
 * one by design, so it stops no clock and starts none.
 */
export function shortServices(namespace: string, desired: readonly Pick<DesiredSwarmService, 'name'>[], state: SwarmStackState): string[] {
  const actual = servicesOfStack(namespace, state)
  return desired.filter((service) => {
    const found = actual.find((candidate) => candidate.service === service.name)
    return found !== undefined && found.managedByKedge && shortfall(found, state) !== null
  }).map((service) => service.name)
}

/** When each short service was first seen short: kept for those still short, `now` for the newly short, dropped for the others. */
export function trackShortServices(previous: ReadonlyMap<string, number>, short: readonly string[], now: number): Map<string, number> {
  return new Map(short.map((name) => [name, previous.get(name) ?? now]))
}
