import {spawn, type ChildProcess, type StdioOptions} from 'node:child_process'
import {constants} from 'node:os'

import {formatDuration} from '../../model/config/duration.js'

/**
 * How long a tool gets between SIGTERM and SIGKILL. Compose cancels on SIGTERM and stops what it started
 * within a few seconds, and git ends at once; a Compose busy in its own code (expanding a YAML alias bomb,
 * say) never looks at the signal, and only SIGKILL ends it. Compose itself gives containers 10 s.
 */
export const KILL_GRACE_MS = 10_000

/** Kept of a tool's standard error, from its start and from its end: enough for its own explanation, bounded whatever it prints. */
const STDERR_HEAD_BYTES = 64 * 1024
const STDERR_TAIL_BYTES = 64 * 1024

export interface ChildRun {
  file: string
  args: readonly string[]
  cwd?: string
  env: NodeJS.ProcessEnv
  /** Written to the tool's standard input, which is then closed; without it, standard input is closed at once. */
  input?: string | Buffer
  /** Past it the tool's process group is stopped (SIGTERM, then SIGKILL after the grace). */
  timeoutMs: number
  /** Stops the tool's process group like the timeout, when kedge abandons the work it is part of. */
  signal?: AbortSignal
  /** Standard output past this many bytes stops the tool: kedge never holds more of it. */
  maxStdoutBytes: number
  /** Between SIGTERM and SIGKILL; KILL_GRACE_MS unless a test needs it shorter. */
  killGraceMs?: number
  /** The file mode creation mask the tool starts with, when it must differ from kedge's own. */
  umask?: number
  /** Given the tool's standard error as it prints it (Compose's progress, for --verbose); it is kept as well. */
  onStderr?: (chunk: Buffer) => void
  /** Given its standard output as it prints it (a build's steps, for --verbose); it is kept as well. */
  onStdout?: (chunk: Buffer) => void
}

export interface ChildOutcome {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  /** Bounded: its head and its tail when it printed more than they hold. */
  stderr: string
  /** Why kedge stopped it, if it did. */
  stopped: 'timeout' | 'aborted' | 'output_limit' | null
}

/**
 * Why kedge stopped a tool, as its error says it (`outputLimit` is the bound it passed); null when kedge
 * did not stop it, and the tool's own words are the reason.
 */
export function whyKedgeStopped(outcome: ChildOutcome, timeoutMs: number, outputLimit: number): string | null {
  switch (outcome.stopped) {
    case 'aborted':
      return 'interrupted'
    case 'timeout':
      return `timed out after ${formatDuration(timeoutMs)}${outcome.signal === 'SIGKILL' ? ` (killed: it ignored SIGTERM for ${formatDuration(KILL_GRACE_MS)})` : ''}`
    case 'output_limit':
      return `it printed more than ${outputLimit / (1024 * 1024)} MiB`
    case null:
      return null
  }
}

/**
 * Node cannot give a child a umask of its own: the process's is set for the spawn, which is synchronous,
 * and put back before anything else runs.
 */
function spawnWithUmask(run: ChildRun): ChildProcess {
  const options = {cwd: run.cwd, env: run.env, stdio: [run.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] as StdioOptions, detached: true}
  if (run.umask === undefined) return spawn(run.file, [...run.args], options)
  const own = process.umask(run.umask)
  try {
    return spawn(run.file, [...run.args], options)
  } finally {
    process.umask(own)
  }
}

/** A tool kedge started, leading its own process group, until it and its group are gone. */
interface LiveGroup {
  pid: number
  stop(graceMs: number): void
  gone: Promise<void>
}

const live = new Set<LiveGroup>()
/** Aborted once stopOnSignals is stopping the process. */
const processStop = new AbortController()

/**
 * Runs a tool in a process group of its own (so that a stop reaches whatever it started too, and a
 * Ctrl-C at the terminal reaches kedge alone, which then stops it: see stopOnSignals). Resolves with how it
 * ended, whatever that was; rejects only when it could not be started.
 */
