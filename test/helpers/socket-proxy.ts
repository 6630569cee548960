import {mkdtempSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after} from 'node:test'

/**
 * A unix socket that forwards to the Docker engine's. Pointing kedge at it (DOCKER_HOST) lets a test
 * break every connection kedge has to the engine, as a daemon restart would, without touching the daemon.
 */
export class DockerSocketProxy {
  readonly socketPath = path.join(mkdtempSync(path.join(tmpdir(), 'kedge-proxy-')), 'docker.sock')
  private readonly connections = new Set<net.Socket>()
  private server: net.Server | null = null

  constructor(private readonly upstream = '/var/run/docker.sock') {
    after(() => this.stop())
  }

  get dockerHost(): string {
    return `unix://${this.socketPath}`
  }

  /** Starts accepting connections, again after stop() too. */
  start(): Promise<void> {
    const upstream = this.upstream
    this.server = net.createServer((client) => {
      const engine = net.connect(upstream)
      for (const socket of [client, engine]) {
        this.connections.add(socket)
        socket.on('close', () => this.connections.delete(socket))
        socket.on('error', () => socket.destroy())
      }
      client.pipe(engine).pipe(client)
    })
    return new Promise((resolve) => this.server!.listen(this.socketPath, resolve))
  }

  /** Closes every open connection; new ones are still accepted. */
  dropConnections(): number {
    const count = this.connections.size
    for (const socket of this.connections) socket.destroy()
    return count
  }

  /** Stops accepting connections and closes the open ones: to kedge, the engine is gone. */
  stop(): void {
    this.server?.close()
    this.server = null
    this.dropConnections()
  }
}
