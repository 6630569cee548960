import assert from 'node:assert/strict'
import {createHmac, randomBytes, randomUUID} from 'node:crypto'
import {readFileSync, renameSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import {it} from 'node:test'

import {closeDatabase, openDatabase} from '../../src/store/database.js'

import {SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {request} from '../helpers/http.js'
import {parseMetrics, sampleValue} from '../helpers/prometheus.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack} from '../helpers/stack.js'
import {waitFor} from '../helpers/wait.js'

const MiB = 1024 * 1024
const HOOK_SECRET = `hook-${randomBytes(8).toString('hex')}`
/** The answers to hostile requests repeat at most this much of them, whatever they sent. */
const MAX_ANSWER_BYTES = 400
const ANSWER_TIMEOUT_MS = 20_000

/** A raw exchange: `head` is written, then `body` in pieces; resolves with all the server sent once it closes or answers. */
function exchange(base: string, head: string, options: {body?: Buffer; stopAfterAnswer?: boolean; dribble?: {text: string; everyMs: number}; timeoutMs?: number} = {}): Promise<{text: string; closed: boolean; ms: number; bodySent: number}> {
  const {hostname, port} = new URL(base)
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname)
    let text = ''
    let bodySent = 0
    let dribbler: NodeJS.Timeout | undefined
    const finish = (closed: boolean) => {
      clearTimeout(timer)
      clearInterval(dribbler)
      socket.destroy()
      resolve({text, closed, ms: Date.now() - started, bodySent})
    }
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? ANSWER_TIMEOUT_MS)
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      text += chunk
      if (options.stopAfterAnswer && answerComplete(text)) finish(false)
    })
    socket.on('close', () => finish(true))
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? finish(true) : reject(error)))
    socket.write(head)
    if (options.body) {
      // The first MiB only: an answer comes only if the server does not wait for the rest.
      const first = options.body.subarray(0, MiB)
      socket.write(first, () => (bodySent += first.length))
    }
    if (options.dribble) {
      const {text: drip, everyMs} = options.dribble
      dribbler = setInterval(() => socket.writable && socket.write(drip), everyMs)
    }
  })
}

function answerComplete(text: string): boolean {
  const split = text.indexOf('\r\n\r\n')
  if (split < 0) return false
  const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, split))
  return length !== null && text.length - split - 4 >= Number(length[1])
}

function answerOf(text: string): {status: number; headers: string; json: any} {
  const split = text.indexOf('\r\n\r\n')
  assert.ok(split > 0, `an HTTP answer: ${JSON.stringify(text.slice(0, 200))}`)
  return {status: Number(text.slice(9, 12)), headers: text.slice(0, split), json: JSON.parse(text.slice(split + 4))}
}

function postHead(base: string, route: string, headers: Record<string, string | number>): string {
  const {host} = new URL(base)
  return [`POST ${route} HTTP/1.1`, `Host: ${host}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)].join('\r\n') + '\r\n\r\n'
}

function githubPush(after: string, delivery?: string): {raw: string; headers: Record<string, string>} {
  const raw = JSON.stringify({ref: 'refs/heads/main', after, pushed_at: Date.now()})
  const signature = createHmac('sha256', HOOK_SECRET).update(raw).digest('hex')
  return {raw, headers: {'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${signature}`, ...(delivery ? {'x-github-delivery': delivery} : {})}}
}

async function polls(base: string, repo: string): Promise<number> {
  return sampleValue(parseMetrics((await request(base, 'GET', '/metrics')).text), 'kedge_git_polls_total', {repo, success: 'true'}) ?? 0
}

/** The poll count once it has not changed for a second and a half: no round running or queued. */
async function settledPolls(base: string, repo: string): Promise<number> {
  let last = await polls(base, repo)
  let stableSince = Date.now()
  return waitFor('the polls to settle', async () => {
    const now = await polls(base, repo)
    if (now !== last) [last, stableSince] = [now, Date.now()]
    return Date.now() - stableSince >= 1500 ? now : undefined
  }, 30_000, 250)
}

/** Sets a column of a repository's row by hand, to a value kedge never writes. */
function tamperRepository(home: string, name: string, column: 'url', value: string): void {
  const db = openDatabase(path.join(home, 'kedge.db'))
  try {
    assert.equal(db.$client.prepare(`UPDATE repositories SET ${column} = ? WHERE name = ?`).run(value, name).changes, 1)
  } finally {
    closeDatabase(db)
  }
}

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024
}

