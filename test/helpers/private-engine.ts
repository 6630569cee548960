import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after} from 'node:test'
import {fileURLToPath} from 'node:url'

import type {TestNode} from './test-network.js'
import type {TlsCertificates} from './tls-certs.js'
import {waitFor} from './wait.js'

const BUILD_IMAGES = fileURLToPath(new URL('../../scripts/build-local-images.sh', import.meta.url))
const TLS_PORT = 2376
const SWARM_PORT = 2377
const TEST_IMAGE_REPOSITORY = 'kedge-test/busybox'

export interface PrivateEngineOptions {
  /**
   * Runs the daemon in this node of a `TestNetwork`, reachable from the host at the node's address, and
   * with iptables on (in the node's own tables), which Swarm's overlay networks between nodes need.
   * Without it the daemon gets a namespace of its own with no link out, and iptables off.
   */
  netns?: TestNode
  /**
   * Also listens on tcp://<node address>:2376 with these certificates (made for the node's address), and
   * requires a client certificate signed by their CA. Needs `netns`.
   */
  tls?: TlsCertificates
  /** More dockerd flags, after the ones this helper sets. */
  extraArgs?: string[]
}

/**
 * A Docker daemon of the test's own (own socket, data and exec roots, pid file and containerd namespaces,
 * and its own network namespace, so that its bridge and iptables rules never touch the host's daemon),
 * so that a test can restart it while the host's daemon keeps serving every other test. It stands for a
 * remote host too: in a node of a `TestNetwork`, over TLS, and in Swarm mode. Needs root, like the test
 * bed's daemon.
 */
export class PrivateEngine {
  readonly root: string
  readonly socket: string
  readonly node: TestNode | undefined
  readonly tls: TlsCertificates | undefined
  private readonly extraArgs: string[]
  private readonly pidFile: string
  private daemon: ChildProcess | null = null
  private destroyed: Promise<void> | null = null
  private loopbackSwarm = false
  log = ''

  constructor(options: PrivateEngineOptions = {}) {
    if (options.tls && !options.netns) throw new Error('a TLS listener needs a test network node to listen on')
    this.node = options.netns
    this.tls = options.tls
    this.extraArgs = options.extraArgs ?? []
    // Short: a unix socket path must fit in 108 bytes.
    this.root = mkdtempSync('/tmp/kedge-engine-')
    this.socket = path.join(this.root, 'd.sock')
    // Never dockerd's default /var/run/docker.pid: the test bed takes a stale one there for a dead main engine.
    this.pidFile = path.join(this.root, 'dockerd.pid')
    after(() => this.destroy())
    // Stopped before its namespace goes, whichever teardown comes first.
    this.node?.network.onTeardown(() => this.destroy())
  }

  /** What a process needs in its environment to use this daemon (dockerode and Compose read DOCKER_HOST). */
  get env(): NodeJS.ProcessEnv {
    return {DOCKER_HOST: `unix://${this.socket}`}
  }

  /** `tcp://<node address>:2376`, the TLS listener. */
  get tcpHost(): string {
    if (!this.node || !this.tls) throw new Error('this engine has no TLS listener')
    return `tcp://${this.node.address}:${TLS_PORT}`
  }

  /** The docker CLI's environment for the TLS listener, with the client certificate of `tls`. */
  get tlsEnv(): NodeJS.ProcessEnv {
    return {DOCKER_HOST: this.tcpHost, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: this.tls!.dir}
  }

  /** The address other Swarm nodes reach this one at. */
  get swarmAddress(): string {
    return this.node?.address ?? '127.0.0.1'
  }

