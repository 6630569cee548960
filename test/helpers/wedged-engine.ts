import {mkdtempSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after} from 'node:test'

/**
 * A unix socket that stands for a wedged Docker daemon: it accepts every connection, reads what is sent
 * and never answers. Pointing kedge at it (`dockerHost` as DOCKER_HOST) shows what kedge does when
 * dockerd hangs rather than goes away.
 */
export class WedgedEngine {
  readonly socketPath = path.join(mkdtempSync(path.join(tmpdir(), 'kedge-wedged-')), 'docker.sock')
  /** The start of what each connection taken so far sent, open or not. */
  private readonly received: string[] = []
  private readonly sockets = new Set<net.Socket>()
  private readonly server = net.createServer((socket) => this.hold(socket))

  private constructor() {}

  static async start(): Promise<WedgedEngine> {
    const engine = new WedgedEngine()
    await new Promise<void>((resolve, reject) => {
      engine.server.once('error', reject)
      engine.server.listen(engine.socketPath, resolve)
    })
    after(() => engine.stop())
    return engine
  }

  get dockerHost(): string {
    return `unix://${this.socketPath}`
  }

  /** The request line of each connection taken so far, such as `GET /_ping? HTTP/1.1`. */
  get requests(): string[] {
    return this.received.map((text) => text.split('\r\n')[0]!)
  }

  /** How many connections are held open without an answer now. */
  get held(): number {
    return [...this.sockets].filter((socket) => !socket.destroyed).length
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private hold(socket: net.Socket): void {
    this.sockets.add(socket)
    const index = this.received.push('') - 1
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    // Read (and drop) what kedge sends, so that it waits for an answer rather than for buffer space.
    socket.on('data', (chunk: Buffer) => {
      if (!this.received[index]!.includes('\r\n')) this.received[index] += chunk.toString('latin1')
    })
  }
}
