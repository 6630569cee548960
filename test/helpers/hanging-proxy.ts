import net from 'node:net'
import {after} from 'node:test'

/**
 * A TCP forwarder to `127.0.0.1:targetPort` that can be told to hang: from then on it accepts
 * connections and never answers, as a remote behind a stuck load balancer does.
 */
export class HangingProxy {
  hanging = false
  private readonly sockets = new Set<net.Socket>()

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<HangingProxy> {
    const server = net.createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', resolve)
    })
    const proxy = new HangingProxy(server, (server.address() as net.AddressInfo).port)
    server.on('connection', (socket) => proxy.accept(socket, targetPort))
    after(() => proxy.stop())
    return proxy
  }

  /** How many connections are held open without an answer now. */
  get held(): number {
    return [...this.sockets].filter((socket) => !socket.destroyed && (socket as net.Socket & {held?: boolean}).held).length
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private accept(socket: net.Socket, targetPort: number): void {
    this.sockets.add(socket)
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('error', () => undefined)
    if (this.hanging) {
      ;(socket as net.Socket & {held?: boolean}).held = true
      // Read and drop whatever the client sends, so that it waits for an answer rather than for buffer space.
      socket.resume()
      return
    }
    const upstream = net.connect(targetPort, '127.0.0.1')
    upstream.on('error', () => socket.destroy())
    socket.on('close', () => upstream.destroy())
    socket.pipe(upstream).pipe(socket)
  }
}
