import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

import {median} from './results.js'

export const root = fileURLToPath(new URL('..', import.meta.url))
export const KEDGE_BIN = path.join(root, 'bin/run.cjs')

export function run(file: string, args: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): string {
  return execFileSync(file, args, {...options, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
}

export const docker = (...args: string[]) => run('docker', args)

/** The value given after `name` on the command line, if any. */
export function option(name: string): string | undefined {
  const index = process.argv.indexOf(name)
  return index === -1 ? undefined : process.argv[index + 1]
}

export type ComposeName = 'v2' | 'v1'

/** A Compose under test: the command as a user types it (and as KEDGE_COMPOSE names it), and its version. */
export interface BenchCompose {
  name: ComposeName
  command: string
  version: string
}

const COMPOSE_COMMANDS: Record<ComposeName, string> = {v2: 'docker compose', v1: 'docker-compose'}

/** Runs `compose` with `args` in `cwd`, as a user would by hand. */
export function runCompose(compose: BenchCompose | string, args: string[], cwd?: string): string {
  const [file, ...words] = (typeof compose === 'string' ? compose : compose.command).split(' ')
  return run(file!, [...words, ...args], {cwd})
}

/** `--compose v2|v1|both` (else `fallback`): the Composes to measure, v2 (primary) first, v1 (legacy) second. */
export function composesUnderTest(fallback: ComposeName | 'both' = 'both'): BenchCompose[] {
  const choice = option('--compose') ?? fallback
  if (choice !== 'v2' && choice !== 'v1' && choice !== 'both') throw new Error(`--compose takes v2, v1 or both, not "${choice}"`)
  const names: ComposeName[] = choice === 'both' ? ['v2', 'v1'] : [choice]
  return names.map((name) => ({name, command: COMPOSE_COMMANDS[name], version: runCompose(COMPOSE_COMMANDS[name], ['version', '--short']).trim()}))
}

/** Measures each Compose under test in turn (see composesUnderTest), saying which it measured. */
export async function measureEachCompose<T>(measure: (compose: BenchCompose) => Promise<T>): Promise<T[]> {
  const legs: T[] = []
  for (const compose of composesUnderTest()) {
    legs.push(await measure(compose))
    console.log(`measured ${compose.command} ${compose.version}`)
  }
  return legs
}

/** The environment of a kedge process of a bench: its own home, and the Compose under test. */
export function kedgeEnvironment(home: string, compose: BenchCompose, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {...process.env, KEDGE_HOME: home, KEDGE_COMPOSE: compose.command, ...extra}
}

/**
 * A one-service stack on the test image `kedge-test/busybox:<version>`. The image ends on SIGTERM only
 * once its `sleep 1` is over: replacing it would cost anywhere from 0 to 1 s, at random, on every path.
 * Killed at once (stop_grace_period 0s), the old container costs every path the same.
 */
export function stackYaml(version: number, options: {healthcheck?: boolean} = {}): string {
  const healthcheck = options.healthcheck ? '    healthcheck:\n      test: ["CMD", "true"]\n      interval: 1s\n' : ''
  return `services:\n  web:\n    image: kedge-test/busybox:${version}\n    stop_grace_period: 0s\n${healthcheck}`
}

/** The image a Compose project's container runs, once it runs (and is healthy, if it has a healthcheck). */
export function readyImage(project: string): string | undefined {
  const line = docker('ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Image}}\t{{.State}}\t{{.Status}}').trim().split('\n')[0]
  const [image, state, status] = line?.split('\t') ?? []
  return state === 'running' && !/\((health: starting|unhealthy)\)/.test(status ?? '') ? image : undefined
}

/** Median, worst and ratio to `baseline` (a median) of samples in ms, rounded for a table. */
export function summarize(samples: number[], baseline: number): {medianMs: number; maxMs: number; ratio: number} {
  const middle = median(samples)
  return {medianMs: Math.round(middle), maxMs: Math.round(Math.max(...samples)), ratio: Number((middle / baseline).toFixed(2))}
}

/** One table of the legs' rows, matched by `key`: each measured column once per Compose, v2 first. */
export function sideBySide(legs: Array<{compose: BenchCompose; rows: Array<Record<string, unknown>>}>, key: string): Array<Record<string, unknown>> {
  const table = new Map<unknown, Record<string, unknown>>()
  for (const {compose, rows} of legs) {
    for (const row of rows) {
      const merged = table.get(row[key]) ?? {[key]: row[key]}
      for (const [column, value] of Object.entries(row)) if (column !== key) merged[`${compose.name} ${column}`] = value
      table.set(row[key], merged)
    }
  }
  return [...table.values()]
}

/** A bare repository holding `files` on main, and a clone to push changes from. */
export class BenchRemote {
  readonly bare: string
  private readonly clone: string

  constructor(dir: string, files: Record<string, string>) {
    this.bare = path.join(dir, 'remote.git')
    this.clone = path.join(dir, 'clone')
    run('git', ['init', '--quiet', '--bare', '--initial-branch=main', this.bare])
    run('git', ['clone', '--quiet', this.bare, this.clone])
    this.commit(files)
  }

  commit(files: Record<string, string>): string {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(this.clone, file)), {recursive: true})
      writeFileSync(path.join(this.clone, file), content)
    }
    run('git', ['add', '--all'], {cwd: this.clone})
    run('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@kedge.invalid', 'commit', '--quiet', '--allow-empty', '-m', 'bench'], {cwd: this.clone})
    run('git', ['push', '--quiet', 'origin', 'HEAD:main'], {cwd: this.clone})
    return run('git', ['rev-parse', 'HEAD'], {cwd: this.clone}).trim()
  }
}

