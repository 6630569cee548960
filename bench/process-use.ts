import {readFileSync} from 'node:fs'

import {run} from './fixtures.js'

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
