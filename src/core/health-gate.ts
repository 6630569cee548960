import {setTimeout as sleep} from 'node:timers/promises'

import {listKedgeContainers} from '../adapters/docker-engine.js'
import {formatDuration} from '../config/duration.js'
import {ExternalError} from '../errors.js'
import type {StackContainer} from './containers.js'
import {LABELS} from './labels.js'
import {hasCompleted, runsConfigOf, type DesiredService} from './plan.js'

/** A service must run (and be healthy) this long without a break before a deploy counts as good. */
export const STABLE_MS = 2000
const POLL_MS = 250

export type Assessment = {verdict: 'ready'} | {verdict: 'waiting'; reason: string; restarting?: boolean} | {verdict: 'failed'; reason: string}

/** A container seen restarting in this many polls keeps restarting; one restart while a dependency starts is allowed. */
const RESTARTS_TOLERATED = 3

/** Pure: how the containers of the deployed services are doing. Only containers with the service's new hash count. */
export function assessServices(services: readonly DesiredService[], containers: readonly StackContainer[]): Assessment {
  let waiting: {reason: string; restarting?: boolean} | null = null
  for (const service of services) {
    const current = containers.filter((container) => container.service === service.name && runsConfigOf(service, container))
    for (const container of current) {
      if (hasCompleted(service, container)) continue
      if (container.state === 'exited' || container.state === 'dead') {
        return {verdict: 'failed', reason: `service ${service.name} exited${container.exitCode === null ? '' : ` with code ${container.exitCode}`}`}
      }
      if (container.health === 'unhealthy') return {verdict: 'failed', reason: `service ${service.name} is unhealthy`}
      if (container.state === 'restarting') waiting ??= {reason: `service ${service.name} keeps restarting`, restarting: true}
    }
    const ready = current.filter((container) => (container.state === 'running' && container.health !== 'starting') || hasCompleted(service, container))
    if (ready.length < service.replicas) waiting ??= {reason: `service ${service.name} is not ${current.some((c) => c.health === 'starting') ? 'healthy' : 'running'} yet`}
  }
  return waiting ? {verdict: 'waiting', ...waiting} : {verdict: 'ready'}
}

/**
 * Waits until the services a deploy changed run, healthy where they have a healthcheck, for STABLE_MS
 * on end; fails as soon as one exits, restarts or turns unhealthy, or when `timeoutMs` passes.
 */
export async function waitForServices(
  repository: string,
  project: string,
  services: readonly DesiredService[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  if (services.length === 0) return
  const deadline = Date.now() + timeoutMs
  let readySince: number | null = null
  let restartsSeen = 0
  for (;;) {
    const containers = (await listKedgeContainers(project)).filter((container) => container.labels[LABELS.repository] === repository)
    const assessment = assessServices(services, containers)
    if (assessment.verdict === 'waiting' && assessment.restarting && ++restartsSeen >= RESTARTS_TOLERATED) {
      throw new ExternalError(`the deployment did not come up: ${assessment.reason}`, {code: 'unhealthy'})
    }
    if (assessment.verdict === 'failed') throw new ExternalError(`the deployment did not come up: ${assessment.reason}`, {code: 'unhealthy'})
    if (assessment.verdict === 'ready') {
      readySince ??= Date.now()
      if (Date.now() - readySince >= Math.min(STABLE_MS, timeoutMs)) return
    } else {
      readySince = null
      if (Date.now() > deadline) {
        throw new ExternalError(`the deployment did not come up within ${formatDuration(timeoutMs)}: ${assessment.reason}`, {code: 'unhealthy'})
      }
    }
    await sleep(POLL_MS, undefined, {signal})
  }
}
