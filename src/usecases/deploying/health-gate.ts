import {formatDuration} from '../../model/config/duration.js'
import {ExternalError} from '../../model/errors.js'
import type {StackContainer} from '../../model/stack/containers.js'
import {LABELS} from '../../model/compose/labels.js'
import {hasCompleted, runsConfigOf, type DesiredService} from '../../model/stack/plan.js'
import type {KedgeContext} from '../context.js'

const POLL_MS = 250

/**
 * A container without a healthcheck must have run for a second before it counts: the engine says "Up
 * Less than a second" until then. Read from the engine's own uptime, the second runs from the
 * container's start by the engine's clock (no skew with a remote engine), not from kedge's first look, so
 * it mostly overlaps Compose's own work. A container with a healthcheck counts once healthy, as with
 * `docker compose up --wait`: its own check passing is the better evidence. One that fails later is
 * drift, which kedge heals or reports.
 */
export function hasRunLessThanASecond(container: StackContainer): boolean {
  return container.state === 'running' && container.health === null && /^Up Less than a second\b/.test(container.status)
}

export type Assessment = {verdict: 'ready'} | {verdict: 'waiting'; reason: string; restarting?: boolean} | {verdict: 'failed'; reason: string}

/** A container seen restarting in this many polls keeps restarting; one restart while a dependency starts is allowed. */
const RESTARTS_TOLERATED = 3

/**
 * Pure: how the containers of the deployed services are doing. Only containers with the service's new
 * hash count. The reason of a wait names every service not ready yet, so a timeout names them all.
 */
export function assessServices(services: readonly DesiredService[], containers: readonly StackContainer[]): Assessment {
  const waiting: string[] = []
  let restarting = false
  for (const service of services) {
    const current = containers.filter((container) => container.service === service.name && runsConfigOf(service, container))
    for (const container of current) {
      if (hasCompleted(service, container)) continue
      if (container.state === 'exited' || container.state === 'dead') {
        return {verdict: 'failed', reason: `service ${service.name} exited${container.exitCode === null ? '' : ` with code ${container.exitCode}`}`}
      }
      if (container.health === 'unhealthy') return {verdict: 'failed', reason: `service ${service.name} is unhealthy`}
    }
    const ready = current.filter(
      (container) => (container.state === 'running' && container.health !== 'starting' && !hasRunLessThanASecond(container)) || hasCompleted(service, container),
    )
    if (ready.length >= service.replicas) continue
    const isRestarting = current.some((container) => container.state === 'restarting')
    restarting ||= isRestarting
    waiting.push(`service ${service.name} ${isRestarting ? 'keeps restarting' : notReadyBecause(current)}`)
  }
  if (waiting.length === 0) return {verdict: 'ready'}
  return restarting ? {verdict: 'waiting', reason: waiting.join('; '), restarting} : {verdict: 'waiting', reason: waiting.join('; ')}
}

function notReadyBecause(current: readonly StackContainer[]): string {
  if (current.some((container) => container.health === 'starting')) return 'is not healthy yet'
  if (current.some(hasRunLessThanASecond)) return 'has not run for a second yet'
  return 'is not running yet'
}

/**
 * Waits until every service of the stack is healthy where they have a healthcheck, and have run for
 * a second where they have none (see hasRunLessThanASecond); fails as soon as one exits, keeps restarting or turns unhealthy, or when
 * `timeoutMs` passes.
 */
export async function waitForServices(
  context: Pick<KedgeContext, 'engine' | 'clock'>,
  repository: string,
  project: string,
  services: readonly DesiredService[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  if (services.length === 0) return
  const {engine, clock} = context
  const deadline = clock.now().getTime() + timeoutMs
  let restartsSeen = 0
  for (;;) {
    const containers = (await engine.listKedgeContainers(project)).filter((container) => container.labels[LABELS.repository] === repository)
    const assessment = assessServices(services, containers)
    if (assessment.verdict === 'waiting' && assessment.restarting && ++restartsSeen >= RESTARTS_TOLERATED) {
      throw new ExternalError(`the deployment did not come up: ${assessment.reason}`, {code: 'unhealthy'})
    }
    if (assessment.verdict === 'failed') throw new ExternalError(`the deployment did not come up: ${assessment.reason}`, {code: 'unhealthy'})
    if (assessment.verdict === 'ready') return
    if (clock.now().getTime() > deadline) {
      throw new ExternalError(`the deployment did not come up within ${formatDuration(timeoutMs)}: ${assessment.reason}`, {code: 'unhealthy'})
    }
    await clock.sleep(POLL_MS, signal)
  }
}
