import {readFileSync, readlinkSync} from 'node:fs'
import {hostname} from 'node:os'

import type {ProcessIdentity, Processes} from '../../ports/processes.js'

/**
 * Read once: a process's start does not change while it runs, and serve asks for it at every take of a
 * repository's lock (bench/stack-scale.ts; docs/performance.md, "Idle cost at scale"). The host name is
 * asked each time, as isProcessRunning asks it: a host renamed while serve runs must not make serve's
 * own locks read as another host's.
 */
let ownStart: string | undefined

export function currentProcess(): ProcessIdentity {
  if (ownStart === undefined) {
    const start = readProcStat(process.pid)?.start
    ownStart = start ? `${pidNamespace('self')}/${start}` : ''
  }
  return {host: hostname(), pid: process.pid, processStart: ownStart}
}

/** Whether that process still runs. One this process cannot see (another host, another pid namespace) counts as running. */
export function isProcessRunning(identity: ProcessIdentity): boolean {
  if (identity.host !== hostname()) return true
  const [namespace, start] = identity.processStart.includes('/') ? identity.processStart.split('/') : ['', identity.processStart]
  if (namespace && namespace !== pidNamespace('self')) return true
  try {
    process.kill(identity.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const stat = readProcStat(identity.pid)
  if (stat === null) return !start
  if (stat.state === 'Z') return false
  return !start || stat.start === start
}

function pidNamespace(pid: number | 'self'): string {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`)
  } catch {
    return ''
  }
}

/** Linux's /proc/PID/stat: the state (field 3) and the start time in clock ticks (field 22). */
function readProcStat(pid: number): {state: string; start: string} | null {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return {state: fields[0] ?? '', start: fields[19] ?? ''}
}

/** The Processes port over /proc. */
export const hostProcesses: Processes = {current: currentProcess, isRunning: isProcessRunning}
