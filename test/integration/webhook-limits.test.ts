import assert from 'node:assert/strict'
import {createHmac, randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import {it} from 'node:test'

import {SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack} from '../helpers/stack.js'

const MiB = 1024 * 1024
const HOOK_SECRET = `hook-${randomBytes(8).toString('hex')}`
const HOOK_ENV = {KEDGE_TEST_HOOK_SECRET: HOOK_SECRET}
/** Longer than any of these exchanges takes when the server answers; a hang fails the test instead of freezing it. */
const ANSWER_TIMEOUT_MS = 20_000

interface Answer {
  status: number
  json: any
  /** The server said "100 Continue" before its final answer. */
  continued: boolean
}

/**
 * POSTs `body` with node:http, reading the answer while still sending, as a forge's client does: with its
 * Content-Length, or chunked; with `expect`, the body goes only once the server says "100 Continue".
 */
function post(url: string, body: Buffer, headers: Record<string, string>, options: {chunked?: boolean; expect?: boolean} = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const sent: Record<string, string> = {...headers}
    if (!options.chunked) sent['content-length'] = String(body.length)
    if (options.expect) sent.expect = '100-continue'
    let continued = false
    const outgoing = http.request(url, {method: 'POST', headers: sent}, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (text += chunk))
      response.on('end', () => {
        clearTimeout(timer)
        resolve({status: response.statusCode ?? 0, json: JSON.parse(text), continued})
      })
      response.on('error', reject)
    })
    const timer = setTimeout(() => {
      outgoing.destroy()
      reject(new Error(`no final answer within ${ANSWER_TIMEOUT_MS} ms (continued: ${continued})`))
    }, ANSWER_TIMEOUT_MS)
    outgoing.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    const send = () => {
      if (!options.chunked) return outgoing.end(body)
      // Several chunks, as a client streaming a body it does not know the size of.
      for (let at = 0; at < body.length; at += MiB) outgoing.write(body.subarray(at, at + MiB))
      outgoing.end()
    }
    if (options.expect) {
      outgoing.on('continue', () => {
        continued = true
        send()
      })
      outgoing.flushHeaders()
    } else {
      send()
    }
  })
}

/**
 * Sends only the head of a request that expects "100 Continue", over a raw socket, and returns everything
 * the server sends until it closes the connection (or the timeout, with `closed` false).
 */
function expectContinueHead(base: string, route: string, bytes: number, headers: Record<string, string>): Promise<{text: string; closed: boolean}> {
  const {hostname, port} = new URL(base)
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname)
    let text = ''
    const timer = setTimeout(() => {
      socket.destroy()
      resolve({text, closed: false})
    }, ANSWER_TIMEOUT_MS)
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.on('end', () => {
      clearTimeout(timer)
      socket.end()
      resolve({text, closed: true})
    })
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    const lines = [`POST ${route} HTTP/1.1`, `Host: ${hostname}:${port}`, `Content-Length: ${bytes}`, 'Expect: 100-continue', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)]
    socket.write(`${lines.join('\r\n')}\r\n\r\n`)
  })
}

