import {accessSync, constants, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

/**
 * Directories only this user can enter (mkdtemp makes them 0700), for files that hold secrets while a
 * tool reads them: in /dev/shm when it exists, so they never reach a disk. They are removed when the
 * work is done, when the process exits or is interrupted, and, after a crash, by the next kedge
 * process that makes one (the name carries the pid of its maker).
 */
const PREFIX = 'kedge-private-'
const live = new Set<string>()

/**
 * `onDisk`: in the temporary directory of the disk, not in memory, for what may grow large (a hook's
 * output), with the same removal.
 */
export function createPrivateDirectory(options: {onDisk?: boolean} = {}): string {
  // Resolved: a relative TMPDIR would name another place for a tool started in another directory.
  const root = options.onDisk ? path.resolve(tmpdir()) : privateTempRoot()
  removeOrphans(root)
  const dir = mkdtempSync(path.join(root, `${PREFIX}${process.pid}-`))
  live.add(dir)
  if (live.size === 1) watchProcessEnd()
  return dir
}

export function removePrivateDirectory(dir: string): void {
  rmSync(dir, {recursive: true, force: true})
  live.delete(dir)
  if (live.size === 0) unwatchProcessEnd()
}

/** A file only this user can read, in a private directory. */
export function writePrivateFile(dir: string, name: string, content: string): string {
  const file = path.join(dir, name)
  writeFileSync(file, content, {mode: 0o600, flag: 'wx'})
  return file
}

function privateTempRoot(): string {
  try {
    accessSync('/dev/shm', constants.W_OK)
    return '/dev/shm'
  } catch {
    return tmpdir()
  }
}

function removeOrphans(root: string): void {
  let entries: string[]
  try {
    entries = readdirSync(root).filter((entry) => entry.startsWith(PREFIX))
  } catch {
    return
  }
  const uid = process.getuid?.()
  for (const entry of entries) {
    const pid = Number(entry.slice(PREFIX.length).split('-')[0])
    const dir = path.join(root, entry)
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue
    try {
      if (uid === undefined || statSync(dir).uid === uid) rmSync(dir, {recursive: true, force: true})
    } catch {
      // another process removed it first
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function removeAll(): void {
  for (const dir of live) rmSync(dir, {recursive: true, force: true})
  live.clear()
}

/**
 * A command interrupted by Ctrl-C or SIGTERM would otherwise die with the key on disk. When kedge has
 * no handler of its own for the signal (serve has, and cleans up through its own shutdown), the
 * directories are removed and the signal is raised again, so the process ends as it would have.
 */
function onSignal(signal: NodeJS.Signals): void {
  removeAll()
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
const signalHandlers = new Map<NodeJS.Signals, () => void>()

function watchProcessEnd(): void {
  process.on('exit', removeAll)
  for (const signal of SIGNALS) {
    if (process.listenerCount(signal) > 0) continue
    const handler = () => {
      unwatchProcessEnd()
      onSignal(signal)
    }
    signalHandlers.set(signal, handler)
    process.once(signal, handler)
  }
}

function unwatchProcessEnd(): void {
  process.off('exit', removeAll)
  for (const [signal, handler] of signalHandlers) process.off(signal, handler)
  signalHandlers.clear()
}
