import {readFileSync} from 'node:fs'
import {hostname} from 'node:os'

/** A process, told apart from a later one that reuses its pid by its start time. */
export interface ProcessIdentity {
  host: string
  pid: number
  processStart: string
}

export function currentProcess(): ProcessIdentity {
  return {host: hostname(), pid: process.pid, processStart: processStartTime(process.pid) ?? ''}
}

/** Whether that process still runs. A process on another host cannot be checked, so it counts as running. */
export function isProcessRunning(identity: ProcessIdentity): boolean {
  if (identity.host !== hostname()) return true
  try {
    process.kill(identity.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const stat = readProcStat(identity.pid)
  if (stat === null) return identity.processStart === ''
  if (stat.state === 'Z') return false
  return identity.processStart === '' || stat.start === identity.processStart
}

function processStartTime(pid: number): string | null {
  return readProcStat(pid)?.start ?? null
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