/** A GitHub push event of at least `bytes`: many commits with long messages, as a large push sends. */
function bigGithubPush(bytes: number, secret = HOOK_SECRET): {body: Buffer; headers: Record<string, string>} {
  const commit = {id: 'f'.repeat(40), message: 'a line of a long commit message\n'.repeat(32)}
  const commits = Array.from({length: Math.ceil(bytes / JSON.stringify(commit).length)}, () => commit)
  // A push of its own each time: the same delivery sent twice is answered as a duplicate.
  const body = Buffer.from(JSON.stringify({ref: 'refs/heads/main', after: randomBytes(20).toString('hex'), commits}))
  const signature = createHmac('sha256', secret).update(body).digest('hex')
  return {body, headers: {'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${signature}`}}
}

function assertTooLarge(answer: Answer, limit: string): void {
  assert.equal(answer.status, 413)
  assert.equal(answer.json.error.code, 'payload_too_large')
  assert.match(answer.json.error.message, new RegExp(limit))
  assert.ok(answer.json.error.hint, 'a hint')
}

// One serve for all cases: they are subtests of one test, whose end removes the stack and the home.
it('webhook body limits', {timeout: 300_000}, async (t) => {
  const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {args: ['--interval', '1h', '--webhook-secret-env', 'KEDGE_TEST_HOOK_SECRET'], env: HOOK_ENV})
  const serve = new ServeProcess(stack.home, [], HOOK_ENV)
  const base = String((await serve.waitForLog((line) => line.event === 'http.listening', 30_000)).address)
  // A push is queued only once serve watches the repository.
  await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === stack.name)
  const hook = `${base}/hooks/${stack.name}`

  await t.test('accepts a signed 20 MB push, sent at once or after "100 Continue"', async () => {
    const push = bigGithubPush(20 * MiB)
    assert.ok(push.body.length >= 20 * MiB && push.body.length < 25 * MiB, `${push.body.length} bytes`)
    const accepted = await post(hook, push.body, push.headers)
    assert.equal(accepted.status, 202, JSON.stringify(accepted.json))
    assert.equal(accepted.json.status, 'queued')
    const again = bigGithubPush(20 * MiB)
    const afterContinue = await post(hook, again.body, again.headers, {expect: true})
    assert.deepEqual([afterContinue.status, afterContinue.json.status, afterContinue.continued], [202, 'queued', true])
    const third = bigGithubPush(20 * MiB)
    const chunked = await post(hook, third.body, third.headers, {chunked: true})
    assert.deepEqual([chunked.status, chunked.json.status], [202, 'queued'])
  })

  await t.test('answers 413 to a 26 MiB body sent with its length or chunked, while the client is still sending it', async () => {
    const push = bigGithubPush(26 * MiB)
    assert.ok(push.body.length > 25 * MiB)
    assertTooLarge(await post(hook, push.body, push.headers), '25 MiB')
    assertTooLarge(await post(hook, push.body, push.headers, {chunked: true}), '25 MiB')
    // The connections are closed after each answer; the server goes on answering.
    const small = bigGithubPush(1024)
    assert.equal((await post(hook, small.body, small.headers)).status, 202)
  })

  await t.test('answers 413 instead of "100 Continue" to a 26 MiB body, before it is sent, and closes the connection', async () => {
    const push = bigGithubPush(26 * MiB)
    const exchange = await expectContinueHead(base, `/hooks/${stack.name}`, push.body.length, push.headers)
    assert.ok(exchange.closed, `the server closes the connection; it sent only: ${JSON.stringify(exchange.text)}`)
    assert.match(exchange.text, /^HTTP\/1\.1 413 /, 'the first and only answer is the 413')
    assert.doesNotMatch(exchange.text, /100 Continue/)
    assert.match(exchange.text, /\r\nconnection: close\r\n/i)
    const body = JSON.parse(exchange.text.slice(exchange.text.indexOf('\r\n\r\n') + 4))
    assert.equal(body.error.code, 'payload_too_large')

    // A client that waits for "100 Continue" gets its final answer without sending a byte.
    const answer = await post(hook, push.body, push.headers, {expect: true})
    assertTooLarge(answer, '25 MiB')
    assert.equal(answer.continued, false)
  })

  await t.test('keeps the API\'s smaller limit, with "100 Continue" too', async () => {
    const token = readFileSync(path.join(stack.home, 'admin.token'), 'utf8').trim()
    const headers = {'content-type': 'application/json', authorization: `Bearer ${token}`}
    const body = Buffer.from(JSON.stringify({url: 'x'.repeat(300 * 1024)}))
    assertTooLarge(await post(`${base}/api/v1/repos`, body, headers), '256 KiB')
    const answer = await post(`${base}/api/v1/repos`, body, headers, {expect: true})
    assertTooLarge(answer, '256 KiB')
    assert.equal(answer.continued, false)
    // Within the limit, the body goes after "100 Continue" and is read.
    const refused = await post(`${base}/api/v1/repos`, Buffer.from(JSON.stringify({url: 'ftp://x/y.git'})), headers, {expect: true})
    assert.deepEqual([refused.status, refused.json.error.code, refused.continued], [400, 'invalid_url', true])
  })
  assert.equal(await serve.stop(), 0)
})
