import {requestTransport, type ClosableTransport} from './engine-request.js'
import type {SshTunnel} from './ssh-tunnel.js'
import {openOverSocket} from './unix-transport.js'

/**
 * Requests over the local end of an ssh tunnel. A request made while ssh starts again waits for it
 * within the request's own time limit; one made while the tunnel is down fails at once with why.
 */
export function tunnelTransport(tunnel: SshTunnel): ClosableTransport {
  const inner = requestTransport(async (request) => {
    await tunnel.usable(request.signal)
    return openOverSocket(tunnel.socketPath, request)
  })
  return {
    call: (request) => inner.call(request).catch(async (error: unknown) => Promise.reject(await tunnel.explain(error))),
    stream: (request) => inner.stream(request).catch(async (error: unknown) => Promise.reject(await tunnel.explain(error))),
    close: () => tunnel.close(),
  }
}