export function runChild(run: ChildRun): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    // Once kedge is stopping on a signal, no tool starts: not one the interrupted work would run next (a rollback).
    if (run.signal?.aborted || processStop.signal.aborted) {
      resolve({code: null, signal: null, stdout: Buffer.alloc(0), stderr: '', stopped: 'aborted'})
      return
    }
    const child = spawnWithUmask(run)
    const stdout: Buffer[] = []
    let stdoutBytes = 0
    const stderr = new BoundedText(STDERR_HEAD_BYTES, STDERR_TAIL_BYTES)
    let stopped: ChildOutcome['stopped'] = null
    let escalation: NodeJS.Timeout | undefined
    let closed = false
    let markGone: () => void = () => undefined
    const group: LiveGroup = {
      pid: child.pid ?? -1,
      gone: new Promise<void>((done) => (markGone = done)),
      stop(graceMs) {
        if (escalation !== undefined || closed) return
        signalGroup(group.pid, 'SIGTERM')
        escalation = setTimeout(() => killGroup(group), graceMs)
        // Unreferenced: kedge may end before the grace does; its exit sends SIGKILL to what is still live.
        escalation.unref()
      },
    }
    const stop = (why: NonNullable<ChildOutcome['stopped']>) => {
      stopped ??= why
      group.stop(run.killGraceMs ?? KILL_GRACE_MS)
    }
    const timer = setTimeout(() => stop('timeout'), run.timeoutMs)
    const onAbort = () => stop('aborted')
    run.signal?.addEventListener('abort', onAbort, {once: true})
    // Spawning is the only thing that can fail here (kedge signals the group itself): it never started.
    child.on('error', (error) => {
      if (child.pid !== undefined) return
      clearTimeout(timer)
      run.signal?.removeEventListener('abort', onAbort)
      reject(error)
    })
    if (child.pid === undefined) return
    live.add(group)
    watchProcessEnd()
    child.stdout!.on('data', (chunk: Buffer) => {
      if (stopped === 'output_limit') return
      stdoutBytes += chunk.length
      if (stdoutBytes > run.maxStdoutBytes) stop('output_limit')
      else {
        stdout.push(chunk)
        run.onStdout?.(chunk)
      }
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr.append(chunk)
      run.onStderr?.(chunk)
    })
    if (run.input !== undefined) {
      // A tool that exits before reading all of it closes the pipe: its exit status and stderr say why.
      child.stdin!.on('error', () => undefined)
      child.stdin!.end(run.input)
    }
    child.on('close', (code, signal) => {
      closed = true
      clearTimeout(timer)
      run.signal?.removeEventListener('abort', onAbort)
      // A stopped group whose leader is gone stays known until its SIGKILL while anything it started is still there.
      if (escalation === undefined || !groupExists(group.pid)) {
        clearTimeout(escalation)
        forget(group)
      }
      markGone()
      resolve({code, signal, stdout: Buffer.concat(stdout), stderr: stderr.text(), stopped})
    })
  })
}

/**
 * Stops every tool kedge still runs: SIGTERM to each process group, SIGKILL to those still there after
 * the grace. Resolves once they are gone.
 */
export async function stopAllChildren(graceMs = KILL_GRACE_MS): Promise<void> {
  const groups = [...live]
  for (const group of groups) group.stop(graceMs)
  const grace = new Promise<void>((done) => setTimeout(done, graceMs).unref())
  await Promise.race([Promise.all(groups.map((group) => group.gone)), grace])
  for (const group of groups) killGroup(group)
}

/** SIGKILL to every process group kedge started and that may still be there: for kedge's exit, where nothing can wait. */
export function killAllChildren(): void {
  for (const group of [...live]) killGroup(group)
}

/** How many process groups kedge started may still be there (for tests). */
export function liveChildCount(): number {
  return live.size
}

function killGroup(group: LiveGroup): void {
  signalGroup(group.pid, 'SIGKILL')
  forget(group)
}

function forget(group: LiveGroup): void {
  live.delete(group)
  if (live.size === 0) unwatchProcessEnd()
}

function groupExists(pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw error
  }
}

/** A group that is already gone is what was asked for. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

let watching = false

/** No tool outlives kedge: whatever ends the process (an error, process.exit, a signal handled by kedge) ends them too. */
function watchProcessEnd(): void {
  if (watching) return
  watching = true
  process.on('exit', killAllChildren)
}

function unwatchProcessEnd(): void {
  if (!watching) return
  watching = false
  process.off('exit', killAllChildren)
}

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

/**
 * For a command that has no shutdown of its own (every one but serve): on SIGINT, SIGTERM or SIGHUP, the
 * tools it runs are stopped (SIGTERM, then SIGKILL after the grace) before the process exits with
 * 128 + the signal's number, as it would have died of it. Its tools lead their own process groups, so a
 * Ctrl-C reaches kedge alone; without this they would go on after kedge. A second signal kills them at once.
 */
export function stopOnSignals(): AbortSignal {
  const onSignal = (signal: NodeJS.Signals) => {
    const exitCode = 128 + (constants.signals[signal] ?? 0)
    if (processStop.signal.aborted || live.size === 0) {
      processStop.abort()
      killAllChildren()
      process.exit(exitCode)
    }
    // The work under way sees it was interrupted, not that its tool failed: a deploy is recorded as
    // interrupted and starts no rollback, as when kedge dies of the signal.
    processStop.abort()
    void stopAllChildren().finally(() => process.exit(exitCode))
  }
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal)
  return processStop.signal
}

/** Text kept from a stream of any length: its first and its last bytes, what lies between left out and counted. */
export class BoundedText {
  private readonly head: Buffer[] = []
  private headBytes = 0
  private tail: Buffer[] = []
  private tailBytes = 0
  private omitted = 0

  constructor(
    private readonly headLimit: number,
    private readonly tailLimit: number,
  ) {}

  append(chunk: Buffer): void {
    let rest = chunk
    if (this.headBytes < this.headLimit) {
      const taken = rest.subarray(0, this.headLimit - this.headBytes)
      this.head.push(taken)
      this.headBytes += taken.length
      rest = rest.subarray(taken.length)
    }
    if (rest.length === 0) return
    this.tail.push(rest)
    this.tailBytes += rest.length
    while (this.tailBytes > this.tailLimit) {
      const first = this.tail[0]!
      const excess = this.tailBytes - this.tailLimit
      if (first.length <= excess) {
        this.tail.shift()
        this.tailBytes -= first.length
        this.omitted += first.length
      } else {
        this.tail[0] = first.subarray(excess)
        this.tailBytes -= excess
        this.omitted += excess
      }
    }
  }

  text(): string {
    const head = Buffer.concat(this.head).toString('utf8')
    const tail = Buffer.concat(this.tail).toString('utf8')
    return this.omitted === 0 ? head + tail : `${head}\n[${this.omitted} bytes left out]\n${tail}`
  }
}
