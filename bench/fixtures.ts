import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

export const root = fileURLToPath(new URL('..', import.meta.url))
export const KEDGE_BIN = path.join(root, 'bin/run.cjs')

export function run(file: string, args: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): string {
  return execFileSync(file, args, {...options, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
}

export const docker = (...args: string[]) => run('docker', args)

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

  constructor(env: NodeJS.ProcessEnv, args: string[] = []) {
    this.child = spawn(process.execPath, [KEDGE_BIN, 'serve', '--log-format', 'json', '--listen', '127.0.0.1:0', ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
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
