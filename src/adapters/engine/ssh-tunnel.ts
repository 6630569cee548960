import {spawn, type ChildProcess} from 'node:child_process'
import {readFileSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'

import type {EngineEndpoint} from '../../model/engine/engine-endpoint.js'
import {isKedgeError, type KedgeError} from '../../model/errors.js'
import {formatDuration} from '../../model/config/duration.js'
import {environmentWithoutSecrets} from '../../model/secrets/secret-environment.js'
import {createPrivateDirectory, removePrivateDirectory} from '../process/private-directory.js'
import {hostKeyChecking, pinnedKeyOptions, SSH_STALL_OPTIONS, STALL_TIMEOUT_SECONDS, writeSshKeyFiles, type SshKeyFiles} from '../process/ssh-options.js'
import {sshEnded, sshNotStarted, tunnelClosed} from './tunnel-failures.js'

export type SshEndpoint = Extract<EngineEndpoint, {kind: 'ssh'}>

export interface SshTunnelOptions {
  endpoint: SshEndpoint
  /** The engine's name, for the words of errors. */
  engineName: string
  /** How errors name the engine: "the Docker engine web2 (ssh://deploy@10.0.0.12:22)". */
  subject: string
  /**
   * kedge's own key and known_hosts for the engine (known_hosts empty: the first host key is trusted and
   * reported); null runs ssh with the configuration of the user kedge runs as, as `docker` would for a
   * Docker context's ssh:// endpoint.
   */
  key: {privateKey: string; knownHosts: string} | null
  /** Told the known_hosts text once ssh has accepted a host key on first use and the tunnel is open, for the caller to store. */
  onHostKeyLearned?: (knownHosts: string) => void
}

/** A tunnel that stays open this long has recovered: its next restart waits the shortest delay again. */
const RECOVERED_AFTER_MS = 60_000
const RESTART_DELAYS_MS = {first: 1_000, longest: 30_000}
/** ssh gives up on a connection after ConnectTimeout; the tunnel waits that long and a little more for its socket to take connections. */
const OPEN_TIMEOUT_MS = (STALL_TIMEOUT_SECONDS + 5) * 1000
const PROBE_INTERVAL_MS = 50
/** How long a request's broken connection waits for news of ssh's exit, which Node reports a little after. */
const EXIT_NOTICE_MS = 500
/** What a request meets when nothing listens on the socket any more, or the listener went away mid-request. */
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOENT'])
/** Of ssh's standard error, the end is kept: its explanation comes last. */
const STDERR_KEPT_CHARS = 8 * 1024

/** The tunnels open now: however kedge ends, the ssh each started must not outlive it holding a connection. */
const liveTunnels = new Set<SshTunnel>()
const stopAllOnExit = () => {
  for (const tunnel of liveTunnels) tunnel.close()
}

type State = {kind: 'starting'} | {kind: 'open'; since: number} | {kind: 'waiting'; failure: KedgeError} | {kind: 'closed'}

/**
 * An OpenSSH process forwarding a unix socket in a private directory to the engine's socket on another
 * machine, kept running: restarted, with growing waits, whenever it ends. One SSH connection carries every
 * request (a channel each), where dockerode's ssh2 or the Docker CLI's ssh:// would open one per request
 * or per command (about 350 ms each). Compose and the CLI reach the engine through the same socket.
 */
export class SshTunnel {
  readonly socketPath: string
  private readonly directory: string
  private readonly files: SshKeyFiles | null
  private state: State = {kind: 'starting'}
  private child: ChildProcess | null = null
  private stderr = ''
  private restartTimer: NodeJS.Timeout | null = null
  private nextDelayMs: number
  private knownHostsSeen: string
  private waiters: Array<{resolve: () => void; reject: (error: unknown) => void}> = []
  private changeWatchers: Array<() => void> = []

  private constructor(private readonly options: SshTunnelOptions) {
    this.directory = createPrivateDirectory()
    this.socketPath = path.join(this.directory, 'e.sock')
    try {
      this.files = options.key ? writeSshKeyFiles(this.directory, options.key.privateKey, options.key.knownHosts) : null
    } catch (error) {
      removePrivateDirectory(this.directory)
      throw error
    }
    this.knownHostsSeen = options.key?.knownHosts ?? ''
    this.nextDelayMs = RESTART_DELAYS_MS.first
    if (liveTunnels.size === 0) process.on('exit', stopAllOnExit)
    liveTunnels.add(this)
  }

  /** Starts ssh and resolves once the tunnel takes connections; fails with why ssh could not open it (and leaves nothing running). */
  static async open(options: SshTunnelOptions): Promise<SshTunnel> {
    const tunnel = new SshTunnel(options)
    tunnel.start()
    try {
      await tunnel.usable()
    } catch (error) {
      tunnel.close()
      throw error
    }
    return tunnel
  }

  /**
   * Resolves when the tunnel takes connections: at once when it is open, when it opens while ssh starts.
   * While ssh waits to be started again, fails at once with why it ended: a request must not wait on a
   * tunnel that is down.
   */
  usable(signal?: AbortSignal): Promise<void> {
    const state = this.state
    if (state.kind === 'open') return Promise.resolve()
    if (state.kind === 'waiting') return Promise.reject(state.failure)
    if (state.kind === 'closed') return Promise.reject(tunnelClosed(this.options))
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise((resolve, reject) => {
      const waiter = {resolve, reject}
      this.waiters.push(waiter)
      signal?.addEventListener('abort', () => {
        this.waiters = this.waiters.filter((other) => other !== waiter)
        reject(signal.reason)
      }, {once: true})
    })
  }

  /**
   * A request's failure, as the tunnel explains it when it is down. A connection broken by ssh's end is
   * often seen before ssh's exit is: the exit gets a moment to arrive, so that the error says why.
   */
  async explain(error: unknown): Promise<unknown> {
    if (isKedgeError(error)) return error
    if (this.state.kind === 'open' && CONNECTION_ERRORS.has(String((error as {code?: unknown}).code))) await this.nextChange(EXIT_NOTICE_MS)
    if (this.state.kind === 'waiting') return this.state.failure
    if (this.state.kind === 'closed') return tunnelClosed(this.options)
    return error
  }

  /** Resolves when the tunnel opens, ends or closes, or after `waitMs` if it does not. */
  private nextChange(waitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, waitMs)
      function done(): void {
        clearTimeout(timer)
        resolve()
      }
      this.changeWatchers.push(done)
    })
  }

  private changed(): void {
    const watchers = this.changeWatchers
    this.changeWatchers = []
    for (const watcher of watchers) watcher()
  }

  close(): void {
    if (this.state.kind === 'closed') return
    this.state = {kind: 'closed'}
    if (this.restartTimer) clearTimeout(this.restartTimer)
    this.settleWaiters(tunnelClosed(this.options))
    this.changed()
    this.stopChild()
    removePrivateDirectory(this.directory)
    liveTunnels.delete(this)
    if (liveTunnels.size === 0) process.off('exit', stopAllOnExit)
  }

  private start(): void {
    this.restartTimer = null
    this.state = {kind: 'starting'}
    this.stderr = ''
    const child = spawn('ssh', this.arguments(), {stdio: ['ignore', 'ignore', 'pipe'], env: environmentWithoutSecrets(), detached: true})
    this.child = child
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_KEPT_CHARS)
    })
    let ended = false
    const end = (failure: KedgeError) => {
      if (ended) return
      ended = true
      if (this.child === child) this.child = null
      this.ended(failure)
    }
    child.once('error', (error) => end(sshNotStarted(error, this.options)))
    // 'close', not 'exit': ssh's last words on standard error are read by then.
    child.once('close', (code, signal) => end(sshEnded({output: this.stderr, code, signal, ownKey: this.files !== null}, this.options)))
    const startedAt = Date.now()
    void this.probe(child, startedAt)
  }

  /** Ready means a connection to the socket succeeds: a socket file left by an ssh that died takes none. */
  private async probe(child: ChildProcess, startedAt: number): Promise<void> {
    while (this.child === child && this.state.kind === 'starting') {
      if (await connects(this.socketPath)) {
        if (this.child === child && this.state.kind === 'starting') this.opened()
        return
      }
      if (Date.now() - startedAt > OPEN_TIMEOUT_MS) {
        this.stderr += `\nthe tunnel's socket took no connection within ${formatDuration(OPEN_TIMEOUT_MS)}`
        this.stopChild()
        return
      }
      await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS))
    }
  }

  private opened(): void {
    this.state = {kind: 'open', since: Date.now()}
    this.settleWaiters(null)
    this.changed()
    this.reportLearnedHostKey()
  }

  private ended(failure: KedgeError): void {
    if (this.state.kind === 'closed') return
    // A tunnel that opens and drops at once (a server that ends sessions, a link that flaps) waits longer each time.
    if (this.state.kind === 'open' && Date.now() - this.state.since > RECOVERED_AFTER_MS) this.nextDelayMs = RESTART_DELAYS_MS.first
    this.state = {kind: 'waiting', failure}
    this.settleWaiters(failure)
    this.changed()
    const delay = this.nextDelayMs
    this.nextDelayMs = Math.min(this.nextDelayMs * 2, RESTART_DELAYS_MS.longest)
    this.restartTimer = setTimeout(() => this.start(), delay)
  }

  private settleWaiters(failure: unknown): void {
    const waiters = this.waiters
    this.waiters = []
    for (const waiter of waiters) {
      if (failure === null) waiter.resolve()
      else waiter.reject(failure)
    }
  }

  private reportLearnedHostKey(): void {
    if (!this.files || !this.options.onHostKeyLearned) return
    const knownHosts = readFileSync(this.files.knownHostsFile, 'utf8')
    if (knownHosts === this.knownHostsSeen) return
    this.knownHostsSeen = knownHosts
    this.options.onHostKeyLearned(knownHosts)
  }

  /** An argument array, never a shell string: nothing in the address can become a command. */
  private arguments(): string[] {
    const {endpoint} = this.options
    const destination = endpoint.user === null ? endpoint.host : `${endpoint.user}@${endpoint.host}`
    // Checked again at each start: a host key accepted on first use is strictly checked from then on.
    const own = this.files ? pinnedKeyOptions(this.files, hostKeyChecking(readFileSync(this.files.knownHostsFile, 'utf8'))) : ['-o', 'BatchMode=yes', ...SSH_STALL_OPTIONS]
    return [
      '-N',
      ...own,
      '-o', 'ExitOnForwardFailure=yes',
      // The socket file of an ssh that died stays; the next one replaces it.
      '-o', 'StreamLocalBindUnlink=yes',
      // What the server prints before login (its Banner) is shown at INFO: at ERROR it cannot fill the kept
      // output, nor pick kedge's diagnosis of a refusal.
      '-o', 'LogLevel=ERROR',
      '-p', String(endpoint.port),
      '-L', `${this.socketPath}:${endpoint.socket}`,
      '--', destination,
    ]
  }

  private stopChild(): void {
    const pid = this.child?.pid
    if (pid === undefined) return
    try {
      // Its own process group (detached): a ProxyCommand of the user's configuration goes with it.
      process.kill(-pid, 'SIGTERM')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
    }
  }
}

/** Whether something takes a connection on the socket now. */
function connects(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
