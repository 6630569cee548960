import net from 'node:net'

/** A port free on 127.0.0.1 right now; a server started on it may still lose it to another process, so callers retry or wait. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}
