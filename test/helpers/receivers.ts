import http from 'node:http'
import net from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'

import {waitFor} from './wait.js'

export interface ReceivedRequest {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
  body: string
  /** The body parsed as JSON, or null when it is not JSON. */
  json: any
}

export interface Receiver {
  url: string
  port: number
  requests: ReceivedRequest[]
  /** The requests once there are `count` of them. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>
  setStatus(status: number): void
  close(): Promise<void>
}

/**
 * A webhook receiver on 127.0.0.1 that records every request and answers with `status` after `delayMs`,
 * until closed (the caller closes it: an `after` registered here would end with a `before` hook).
 * Its answer names the request's method and path on its first line (as servers that echo a path in an
 * error do: a Slack or Discord path holds the token), then a second line the messenger must not quote.
 */
export async function startReceiver(options: {status?: number; delayMs?: number} = {}): Promise<Receiver> {
  let status = options.status ?? 200
  const requests: ReceivedRequest[] = []
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8')
      requests.push({method: request.method ?? '', path: request.url ?? '', headers: request.headers, body, json: parsedJson(body)})
      if (options.delayMs) await sleep(options.delayMs)
      response.writeHead(status, {'content-type': 'text/plain'})
      response.end(`answer to ${request.method} ${request.url}\nsecond line`)
    })
  })
  await listen(server)
  const port = (server.address() as net.AddressInfo).port
  const close = async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    waitFor: (count, timeoutMs = 5000) => waitFor(`${count} requests`, () => requests.length >= count && requests, timeoutMs, 20),
    setStatus: (next) => {
      status = next
    },
    close,
  }
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago): connecting to it is refused. */
export async function unreachablePort(): Promise<number> {
  const server = net.createServer()
  await listen(server)
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A TCP server that accepts every connection and never answers: a receiver that hangs. */
export async function blackHole(): Promise<{port: number; close(): Promise<void>}> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
    socket.on('close', () => sockets.delete(socket))
    // Read and drop what the client sends, so that it waits for an answer rather than for buffer space.
    socket.resume()
  })
  await listen(server)
  const close = async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return {port: (server.address() as net.AddressInfo).port, close}
}

function listen(server: net.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
}

function parsedJson(text: string): any {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
