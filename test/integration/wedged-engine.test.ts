import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {RepositoryStatus} from '../../src/usecases/repositories/repository-status.js'
import {closeDatabase, openDatabase} from '../../src/store/database.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack} from '../helpers/stack.js'
import {waitFor} from '../helpers/wait.js'
import {WedgedEngine} from '../helpers/wedged-engine.js'

/** How long the engine gets to answer a ping (src/adapters/engine/engine-timeouts.ts): the first thing a deploy asks. */
const PING_TIMEOUT_MS = 10_000
/** kedge's own start, its git fetch of a local remote, and a loaded host. */
const SLACK_MS = 15_000
const ENGINE_DID_NOT_ANSWER = /^Error: the Docker engine did not answer GET \/_ping within 10s\nHint: dockerd takes connections but does not answer[^\n]*\n$/

/** The repository locks held now, read in this process: a kedge command would wait for a held one. */
function heldLocks(home: string): string[] {
  const db = openDatabase(path.join(home, 'kedge.db'))
  try {
    return (db.$client.prepare('SELECT name FROM locks').all() as Array<{name: string}>).map((row) => row.name)
  } finally {
    closeDatabase(db)
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{result: T; ms: number}> {
  const started = Date.now()
  const result = await work()
  return {result, ms: Date.now() - started}
}

describe('a Docker engine that takes connections and never answers', {timeout: 120_000}, () => {
  it('kedge sync fails with engine_unavailable within the ping timeout, in one line, and leaves the lock free', async () => {
    const engine = await WedgedEngine.start()
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE})
    const env = {DOCKER_HOST: engine.dockerHost}

    const first = await timed(() => runKedge(['sync', '--repo', stack.name], {home: stack.home, env}))
    assert.equal(first.result.code, 1, first.result.stderr)
    assert.match(first.result.stderr, ENGINE_DID_NOT_ANSWER)
    assert.ok(first.ms >= PING_TIMEOUT_MS && first.ms < PING_TIMEOUT_MS + SLACK_MS, `sync took ${first.ms} ms`)
    assert.ok(engine.requests.some((line) => line.startsWith('GET /_ping')), `asked: ${engine.requests.join(', ')}`)
    assert.deepEqual(heldLocks(stack.home), [])

    // The next sync is not told to wait for the first: it meets the same engine, and says the same.
    const second = await timed(() => runKedge(['sync', '--repo', stack.name], {home: stack.home, env}))
    assert.equal(second.result.code, 1)
    assert.match(second.result.stderr, ENGINE_DID_NOT_ANSWER)
    assert.ok(second.ms < PING_TIMEOUT_MS + SLACK_MS, `the second sync took ${second.ms} ms`)
    assert.equal(engine.held, 0, 'a connection to the engine outlived kedge')
  })

  it('serve keeps answering, records the error on the repository within the bound, and its round ends', async () => {
    const engine = await WedgedEngine.start()
    // One round at the start and none after it for an hour: any later lock is not the first round's.
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE}, {args: ['--interval', '1h']})
    const env = {DOCKER_HOST: engine.dockerHost}
    const serve = new ServeProcess(stack.home, [], env)
    const base = String((await serve.waitForLog((line) => line.event === 'http.listening')).address)
    const started = Date.now()

    // While the round waits on the engine, with the repository's lock held, serve answers at once.
    await waitFor('the round to ask the engine', () => engine.requests.some((line) => line.startsWith('GET /_ping')), 20_000, 50)
    assert.deepEqual(heldLocks(stack.home).filter((name) => name.startsWith('repository:')), [`repository:${stack.name}`])
    const health = await timed(() => fetch(`${base}/health`))
    assert.equal(health.result.status, 200)
    assert.ok(health.ms < 2000, `/health took ${health.ms} ms`)
    assert.equal((await fetch(`${base}/ready`)).status, 503, 'ready before its first round ended')

    const deferred = await serve.waitForLog((line) => line.event === 'deploy.deferred' && line.repo === stack.name, PING_TIMEOUT_MS + SLACK_MS)
    assert.equal(deferred.error, 'the Docker engine did not answer GET /_ping within 10s')
    assert.ok(Date.now() - started < PING_TIMEOUT_MS + SLACK_MS, `the round took ${Date.now() - started} ms`)
    const disconnected = await serve.waitForLog((line) => line.event === 'events.disconnected', SLACK_MS)
    assert.match(String(disconnected.error), /^the Docker engine did not answer GET \/events within 10s$/)

    // The round is over: the lock is free, serve is ready, and the error is where the operator looks.
    await waitFor('the round to let go of the lock', () => heldLocks(stack.home).every((name) => !name.startsWith('repository:')), 5000, 50)
    assert.equal((await fetch(`${base}/ready`)).status, 200)
    const status = await runKedgeJson<RepositoryStatus[]>(['status', '--repo', stack.name], {home: stack.home, env})
    assert.equal(status.code, 0, status.stderr)
    assert.equal(status.json[0]!.lastError?.message, 'the Docker engine did not answer GET /_ping within 10s')
    const sync = await runKedge(['sync', '--repo', stack.name], {home: stack.home, env})
    assert.equal(sync.code, 1)
    assert.match(sync.stderr, ENGINE_DID_NOT_ANSWER, 'the sync was not made to wait for serve')

    assert.equal((await fetch(`${base}/health`)).status, 200)
    assert.equal(serve.events('reconcile.failed').length + serve.events('loop.failed').length, 0)
    assert.equal(await serve.stop(), 0)
  })
})
