import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import path from 'node:path'
import {after} from 'node:test'
import {fileURLToPath} from 'node:url'

import {waitFor} from './wait.js'

const BUILD_IMAGES = fileURLToPath(new URL('../../scripts/build-local-images.sh', import.meta.url))

/**
 * A Docker daemon of the test's own (own socket, data and exec roots, and its own network namespace,
 * so that its bridge and iptables rules never touch the host's daemon), so that a test can restart it
 * while the host's daemon keeps serving every other test. Needs root, like the test bed's daemon.
 */
export class PrivateEngine {
  readonly root: string
  readonly socket: string
  private daemon: ChildProcess | null = null
  log = ''

  constructor() {
    // Short: a unix socket path must fit in 108 bytes.
    this.root = mkdtempSync('/tmp/kedge-engine-')
    this.socket = path.join(this.root, 'd.sock')
    after(() => this.destroy())
  }

  /** What a process needs in its environment to use this daemon (dockerode and Compose read DOCKER_HOST). */
  get env(): NodeJS.ProcessEnv {
    return {DOCKER_HOST: `unix://${this.socket}`}
  }

  docker(...args: string[]): string {
    return execFileSync('docker', args, {env: {...process.env, ...this.env}, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
  }

  async start(): Promise<void> {
    const daemon = spawn(
      'unshare',
      [
        '--net', '--', 'dockerd',
        '--host', `unix://${this.socket}`,
        '--data-root', path.join(this.root, 'data'),
        '--exec-root', path.join(this.root, 'exec'),
        '--pidfile', path.join(this.root, 'dockerd.pid'),
        '--iptables=false', '--ip-masq=false',
        // Where a system containerd runs (docker-ce hosts), the host's daemon uses its "moby" namespaces.
        '--containerd-namespace', `${path.basename(this.root)}`,
        '--containerd-plugins-namespace', `${path.basename(this.root)}-plugins`,
      ],
      {stdio: ['ignore', 'ignore', 'pipe']},
    )
    daemon.stderr!.on('data', (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-20_000)))
    this.daemon = daemon
    await waitFor(`the private Docker daemon to answer (log: ${this.log.slice(-2000)})`, () => {
      if (daemon.exitCode !== null) throw new Error(`dockerd exited with ${daemon.exitCode}: ${this.log.slice(-2000)}`)
      try {
        this.docker('version', '--format', '{{.Server.Version}}')
        return true
      } catch {
        return false
      }
    }, 60_000, 200)
  }

  /** Stops the daemon the way a service manager does (SIGTERM): it stops its containers and exits. */
  async stop(): Promise<void> {
    const daemon = this.daemon
    if (!daemon || daemon.exitCode !== null) return
    let timer: NodeJS.Timeout | undefined
    const exited = new Promise((resolve) => daemon.once('exit', resolve))
    daemon.kill('SIGTERM')
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 30_000)))])
    clearTimeout(timer)
    if (daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGKILL')
      await exited
    }
    this.daemon = null
  }

  async restart(): Promise<void> {
    await this.stop()
    await this.start()
  }

  /** The test images, built into this daemon from the host's static busybox as the test bed does. */
  buildTestImages(...tags: string[]): void {
    execFileSync('bash', [BUILD_IMAGES, 'kedge-test/busybox', ...tags], {env: {...process.env, ...this.env}, stdio: ['ignore', 'ignore', 'pipe']})
  }

  private async destroy(): Promise<void> {
    if (this.daemon && this.daemon.exitCode === null) {
      try {
        const ids = this.docker('ps', '-aq').split('\n').filter(Boolean)
        if (ids.length > 0) this.docker('rm', '-f', ...ids)
      } catch {
        // Removed below with the data root anyway.
      }
    }
    await this.stop()
    // A daemon that died uncleanly can leave overlay and shm mounts under its roots.
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1] ?? '').filter((mount) => mount.startsWith(this.root))
    for (const mount of mounts.sort().reverse()) {
      try {
        execFileSync('umount', ['-l', mount], {stdio: 'ignore'})
      } catch {
        // Already gone.
      }
    }
    if (existsSync(this.root)) rmSync(this.root, {recursive: true, force: true})
  }
}
