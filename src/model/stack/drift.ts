import type {StackContainer} from './containers.js'
import {COMPOSE_LABELS, LABELS} from '../compose/labels.js'
import {hasCompleted, runsConfigOf, type DesiredService} from './plan.js'

/**
 * `foreign`: a container without kedge's labels in a project kedge deployed (an operator's `compose up`), which `up` replaces.
 * Swarm stacks only (model/swarm/swarm-drift.ts): `scaled`, a service's replicas changed on the engine; `update_paused`,
 * Swarm paused its update or rollback; `degraded`, fewer tasks run than the service wants, past a grace period.
 */
export const DRIFT_TYPES = ['missing', 'stopped', 'wrong_image', 'wrong_config', 'extra', 'unhealthy', 'foreign', 'scaled', 'update_paused', 'degraded'] as const
export type DriftType = (typeof DRIFT_TYPES)[number]

export interface Drift {
  service: string
  type: DriftType
  expected: string
  actual: string
  /** The container concerned (its name), or null for a missing one. */
  container: string | null
  containerId: string | null
}

/**
 * How the containers kedge labelled for a project differ from what the deployed commit wants. Pure:
 * `currentImageIds` maps each wanted image reference to the id it resolves to on the engine now, so a
 * tag moved to another image is caught too.
 */
export function detectDrift(
  desired: readonly DesiredService[],
  actual: readonly StackContainer[],
  currentImageIds: ReadonlyMap<string, string>,
): Drift[] {
  const drift: Drift[] = []
  const wanted = new Map(desired.map((service) => [service.name, service]))
  for (const service of desired) {
    const containers = actual.filter((container) => container.service === service.name)
    if (containers.length < service.replicas) {
      drift.push({
        service: service.name,
        type: 'missing',
        expected: `${service.replicas} running container${service.replicas === 1 ? '' : 's'}`,
        actual: `${containers.length}`,
        container: null,
        containerId: null,
      })
    }
    containers.forEach((container, index) => {
      const entry = (type: DriftType, expected: string, actualValue: string): Drift => ({
        service: service.name,
        type,
        expected,
        actual: actualValue,
        container: container.name,
        containerId: container.id,
      })
      if (!container.managedByKedge) {
        drift.push(entry('foreign', "kedge's container", `${container.name}, created without kedge's labels`))
        return
      }
      if (index >= service.replicas) {
        drift.push(entry('extra', `${service.replicas} container${service.replicas === 1 ? '' : 's'}`, `surplus replica ${container.name}`))
        return
      }
      const wantedId = service.image === null ? undefined : currentImageIds.get(service.image)
      if (service.image !== null && (container.image !== service.image && container.imageId !== wantedId)) {
        drift.push(entry('wrong_image', service.image, container.image))
      } else if (service.image !== null && wantedId !== undefined && container.imageId !== wantedId) {
        drift.push(entry('wrong_image', `${service.image} (${shortId(wantedId)})`, `${container.image} (${shortId(container.imageId)})`))
      } else if (!runsConfigOf(service, container)) {
        drift.push(entry('wrong_config', `config ${service.hash.slice(0, 12)}`, `config ${(container.labels[LABELS.configHash] ?? 'none').slice(0, 12)}`))
      }
      if (container.state !== 'running' && !hasCompleted(service, container)) {
        drift.push(entry('stopped', 'running', container.exitCode === null ? container.state : `${container.state} (exit code ${container.exitCode})`))
      } else if (container.health === 'unhealthy') {
        drift.push(entry('unhealthy', 'healthy', 'unhealthy'))
      }
    })
  }
  for (const container of actual) {
    if (wanted.has(container.service)) continue
    drift.push({
      service: container.service,
      type: 'extra',
      expected: 'no such service',
      actual: `${container.name} (${container.state})`,
      container: container.name,
      containerId: container.id,
    })
  }
  return drift
}

/**
 * What a deploy measures the running containers against, to repair their drift on the way: the commit
 * that runs, except for the services whose containers already carry the new commit's configuration
 * (a deploy cut short after Compose's `up`), which are measured against the new commit.
 */
export function driftBaseline(running: readonly DesiredService[], next: readonly DesiredService[], actual: readonly StackContainer[]): DesiredService[] {
  const alreadyNext = new Set(
    next.filter((service) => actual.some((container) => container.service === service.name && runsConfigOf(service, container))).map((service) => service.name),
  )
  return [...running.filter((service) => !alreadyNext.has(service.name)), ...next.filter((service) => alreadyNext.has(service.name))]
}

/**
 * The drift a deploy repairs on the way: of the containers measured against `baseline` (see
 * driftBaseline), except those of a service the new commit wants that the baseline lacks (after a first
 * deploy that failed, its containers run an older configuration): they are not surplus, `up` recreates
 * them.
 */
export function driftToRepair(
  baseline: readonly DesiredService[],
  next: readonly DesiredService[],
  actual: readonly StackContainer[],
  currentImageIds: ReadonlyMap<string, string>,
): Drift[] {
  const measured = new Set(baseline.map((service) => service.name))
  const wanted = new Set(next.map((service) => service.name))
  return detectDrift(baseline, actual, currentImageIds).filter((entry) => !(entry.type === 'extra' && wanted.has(entry.service) && !measured.has(entry.service)))
}

/**
 * The drifted containers Compose cannot put right by itself, which kedge (whose labels they carry)
 * removes before `up`: one running another image or configuration under kedge's current labels, an
 * unhealthy one, one Compose did not create, a surplus or unwanted one when pruning.
 */
export function containersToReplace(drift: readonly Drift[], actual: readonly StackContainer[], prune: boolean): string[] {
  const ids = new Set<string>()
  for (const entry of drift) {
    if (!entry.containerId) continue
    if (entry.type === 'wrong_image' || entry.type === 'wrong_config' || entry.type === 'unhealthy') ids.add(entry.containerId)
    if (entry.type === 'extra' && prune) ids.add(entry.containerId)
  }
  for (const container of actual) {
    if (!container.labels[COMPOSE_LABELS.project]) ids.add(container.id)
  }
  return [...ids]
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12)
}