/**
 * Posts `body` `count` times at once; the statuses answered, and serve's peak memory (MiB) above
 * `baseline`: taken before any flood, since memory a flood took is not given back to the system.
 */
async function floodOf(pid: number, baseline: number, url: string, count: number, body: Buffer, headers: Record<string, string>): Promise<{rise: number; statuses: Array<number | string>}> {
  let peak = rssMiB(pid)
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 20)
  const statuses = await Promise.all(Array.from({length: count}, () => new Promise<number | string>((resolve) => {
    const outgoing = http.request(url, {method: 'POST', headers: {'content-type': 'application/json', 'content-length': body.length, ...headers}}, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode ?? 0))
    })
    outgoing.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
    outgoing.end(body)
  })))
  clearInterval(sampler)
  return {rise: Math.round(peak - baseline), statuses}
}

// One serve for all cases: four repositories, one taking webhooks, one without a secret, one whose secret's variable serve lacks, one whose row is corrupt.
it('hostile webhooks and requests', {timeout: 240_000}, async (t) => {
  const env = {KEDGE_TEST_HOOK_SECRET: HOOK_SECRET, KEDGE_TEST_GONE_SECRET: 'set only for repo add'}
  const hooked = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {args: ['--interval', '1h', '--webhook-secret-env', 'KEDGE_TEST_HOOK_SECRET'], env})
  const secretless = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home: hooked.home, args: ['--interval', '1h']})
  const unverifiable = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home: hooked.home, args: ['--interval', '1h', '--webhook-secret-env', 'KEDGE_TEST_GONE_SECRET'], env})
  const corrupt = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home: hooked.home, args: ['--interval', '1h', '--webhook-secret-env', 'KEDGE_TEST_HOOK_SECRET'], env})
  const CORRUPT_URL = 'ext::sh -c stored-value-for-the-operator-only'
  tamperRepository(hooked.home, corrupt.name, 'url', CORRUPT_URL)
  const serve = new ServeProcess(hooked.home, [], {KEDGE_TEST_HOOK_SECRET: HOOK_SECRET})
  const base = String((await serve.waitForLog((line) => line.event === 'http.listening', 30_000)).address)

  // A client that sends its headers a byte every two seconds, from the start: cut once the documented 30 s are up.
  const slowHeaders = exchange(base, postHead(base, `/hooks/${hooked.name}`, {'content-type': 'application/json'}).slice(0, -2), {dribble: {text: 'X-Slow: a\r\n', everyMs: 2_000}, timeoutMs: 60_000})

  await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === hooked.name)
  const baseline = rssMiB(serve.pid)

  await t.test('gives one answer to an unknown repository, an unsigned or badly signed delivery, and a repository without a usable secret', async () => {
    const push = githubPush('a'.repeat(40))
    const unsigned = {'content-type': 'application/json', 'x-github-event': 'push'}
    const badlySigned = {...push.headers, 'x-hub-signature-256': `sha256=${'0'.repeat(64)}`}
    const wrongToken = {'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'not-the-secret'}
    const cases: Array<[string, string, Record<string, string>]> = [
      ['unknown, signed', 'no-such-repo', push.headers],
      ['unknown, unsigned', 'no-such-repo', unsigned],
      ['unknown, GitLab token', 'no-such-repo', wrongToken],
      ['known, unsigned', hooked.name, unsigned],
      ['known, badly signed', hooked.name, badlySigned],
      ['known, wrong GitLab token', hooked.name, wrongToken],
      ['no secret, signed', secretless.name, push.headers],
      ['no secret, unsigned', secretless.name, unsigned],
      ['secret unreadable, signed', unverifiable.name, push.headers],
      ['corrupt row, signed', corrupt.name, push.headers],
      ['corrupt row, unsigned', corrupt.name, unsigned],
    ]
    const answers = []
    for (const [what, name, headers] of cases) {
      const answer = await request(base, 'POST', `/hooks/${name}`, {raw: push.raw, headers})
      answers.push({what, status: answer.status, text: answer.text})
    }
    const first = answers[0]!
    assert.equal(first.status, 401)
    assert.equal(JSON.parse(first.text).error.code, 'bad_signature')
    for (const answer of answers) assert.deepEqual([answer.status, answer.text], [first.status, first.text], answer.what)
    // The operator learns why.
    await serve.waitForLog((line) => line.event === 'webhook.unverifiable' && line.repo === unverifiable.name)
    await serve.waitForLog((line) => line.event === 'webhook.refused' && line.repo === secretless.name)
    const corruptLine = await serve.waitForLog((line) => line.event === 'webhook.unverifiable' && line.repo === corrupt.name)
    assert.match(String(corruptLine.error), /corrupt database: .*column url/)
  })

  await t.test('answers an unsigned or unknown delivery before its body is sent, and its memory stays flat under 100 such 5 MiB posts', async (sub) => {
    const body = Buffer.alloc(5 * MiB, 'a')
    for (const name of ['no-such-repo', hooked.name]) {
      const head = postHead(base, `/hooks/${name}`, {'content-type': 'application/json', 'content-length': body.length})
      const result = await exchange(base, head, {body, stopAfterAnswer: true})
      const answer = answerOf(result.text)
      assert.equal(answer.status, 401, result.text)
      assert.match(answer.headers, /\r\nconnection: close/i)
      assert.equal(result.bodySent, MiB, `${name}: answered while 4 of the 5 MiB were still unsent`)
    }

    const flood = await floodOf(serve.pid, baseline, `${base}/hooks/no-such-repo`, 100, body, {})
    assert.ok(flood.statuses.every((status) => status === 401 || status === 'EPIPE' || status === 'ECONNRESET'), JSON.stringify(flood.statuses))
    assert.ok(flood.statuses.filter((status) => status === 401).length >= 90, JSON.stringify(flood.statuses))
    sub.diagnostic(`serve's memory rose by ${flood.rise} MiB at most`)
    // Kept, those bodies are 500 MiB; read and dropped, a few socket buffers each.
    assert.ok(flood.rise < 120, `serve's memory rose by ${flood.rise} MiB`)
    assert.equal((await request(base, 'GET', '/health')).status, 200)
  })

  await t.test('holds at most a bounded amount of webhook bodies at once: 40 badly signed 20 MiB posts to a repository that exists', async (sub) => {
    const body = Buffer.alloc(20 * MiB, 'a')
    const flood = await floodOf(serve.pid, baseline, `${base}/hooks/${hooked.name}`, 40, body, {'x-github-event': 'push', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}`})
    sub.diagnostic(`serve's memory rose by ${flood.rise} MiB at most; answers: ${JSON.stringify(flood.statuses.toSorted())}`)
    // Kept until checked, those bodies are 800 MiB; past the budget, the rest are refused for now.
    assert.ok(flood.rise < 250, `serve's memory rose by ${flood.rise} MiB`)
    assert.ok(flood.statuses.every((status) => status === 401 || status === 503 || status === 'EPIPE' || status === 'ECONNRESET'), JSON.stringify(flood.statuses))
    const afterwards = await request(base, 'POST', '/hooks/no-such-repo', {raw: 'x', headers: {'x-hub-signature-256': 'sha256=00', 'content-type': 'application/json'}})
    assert.equal(afterwards.status, 401, 'the budget is free again once answered')
    const push = githubPush('b'.repeat(40))
    assert.equal((await request(base, 'POST', `/hooks/${hooked.name}`, {raw: push.raw, headers: push.headers})).status, 202)
  })

  await t.test('answers a delivery sent again, or replayed under a new id, as a duplicate, without polling again', async () => {
    const hook = `/hooks/${hooked.name}`
    const before = await settledPolls(base, hooked.name)
    const delivery = randomUUID()
    const push = githubPush(hooked.remote.head(), delivery)
    const first = await request(base, 'POST', hook, {raw: push.raw, headers: push.headers})
    assert.deepEqual([first.status, first.json.status], [202, 'queued'], first.text)
    assert.equal(await settledPolls(base, hooked.name), before + 1)

    const again = await request(base, 'POST', hook, {raw: push.raw, headers: push.headers})
    const newId = await request(base, 'POST', hook, {raw: push.raw, headers: {...push.headers, 'x-github-delivery': randomUUID()}})
    const noId = await request(base, 'POST', hook, {raw: push.raw, headers: {...push.headers, 'x-github-delivery': ''}})
    const otherBody = githubPush(hooked.remote.head(), delivery)
    const sameId = await request(base, 'POST', hook, {raw: otherBody.raw, headers: otherBody.headers})
    for (const [what, answer] of Object.entries({again, newId, noId, sameId})) {
      assert.deepEqual([answer.status, answer.json.status, answer.json.reason], [202, 'duplicate', 'duplicate delivery'], what)
    }
    assert.equal(await settledPolls(base, hooked.name), before + 1, 'no poll for a duplicate')
    // A new delivery still counts.
    const next = githubPush(hooked.remote.head(), randomUUID())
    assert.equal((await request(base, 'POST', hook, {raw: next.raw, headers: next.headers})).json.status, 'queued')
    assert.equal(await settledPolls(base, hooked.name), before + 2)
  })

  await t.test('counts a delivery sent again once the poll it asked for failed: the forge\'s "Redeliver" after the remote came back', async () => {
    const hook = `/hooks/${hooked.name}`
    const push = githubPush(hooked.remote.head(), randomUUID())
    const away = `${hooked.remote.bareDir}.away`
    const from = serve.lines.length
    renameSync(hooked.remote.bareDir, away)
    try {
      const first = await request(base, 'POST', hook, {raw: push.raw, headers: push.headers})
      assert.deepEqual([first.status, first.json.status], [202, 'queued'], first.text)
      await serve.waitForLog((line) => line.event === 'poll.failed' && line.repo === hooked.name, 30_000, from)
    } finally {
      renameSync(away, hooked.remote.bareDir)
    }
    const before = await settledPolls(base, hooked.name)
    const redelivered = await request(base, 'POST', hook, {raw: push.raw, headers: push.headers})
    assert.deepEqual([redelivered.status, redelivered.json.status], [202, 'queued'], redelivered.text)
    assert.equal(await settledPolls(base, hooked.name), before + 1, 'the redelivery polled')
    const again = await request(base, 'POST', hook, {raw: push.raw, headers: push.headers})
    assert.equal(again.json.status, 'duplicate', 'remembered once its poll succeeded')
  })

  await t.test('answers 414, 431 and malformed requests in kedge\'s format, repeating a bounded part of them', async () => {
    const long = (length: number) => 'a'.repeat(length)
    const answers: Array<[string, {status: number; json: any; text: string}]> = []
    for (const [what, head] of [
      ['a 300-character repository name', postHead(base, `/hooks/${long(300)}`, {'content-length': 0})],
      ['a 10 KB path', `GET /${long(10_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
      ['a 100 KB path', `GET /${long(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
      ['a 20 KB header', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${long(20_000)}\r\n\r\n`],
      ['a path that is not percent-encoding', 'GET /api/v1/repos/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['bytes that are not HTTP', `GARBAGE ${long(5_000)}\r\n\r\n`],
    ] as const) {
      const result = await exchange(base, head, {stopAfterAnswer: true})
      const answer = answerOf(result.text)
      answers.push([what, {...answer, text: result.text}])
      assert.ok(result.text.length - answer.headers.length < MAX_ANSWER_BYTES, `${what}: ${result.text.length} bytes: ${result.text.slice(0, 300)}`)
      assert.deepEqual(Object.keys(answer.json), ['error'], what)
      assert.equal(typeof answer.json.error.code, 'string', what)
      assert.equal(typeof answer.json.error.message, 'string', what)
    }
    assert.deepEqual(answers.map(([what, answer]) => [what, answer.status, answer.json.error.code]), [
      ['a 300-character repository name', 414, 'uri_too_long'],
      ['a 10 KB path', 404, 'not_found'],
      ['a 100 KB path', 431, 'headers_too_large'],
      ['a 20 KB header', 431, 'headers_too_large'],
      ['a path that is not percent-encoding', 400, 'invalid_request'],
      ['bytes that are not HTTP', 400, 'invalid_request'],
    ])
  })

  await t.test('cuts a client still sending its headers once the documented 30 s are up', async () => {
    const result = await slowHeaders
    assert.ok(result.closed, 'the connection was closed')
    assert.ok(result.ms >= 29_000 && result.ms < 35_000, `cut after ${result.ms} ms`)
    const answer = answerOf(result.text)
    assert.deepEqual([answer.status, answer.json.error.code], [408, 'request_timeout'])
  })
  assert.equal(await serve.stop(), 0)
})