/** `kedge serve` with JSON logs kept in memory, on a free port. */
export class BenchServe {
  readonly child: ChildProcess
  private log = ''

  /** `bin` is this checkout's kedge unless another one is measured beside it. */
  constructor(env: NodeJS.ProcessEnv, args: string[] = [], bin = KEDGE_BIN) {
    this.child = spawn(process.execPath, [bin, 'serve', '--log-format', 'json', '--listen', '127.0.0.1:0', ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
    const keep = (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-200_000))
    this.child.stdout!.on('data', keep)
    this.child.stderr!.on('data', keep)
  }

  get pid(): number {
    return this.child.pid!
  }

  lines(): Array<Record<string, unknown>> {
    return this.log
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  }

  async waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs = 120_000): Promise<Record<string, unknown>> {
    return until(() => this.lines().find(match), timeoutMs)
  }

  /** The HTTP address serve listens on. */
  async address(): Promise<string> {
    return String((await this.waitFor((line) => line.event === 'http.listening')).address)
  }

  tail(lines = 15): string {
    return this.log.split('\n').slice(-lines).join('\n')
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    await exited
  }
}

export async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error('timed out')
    await sleep(intervalMs)
  }
}

/** Removes a Compose project's containers and networks, whoever made them. */
export function removeProject(project: string): void {
  const ids = docker('ps', '--all', '--quiet', '--filter', `label=com.docker.compose.project=${project}`).split('\n').filter(Boolean)
  if (ids.length > 0) docker('rm', '--force', ...ids)
  for (const network of docker('network', 'ls', '--quiet', '--filter', `label=com.docker.compose.project=${project}`).split('\n').filter(Boolean)) docker('network', 'rm', network)
}

/** Runs `body` in a new temporary directory, then removes it and the Compose projects named, whatever happened. */
export async function inScratch<T>(prefix: string, projects: string[], body: (work: string) => Promise<T>): Promise<T> {
  const work = mkdtempSync(path.join(tmpdir(), prefix))
  try {
    return await body(work)
  } finally {
    for (const project of projects) removeProject(project)
    rmSync(work, {recursive: true, force: true})
  }
}
