import assert from 'node:assert/strict'
import type {AddressInfo} from 'node:net'
import net from 'node:net'
import {after, before, describe, it} from 'node:test'

import type {FastifyInstance} from 'fastify'

import type {KedgeContext} from '../../src/usecases/context.js'
import type {Logger} from '../../src/drivers/daemon/logger.js'
import {boundedEcho, ECHO_LIMIT} from '../../src/drivers/http/bounded-echo.js'
import type {KedgeMetrics} from '../../src/drivers/http/metrics.js'
import {ChangeFeed} from '../../src/drivers/http/live/change-feed.js'
import {createHttpServer} from '../../src/drivers/http/server.js'

const REQUEST_TIMEOUT_MS = 1_000

/** Writes `head`, then `drip` every `everyMs`, and returns what the server sent and when it closed. */
function slowClient(port: number, head: string, drip: string, everyMs: number): Promise<{text: string; ms: number}> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let text = ''
    const dripping = setInterval(() => socket.writable && socket.write(drip), everyMs)
    const giveUp = setTimeout(() => socket.destroy(new Error('not cut within 10 s')), 10_000)
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.on('close', () => {
      clearInterval(dripping)
      clearTimeout(giveUp)
      resolve({text, ms: Date.now() - started})
    })
    socket.on('error', (error: NodeJS.ErrnoException) => error.code !== 'ECONNRESET' && error.code !== 'EPIPE' && reject(error))
    socket.write(head)
  })
}

describe('the HTTP side\'s refusals', () => {
  let app: FastifyInstance
  let port: number

  before(async () => {
    // Nothing here reaches a route: the server's own parts are enough.
    app = createHttpServer({
      context: {} as KedgeContext,
      notifier: {sendNow: async () => ({status: 200, answer: ''}), totals: () => []},
      logger: {log: () => undefined} as unknown as Logger,
      metrics: {} as KedgeMetrics,
      control: {requestPoll: () => false, readiness: () => ({ready: true, pending: []})},
      adminToken: 'a'.repeat(32),
      abandon: new AbortController().signal,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      tokens: {verify: () => null, grant: () => null},
      feed: new ChangeFeed(),
      dashboard: null,
    })
    await app.listen({host: '127.0.0.1', port: 0})
    port = (app.server.address() as AddressInfo).port
  })
  after(() => app.close())

  it('repeats at most a bounded part of what a request sent', () => {
    assert.equal(boundedEcho('/hooks/web'), '/hooks/web')
    const echoed = boundedEcho(`/${'a'.repeat(100_000)}`)
    assert.ok(echoed.length < ECHO_LIMIT + 40, echoed)
    assert.match(echoed, /\.\.\. \(99881 more characters\)$/)
    assert.equal([...boundedEcho('é'.repeat(ECHO_LIMIT + 1))].filter((character) => character === 'é').length, ECHO_LIMIT, 'cut between characters')
  })

  it('cuts a client still sending its headers when its time is up, with kedge\'s 408', async () => {
    const result = await slowClient(port, 'POST /hooks/web HTTP/1.1\r\nHost: x\r\n', 'X-Slow: a\r\n', 200)
    assert.ok(result.ms >= REQUEST_TIMEOUT_MS && result.ms < REQUEST_TIMEOUT_MS + 2_000, `cut after ${result.ms} ms`)
    assert.match(result.text, /^HTTP\/1\.1 408 /)
    assert.deepEqual(JSON.parse(result.text.slice(result.text.indexOf('\r\n\r\n') + 4)).error.code, 'request_timeout')
  })
})
