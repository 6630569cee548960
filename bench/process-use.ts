import {readFileSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'

import {run} from './fixtures.js'
import {median} from './results.js'

const CLOCK_TICKS = Number(run('getconf', ['CLK_TCK']).trim()) || 100

/** A process's CPU time so far, in seconds: its own (user and system) and that of the children it waited for (git, Compose). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return fields.slice(11, 15).reduce((sum, value) => sum + Number(value), 0) / CLOCK_TICKS
}

/** A process's resident memory now, in MB. */
export function rssMegabytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match?.[1] ?? 0) / 1024
}

/**
 * A process watched for `seconds`: its CPU time over the stretch as a share of one core, and its resident
 * memory sampled every second (median and most).
 */
export async function watchProcess(pid: number, seconds: number): Promise<{seconds: number; cpuSeconds: number; cpuPercentOfOneCore: number; rssMedianMb: number; rssMaxMb: number}> {
  const cpuBefore = cpuSeconds(pid)
  const rss: number[] = []
  const started = performance.now()
  while (performance.now() - started < seconds * 1000) {
    rss.push(rssMegabytes(pid))
    await sleep(1000)
  }
  const elapsed = (performance.now() - started) / 1000
  const cpu = cpuSeconds(pid) - cpuBefore
  return {
    seconds: elapsed,
    cpuSeconds: cpu,
    cpuPercentOfOneCore: Number(((cpu / elapsed) * 100).toFixed(2)),
    rssMedianMb: Math.round(median(rss)),
    rssMaxMb: Math.round(Math.max(...rss)),
  }
}
