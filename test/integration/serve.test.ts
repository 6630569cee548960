import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {DeploymentView} from '../../src/model/repository/deployment-view.js'

import {currentProcess} from '../../src/adapters/process/process-identity.js'
import {closeDatabase, openDatabase} from '../../src/store/database.js'
import {tryTakeLock} from '../../src/store/locks.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {containerIds, kedgeContainers} from '../helpers/docker.js'
import {SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack, uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'

type HistoryJson = DeploymentView

const history = async (home: string, name: string) => (await runKedgeJson<HistoryJson[]>(['history', '--repo', name], {home})).json
const deployed = (serve: ServeProcess, name: string, commit: string) =>
  serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === name && commit.startsWith(String(line.commit)))

describe('kedge serve', {timeout: 180_000}, () => {
  it('deploys on start, then each new commit it polls; a restart redeploys nothing; SIGTERM exits 0', async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': 'reconciliation:\n  interval: 1s\n'})
    const serve = new ServeProcess(stack.home)
    const startup = await deployed(serve, stack.name, stack.remote.head())
    assert.equal(startup.trigger, 'startup')

    const next = stack.remote.commit({'docker-compose.yaml': SIMPLE_COMPOSE.replace('busybox:1', 'busybox:2')}, 'new image')
    const polled = await deployed(serve, stack.name, next)
    assert.equal(polled.trigger, 'git')
    assert.deepEqual(kedgeContainers(stack.name).map((container) => [container.image, container.commit]), [['kedge-test/busybox:2', next]])

    const stopping = Date.now()
    assert.equal(await serve.stop(), 0)
    assert.ok(Date.now() - stopping < 5000, `stopped in ${Date.now() - stopping} ms`)
    assert.ok(serve.events('serve.stopped').length === 1)
    assert.equal(kedgeContainers(stack.name)[0]!.state, 'running', 'the stack outlives kedge')

    const ids = containerIds(stack.name)
    const restarted = new ServeProcess(stack.home)
    await restarted.waitForLog((line) => line.event === 'poll.unchanged' && line.repo === stack.name)
    await restarted.waitForLog((line) => line.event === 'poll.unchanged' && line.repo === stack.name, 10_000, restarted.lines.findIndex((line) => line.event === 'poll.unchanged') + 1)
    assert.deepEqual(restarted.events('deploy.succeeded'), [])
    assert.deepEqual(containerIds(stack.name), ids)
    assert.deepEqual((await history(stack.home, stack.name)).map((row) => row.trigger), ['git', 'startup'])
    restarted.signal('SIGINT')
    assert.equal(await restarted.exited, 0)
  })

  it('keeps deploying one repository while another remote is unreachable', async () => {
    const home = tempDir()
    const unreachable = uniqueName('kt-down')
    assert.equal((await runKedge(['repo', 'add', 'http://127.0.0.1:9/acme/down.git', '--name', unreachable, '--interval', '1s', '--allow-unreachable'], {home})).code, 0)
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home, args: ['--interval', '1s']})
    const serve = new ServeProcess(home)
    await deployed(serve, stack.name, stack.remote.head())
    const failure = await serve.waitForLog((line) => line.event === 'poll.failed' && line.repo === unreachable)
    assert.match(String(failure.error), /git could not reach http:\/\/127\.0\.0\.1:9\/acme\/down\.git/)
    await serve.waitForLog((line) => line.event === 'poll.retry' && line.repo === unreachable)

    const next = stack.remote.commit({'README.md': 'still deploying\n'})
    await deployed(serve, stack.name, next)
    const status = await runKedgeJson<Array<{name: string; lastError: {message: string} | null}>>(['status'], {home})
    assert.match(status.json.find((repo) => repo.name === unreachable)!.lastError!.message, /git could not reach/)
    assert.equal(status.json.find((repo) => repo.name === stack.name)!.lastError, null)
    assert.equal(await serve.stop(), 0)
  })

  it("logs a repository's deploys at the operator's level whatever its kedge.yaml asks", async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': 'logging:\n  level: error\n'}, {args: ['--interval', '1h']})
    const serve = new ServeProcess(stack.home, ['--log-level='])
    const line = await deployed(serve, stack.name, stack.remote.head())
    assert.equal(line.level, 'info')
    assert.equal(await serve.stop(), 0)
  })

  it('lets kedge sync deploy while serve runs, one deploy at a time', async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {args: ['--interval', '1h']})
    const serve = new ServeProcess(stack.home)
    await deployed(serve, stack.name, stack.remote.head())
    const next = stack.remote.commit({'docker-compose.yaml': SIMPLE_COMPOSE.replace('busybox:1', 'busybox:3')})
    const synced = await runKedgeJson<{deployment: {commit: string; trigger: string}}>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(synced.code, 0, synced.stdout + synced.stderr)
    assert.equal(synced.json.deployment.commit, next)
    assert.deepEqual((await history(stack.home, stack.name)).map((row) => [row.trigger, row.status]), [['manual', 'success'], ['startup', 'success']])
    assert.equal(await serve.stop(), 0)
  })

  it('makes sync wait for the holder of the repository lock, and takes a lock whose holder died', async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE})
    const db = openDatabase(`${stack.home}/kedge.db`)
    try {
      const me = {...currentProcess(), purpose: 'a test holding the lock', acquiredAt: new Date()}
      assert.ok(tryTakeLock(db, `repository:${stack.name}`, me, () => false).taken)
      let saidWaiting: () => void = () => undefined
      const said = new Promise<void>((resolve) => (saidWaiting = resolve))
      const waiting = runKedge(['sync', '--repo', stack.name], {home: stack.home, onStderr: (stderr) => /waiting for a test holding the lock/.test(stderr) && saidWaiting()})
      await Promise.race([said, waiting])
      await new Promise((resolve) => setTimeout(resolve, 500))
      assert.deepEqual(kedgeContainers(stack.name), [], 'sync waits while the lock is held')
      db.$client.prepare('DELETE FROM locks').run()
      const result = await waiting
      assert.equal(result.code, 0, result.stderr)
      assert.match(result.stderr, /^Warning: waiting for a test holding the lock \(pid \d+ on .*, since .*\)$/m)

      const dead = {...me, pid: 2 ** 22 + 7, purpose: 'a crashed sync'}
      assert.ok(tryTakeLock(db, `repository:${stack.name}`, dead, () => false).taken)
      const started = Date.now()
      const again = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
      assert.equal(again.code, 0, again.stderr)
      assert.doesNotMatch(again.stderr, /waiting/)
      assert.ok(Date.now() - started < 20_000)
    } finally {
      closeDatabase(db)
    }
  })

  it('waits for kedge sync in manual mode, recording what would change', async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': 'reconciliation:\n  mode: manual\n  interval: 1s\n'})
    const serve = new ServeProcess(stack.home)
    const pending = await serve.waitForLog((line) => line.event === 'change.pending' && line.repo === stack.name)
    assert.equal(pending.mode, 'manual')
    assert.equal(pending.changes, 'create web')
    await serve.waitForLog((line) => line.event === 'poll.pending' && line.repo === stack.name)
    assert.deepEqual(kedgeContainers(stack.name), [])
    assert.deepEqual(await history(stack.home, stack.name), [])
    const status = await runKedgeJson<Array<{pending: {commit: string; changes: Array<{service: string; action: string}>}}>>(['status', '--repo', stack.name], {home: stack.home})
    assert.equal(status.json[0]!.pending.commit, stack.remote.head())
    assert.deepEqual(status.json[0]!.pending.changes.map((change) => [change.service, change.action]), [['web', 'create']])
    const text = await runKedge(['status', '--repo', stack.name], {home: stack.home})
    assert.match(text.stdout, new RegExp(`pending\\s+${stack.remote.head().slice(0, 7)}\\s+would create web; run "kedge sync --repo ${stack.name}"`))

    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    assert.equal(kedgeContainers(stack.name)[0]!.state, 'running')
    const from = serve.lines.length
    await serve.waitForLog((line) => line.event === 'poll.unchanged' && line.repo === stack.name, 10_000, from)
    assert.equal((await runKedgeJson<Array<{pending: unknown}>>(['status', '--repo', stack.name], {home: stack.home})).json[0]!.pending, null)
    assert.equal(await serve.stop(), 0)
  })

  it('picks up a repository added while it runs, stops watching one removed, and refuses a second serve', async () => {
    const home = tempDir()
    const serve = new ServeProcess(home, ['--interval', '1s'])
    await serve.waitForLog((line) => line.event === 'serve.started')

    const second = await runKedgeJson<{error: {code: string; message: string}}>(['serve'], {home})
    assert.equal(second.code, 1)
    assert.equal(second.json.error.code, 'already_running')
    assert.match(second.json.error.message, new RegExp(`^kedge serve already runs for ${home}: kedge serve \\(pid ${serve.pid} `))

    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home})
    const added = Date.now()
    await deployed(serve, stack.name, stack.remote.head())
    assert.ok(Date.now() - added < 15_000)

    assert.equal((await runKedge(['repo', 'remove', stack.name], {home})).code, 0)
    await serve.waitForLog((line) => line.event === 'repo.unwatched' && line.repo === stack.name)
    stack.remote.commit({'docker-compose.yaml': SIMPLE_COMPOSE.replace('busybox:1', 'busybox:2')})
    const from = serve.lines.length
    await new Promise((resolve) => setTimeout(resolve, 2500))
    assert.deepEqual(serve.lines.slice(from).filter((line) => line.repo === stack.name), [])
    assert.equal(kedgeContainers(stack.name)[0]!.image, 'kedge-test/busybox:1', 'a removed repository is never deployed again')
    assert.equal(await serve.stop(), 0)
  })
})

