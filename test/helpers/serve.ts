import {spawn, type ChildProcess} from 'node:child_process'
import {after} from 'node:test'

import {KEDGE_BIN} from './cli.js'
import {waitFor} from './wait.js'

export interface LogLine {
  time: string
  level: string
  event: string
  repo?: string
  commit?: string
  [key: string]: unknown
}

/** `kedge serve` in its own process with JSON logs, killed when the test file ends if still running. */
export class ServeProcess {
  readonly lines: LogLine[] = []
  stderr = ''
  private readonly child: ChildProcess
  readonly exited: Promise<number | null>

  constructor(home: string, args: string[] = [], extraEnv: NodeJS.ProcessEnv = {}) {
    const env: NodeJS.ProcessEnv = {...process.env, KEDGE_HOME: home, FORCE_COLOR: '0', ...extraEnv}
    delete env.KEDGE_DEBUG
    // A free port of its own, so that serves of several tests never compete for the default one.
    const listen = args.includes('--listen') ? [] : ['--listen', '127.0.0.1:0']
    // `--log-level` of the caller's own, or none at all (`--log-level=`) to leave it to each kedge.yaml.
    const level = args.some((arg) => arg.startsWith('--log-level')) ? [] : ['--log-level', 'debug']
    const own = args.filter((arg) => arg !== '--log-level=')
    this.child = spawn(process.execPath, [KEDGE_BIN, 'serve', '--log-format', 'json', ...level, ...listen, ...own], {env, stdio: ['ignore', 'pipe', 'pipe']})
    let buffered = ''
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const complete = buffered.split('\n')
      buffered = complete.pop()!
      for (const line of complete.filter(Boolean)) this.lines.push(parseLine(line))
    })
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()))
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)))
    after(() => {
      if (this.child.exitCode === null) this.child.kill('SIGKILL')
    })
  }

  get pid(): number {
    return this.child.pid!
  }

  /**
   * Waits for a log line matching `match`, among those logged from index `from` on. A timeout names what
   * serve logged meanwhile (its last lines) and its stderr, so that a failure in CI tells what serve did instead.
   */
  async waitForLog(match: (line: LogLine) => boolean, timeoutMs = 60_000, from = 0): Promise<LogLine> {
    try {
      return await waitFor('a serve log line', () => this.lines.slice(from).find(match), timeoutMs)
    } catch (error) {
      const logged = collapsed(this.lines.slice(from).map(summaryOf)).slice(-30)
      throw new Error(`${String(error)}; serve's last lines since: ${logged.length === 0 ? 'none' : logged.join(' | ')}; stderr: ${this.stderr.slice(-2000)}`)
    }
  }

  events(event: string, repo?: string): LogLine[] {
    return this.lines.filter((line) => line.event === event && (repo === undefined || line.repo === repo))
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal)
  }

  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM')
    return this.exited
  }
}

/** A log line in a few words: its event, repository, commit and what it says went wrong. */
function summaryOf(line: LogLine): string {
  const words = [line.event, line.repo, typeof line.commit === 'string' ? line.commit.slice(0, 7) : undefined, line.error, line.note, line.text]
  return words.filter((word) => word !== undefined && word !== null).map(String).join(' ')
}

/** Runs of the same line (a poll logged every second) as one, with their count. */
function collapsed(lines: string[]): string[] {
  const runs: Array<{line: string; count: number}> = []
  for (const line of lines) {
    const last = runs.at(-1)
    if (last?.line === line) last.count++
    else runs.push({line, count: 1})
  }
  return runs.map(({line, count}) => (count === 1 ? line : `${line} (×${count})`))
}

/** A line that is not JSON is kept as such, so that a test fails on it rather than the reader crashing. */
function parseLine(line: string): LogLine {
  try {
    return JSON.parse(line) as LogLine
  } catch {
    return {time: '', level: 'unparsed', event: 'unparsed', text: line}
  }
}