  docker(...args: string[]): string {
    return execFileSync('docker', args, {env: {...process.env, ...this.env}, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
  }

  /** The daemon's pid, as it wrote it. */
  get pid(): number {
    return Number(readFileSync(this.pidFile, 'utf8').trim())
  }

  async start(): Promise<void> {
    const tlsArgs = this.tls
      ? ['--host', this.tcpHost, '--tlsverify', '--tlscacert', this.tls.ca.certFile, '--tlscert', this.tls.server.certFile, '--tlskey', this.tls.server.keyFile]
      : []
    const dockerdArgs = [
      '--host', `unix://${this.socket}`,
      ...tlsArgs,
      '--data-root', path.join(this.root, 'data'),
      '--exec-root', path.join(this.root, 'exec'),
      '--pidfile', this.pidFile,
      // Docker 20.10 derives the engine's ID from a key file, /etc/docker/key.json unless its configuration
      // file says otherwise (there is no flag): with the main engine's key, it would answer with its ID.
      '--config-file', this.writeDaemonConfig(),
      ...(this.node ? [] : ['--iptables=false', '--ip-masq=false']),
      // Where a system containerd runs (docker-ce hosts), the host's daemon uses its "moby" namespaces.
      '--containerd-namespace', `${path.basename(this.root)}`,
      '--containerd-plugins-namespace', `${path.basename(this.root)}-plugins`,
      ...this.extraArgs,
    ]
    // nsenter, not `ip netns exec`: that one also remounts /sys, and dockerd then finds no devices cgroup.
    const daemon = this.node
      ? spawn('nsenter', [`--net=${this.node.netnsPath}`, '--', 'dockerd', ...dockerdArgs], {stdio: ['ignore', 'ignore', 'pipe']})
      : spawn('unshare', ['--net', '--', 'dockerd', ...dockerdArgs], {stdio: ['ignore', 'ignore', 'pipe']})
    daemon.stderr!.on('data', (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-20_000)))
    this.daemon = daemon
    // Whatever ends the test process, the daemon is not left running.
    const stopOnExit = (): void => {
      daemon.kill('SIGTERM')
    }
    process.once('exit', stopOnExit)
    daemon.once('exit', () => process.off('exit', stopOnExit))
    // An early exit (a flag refused, a path taken) fails the start at once, with dockerd's own words.
    const untilAnswering = async (what: string, answers: () => boolean, timeoutMs: number, intervalMs: number): Promise<void> => {
      let outcome: 'answering' | 'exited'
      try {
        outcome = await waitFor(what, () => (daemon.exitCode !== null || daemon.signalCode !== null ? 'exited' : answers() && 'answering'), timeoutMs, intervalMs)
      } catch (error) {
        throw new Error(`${String(error)}; dockerd's log ends with: ${this.log.slice(-2000)}`)
      }
      if (outcome === 'exited') throw new Error(`dockerd exited with ${daemon.exitCode ?? daemon.signalCode}: ${this.log.slice(-2000)}`)
    }
    if (this.loopbackSwarm) {
      // A fresh `unshare --net` namespace has lo down again, and Swarm listens on 127.0.0.1.
      // unshare executes dockerd in place: once the pid file names that pid, the namespace is dockerd's.
      await untilAnswering('the private Docker daemon to write its pid', () => existsSync(this.pidFile) && this.pid === daemon.pid, 60_000, 20)
      this.bringLoopbackUp()
    }
    await untilAnswering('the private Docker daemon to answer', () => succeeds(() => this.docker('version', '--format', '{{.Server.Version}}')), 60_000, 200)
    if (this.tls) {
      const tlsEnv = {...process.env, ...this.tlsEnv}
      await untilAnswering(`the private Docker daemon to answer on ${this.tcpHost}`, () => succeeds(() => execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], {env: tlsEnv, stdio: 'ignore'})), 30_000, 100)
    }
  }

  /** Stops the daemon the way a service manager does (SIGTERM): it stops its containers and exits. */
  async stop(): Promise<void> {
    const daemon = this.daemon
    // One killed by a signal has no exit code, and its exit event, already past, would never come again.
    if (!daemon || daemon.exitCode !== null || daemon.signalCode !== null) return
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
    execFileSync('bash', [BUILD_IMAGES, TEST_IMAGE_REPOSITORY, ...tags], {env: {...process.env, ...this.env}, stdio: ['ignore', 'ignore', 'pipe']})
  }

  /**
   * Copies images from the main engine (`docker save | docker load`): faster than building them, and the
   * same image ids on every engine. A bare tag (`'1'`) names a test image, `kedge-test/busybox:1`.
   */
  loadImagesFrom(...images: string[]): void {
    const references = images.map((image) => (/[:/]/.test(image) ? image : `${TEST_IMAGE_REPOSITORY}:${image}`))
    const archive = execFileSync('docker', ['save', ...references], {stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1024 ** 3})
    execFileSync('docker', ['load', '--quiet'], {env: {...process.env, ...this.env}, input: archive, stdio: ['pipe', 'ignore', 'pipe']})
  }

  /**
   * Makes this engine a single-node Swarm manager. In a namespace of its own it has only lo, which
   * `unshare --net` leaves down, so Swarm is told to use 127.0.0.1 (it cannot pick an address itself);
   * in a test network node it advertises the node's address, for other nodes to join.
   */
  async swarmInit(): Promise<void> {
    if (this.node) {
      this.docker('swarm', 'init', '--advertise-addr', this.node.address)
    } else {
      this.bringLoopbackUp()
      this.loopbackSwarm = true
      this.docker('swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', `127.0.0.1:${SWARM_PORT}`)
    }
    await waitFor('the engine to manage its swarm', () => this.docker('info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}').trim() === 'active true', 30_000)
  }

  /** Joins `manager`'s swarm as a worker; resolves once the manager sees this node ready. Both must be test network nodes. */
  async swarmJoin(manager: PrivateEngine): Promise<void> {
    if (!this.node || !manager.node) throw new Error('only engines in test network nodes can reach each other to form a swarm')
    const token = manager.docker('swarm', 'join-token', '--quiet', 'worker').trim()
    this.docker('swarm', 'join', '--token', token, '--advertise-addr', this.node.address, `${manager.swarmAddress}:${SWARM_PORT}`)
    const nodeId = this.swarmNodeId
    await waitFor(`the manager to see node ${nodeId} ready`, () => manager.docker('node', 'inspect', '--format', '{{.Status.State}}', nodeId).trim() === 'ready', 30_000)
  }

  /** This engine's Swarm node id, empty when it is in no swarm. */
  get swarmNodeId(): string {
    return this.docker('info', '--format', '{{.Swarm.NodeID}}').trim()
  }

  /** Stops the daemon and removes everything it had (containers, its swarm membership, mounts, roots). Runs after the test by itself. */
  destroy(): Promise<void> {
    this.destroyed ??= this.teardown()
    return this.destroyed
  }

  /** The daemon's own configuration file, so that nothing of the main engine's /etc/docker applies to it. */
  private writeDaemonConfig(): string {
    const file = path.join(this.root, 'daemon.json')
    writeFileSync(file, JSON.stringify({'deprecated-key-path': path.join(this.root, 'key.json')}))
    return file
  }

  private bringLoopbackUp(): void {
    execFileSync('nsenter', ['-t', String(this.pid), '-n', 'ip', 'link', 'set', 'lo', 'up'], {stdio: ['ignore', 'ignore', 'pipe']})
  }

  private async teardown(): Promise<void> {
    if (this.daemon && this.daemon.exitCode === null && this.daemon.signalCode === null) {
      try {
        // Left first, or Swarm would start again the tasks whose containers are removed below.
        if (this.docker('info', '--format', '{{.Swarm.LocalNodeState}}').trim() !== 'inactive') this.docker('swarm', 'leave', '--force')
      } catch {
        // The data root, swarm state included, is removed below anyway.
      }
      try {
        const ids = this.docker('ps', '-aq').split('\n').filter(Boolean)
        if (ids.length > 0) this.docker('rm', '-f', ...ids)
      } catch {
        // Removed below with the data root anyway.
      }
    }
    await this.stop()
    // A daemon that died uncleanly can leave overlay, shm and netns mounts under its roots.
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

function succeeds(action: () => unknown): boolean {
  try {
    action()
    return true
  } catch {
    return false
  }
}
