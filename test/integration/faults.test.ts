import assert from 'node:assert/strict'
import {createHmac, randomBytes} from 'node:crypto'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import type {DeploymentView} from '../../src/model/repository/deployment-view.js'
import {closeDatabase, openDatabase} from '../../src/store/database.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {containerIds, kedgeContainers, removeComposeProject} from '../helpers/docker.js'
import {GitHttpServer} from '../helpers/git-http-server.js'
import {GitRemote, SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {HangingProxy} from '../helpers/hanging-proxy.js'
import {PrivateEngine} from '../helpers/private-engine.js'
import {parseMetrics, sampleValue} from '../helpers/prometheus.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack, uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'
import {waitFor} from '../helpers/wait.js'

const history = async (home: string, name: string, env?: NodeJS.ProcessEnv) =>
  (await runKedgeJson<DeploymentView[]>(['history', '--repo', name], {home, env})).json
const deployed = (serve: ServeProcess, name: string, commit: string, timeoutMs = 60_000, from = 0) =>
  serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === name && commit.startsWith(String(line.commit)), timeoutMs, from)

/** Read in this process: quicker than a kedge history, within the few seconds the deploy is in progress. */
function newestDeployment(home: string): {commit: string; status: string} | undefined {
  const db = openDatabase(path.join(home, 'kedge.db'))
  try {
    return db.$client.prepare('SELECT "commit", status FROM deployments ORDER BY id DESC LIMIT 1').get() as {commit: string; status: string} | undefined
  } finally {
    closeDatabase(db)
  }
}

function integrityOf(home: string): string {
  const db = openDatabase(path.join(home, 'kedge.db'))
  try {
    return String(db.$client.pragma('integrity_check', {simple: true}))
  } finally {
    closeDatabase(db)
  }
}

/**
 * No two deployments of the repository ran at the same time, and none is left in progress. (An
 * automatic rollback runs inside the failed deploy it undoes.)
 */
function assertOneAtATime(rows: DeploymentView[]): void {
  assert.ok(rows.every((row) => row.status !== 'pending' && row.finishedAt !== null), `a deployment left in progress: ${JSON.stringify(rows)}`)
  const spans = rows.filter((row) => row.trigger !== 'auto_rollback').map((row) => [Date.parse(row.startedAt), Date.parse(row.finishedAt!)] as const).sort((a, b) => a[0] - b[0])
  for (let index = 1; index < spans.length; index++) {
    assert.ok(spans[index]![0] >= spans[index - 1]![1], `deployments overlap: ${JSON.stringify(rows.map((row) => [row.trigger, row.status, row.startedAt, row.finishedAt]))}`)
  }
}

/** A service that reports healthy only some seconds after it starts: a deploy of it is in progress that long. */
function slowlyHealthyCompose(image: string): string {
  return `services:
  web:
    image: ${image}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 6; touch /tmp/ready; while true; do sleep 1; done"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      timeout: 1s
      retries: 60
`
}

describe('faults', {timeout: 300_000}, () => {
  it('serve killed with SIGKILL in the middle of a deploy: the database is intact, the deploy is marked interrupted, and a restart converges without deploying twice', async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {args: ['--interval', '1s']})
    const serve = new ServeProcess(stack.home)
    const first = stack.remote.head()
    await deployed(serve, stack.name, first)

    const next = stack.remote.commit({'docker-compose.yaml': slowlyHealthyCompose('kedge-test/busybox:2')}, 'slowly healthy')
    // Compose has created the new container and kedge waits for it to become healthy: mid-deploy.
    const running = await waitFor('the new container to run', () => kedgeContainers(stack.name).find((container) => container.commit === next && container.state === 'running'), 60_000, 50)
    assert.deepEqual(newestDeployment(stack.home), {commit: next, status: 'pending'}, 'killed while the deploy is in progress')
    serve.signal('SIGKILL')
    await serve.exited

    assert.equal(integrityOf(stack.home), 'ok')
    const restarted = new ServeProcess(stack.home)
    const recovered = await restarted.waitForLog((line) => line.event === 'deploy.interrupted' && line.repo === stack.name)
    assert.equal(recovered.deployments, 1)
    await deployed(restarted, stack.name, next)
    // Two more rounds: nothing further is deployed.
    const settled = restarted.lines.length
    await restarted.waitForLog((line) => line.event === 'poll.unchanged' && line.repo === stack.name, 20_000, settled)
    await restarted.waitForLog((line) => line.event === 'poll.unchanged' && line.repo === stack.name, 20_000, restarted.lines.findIndex((line, index) => index >= settled && line.event === 'poll.unchanged') + 1)

    const rows = await history(stack.home, stack.name)
    assert.deepEqual(rows.map((row) => [row.commit, row.status, row.trigger]), [
      [next, 'success', 'startup'],
      [next, 'failed', 'git'],
      [first, 'success', 'startup'],
    ])
    assert.match(rows[1]!.error!, /^interrupted: /)
    assertOneAtATime(rows)
    // The container Compose created before the kill is the one that runs: the retry recreated nothing.
    assert.deepEqual(containerIds(stack.name), {web: [running.id]})
    assert.equal(integrityOf(stack.home), 'ok')
    assert.equal(await restarted.stop(), 0)
  })

  it('the Docker daemon restarted while serve runs: serve reconnects, records the outage, deploys what came meanwhile and heals', async () => {
    const engine = new PrivateEngine()
    await engine.start()
    engine.buildTestImages('1', '2')
    const env = engine.env
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {args: ['--interval', '1s'], env})
    const serve = new ServeProcess(stack.home, [], env)
    await deployed(serve, stack.name, stack.remote.head())
    const listening = await serve.waitForLog((line) => line.event === 'http.listening')
    const metrics = async () => parseMetrics(await (await fetch(`${String(listening.address)}/metrics`)).text())
    assert.equal(sampleValue(await metrics(), 'kedge_engine_up'), 1)
    const containerOf = () => JSON.parse(engine.docker('ps', '-a', '--filter', `label=com.docker.compose.project=${stack.name}`, '--format', '{{json .}}').trim() || 'null') as {State?: string; Image?: string; Status: string} | null

    await engine.stop()
    await serve.waitForLog((line) => line.event === 'events.disconnected')
    assert.equal(sampleValue(await metrics(), 'kedge_engine_up'), 0)
    // A commit pushed while the engine is down waits for it; it is not recorded as the commit's failure.
    const next = stack.remote.commit({'docker-compose.yaml': SIMPLE_COMPOSE.replace('busybox:1', 'busybox:2')}, 'while the engine is down')
    const deferred = await serve.waitForLog((line) => line.event === 'deploy.deferred' && line.repo === stack.name)
    assert.match(String(deferred.error), /the Docker engine did not answer/)
    const sync = await runKedge(['sync', '--repo', stack.name], {home: stack.home, env})
    assert.equal(sync.code, 1)
    assert.match(sync.stderr, /^Error: the Docker engine did not answer/)

    await engine.start()
    const reconnected = await serve.waitForLog((line) => line.event === 'events.reconnected')
    assert.match(String(reconnected.after), /\d/)
    await deployed(serve, stack.name, next, 90_000)
    await waitFor('the stack to run the new commit', () => containerOf()?.Image === 'kedge-test/busybox:2' && containerOf()?.State === 'running', 30_000)
    const samples = await metrics()
    assert.equal(sampleValue(samples, 'kedge_engine_up'), 1)
    assert.equal(sampleValue(samples, 'kedge_engine_outages_total'), 1)

    // The restart of the daemon stops its containers; serve heals them once the daemon is back.
    const ranBefore = serve.lines.length
    await engine.restart()
    await serve.waitForLog((line) => line.event === 'events.reconnected', 60_000, ranBefore)
    await serve.waitForLog((line) => line.event === 'drift.healed' && line.repo === stack.name, 60_000, ranBefore)
    await waitFor('the healed container to run', () => containerOf()?.State === 'running', 30_000)

    // A restart in the middle of a deploy (waiting for the new container to be healthy) cuts it short: the
    // commit is tried again once the daemon is back, not failed for good nor rolled back.
    const slow = stack.remote.commit({'docker-compose.yaml': slowlyHealthyCompose('kedge-test/busybox:1')}, 'slowly healthy')
    await waitFor('the slowly healthy container to run', () => containerOf()?.Image === 'kedge-test/busybox:1' && containerOf()?.State === 'running', 60_000, 50)
    const beforeRestart = serve.lines.length
    await engine.restart()
    await deployed(serve, stack.name, slow, 90_000, beforeRestart).catch(async (error: unknown) => {
      const rows = await history(stack.home, stack.name, env).catch(() => [])
      throw new Error(`${String(error)}; the history: ${JSON.stringify(rows.map((row) => [row.commit.slice(0, 7), row.trigger, row.status, row.error, row.note]))}`)
    })
    const attempts = (await history(stack.home, stack.name, env)).filter((row) => row.commit === slow)
    assert.deepEqual(attempts.map((row) => [row.trigger, row.status]), [['git', 'success'], ['git', 'failed']])
    assert.match(attempts[1]!.note!, /cut short by the host/)

    const rows = await history(stack.home, stack.name, env)
    assertOneAtATime(rows)
    assert.deepEqual(rows.filter((row) => row.trigger === 'auto_rollback' && row.status === 'success'), [], 'nothing was rolled back')
    // What the daemon's shutdown cut short is recorded as such, in one line.
    for (const row of rows.filter((entry) => entry.status === 'failed')) {
      assert.match(row.note ?? '', /cut short by the host/, JSON.stringify(row))
      assert.doesNotMatch(row.error!, /\n/)
    }
    assert.deepEqual(rows.filter((row) => row.trigger === 'git' && row.commit === next).map((row) => row.status), ['success'])
    assert.ok(rows.some((row) => row.commit === next && row.trigger === 'drift' && row.status === 'success'), 'the containers the restart stopped were healed')
    assert.equal(serve.events('reconcile.failed').length + serve.events('loop.failed').length, 0)
    assert.equal(await serve.stop(), 0)
    assert.equal(integrityOf(stack.home), 'ok')
  })

  it('a remote that accepts the connection and never answers: its poll times out, the other repositories keep deploying on time', async () => {
    const home = tempDir()
    const variable = `TEST_GIT_TOKEN_${randomBytes(3).toString('hex').toUpperCase()}`
    const token = `tok-${randomBytes(12).toString('hex')}`
    const env = {[variable]: token}
    const stuck = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE}, {name: 'stuck'})
    const server = await GitHttpServer.start({projectRoot: path.dirname(stuck.bareDir), username: 'x-access-token', token})
    const proxy = await HangingProxy.start(server.port)
    const stuckName = uniqueName('kt-stuck')
    after(() => removeComposeProject(stuckName))
    const url = `http://127.0.0.1:${proxy.port}/${path.basename(stuck.bareDir)}`
    const added = await runKedge(['repo', 'add', url, '--name', stuckName, '--token-env', variable, '--interval', '1s'], {home, env})
    assert.equal(added.code, 0, added.stderr)
    const healthy = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home, args: ['--interval', '1s']})
    const serve = new ServeProcess(home, [], env)
    await deployed(serve, stuckName, stuck.head())
    await deployed(serve, healthy.name, healthy.remote.head())

    proxy.hanging = true
    const hangStarted = Date.now()
    await waitFor('a poll to hang', () => proxy.held > 0, 10_000, 50)
    for (const image of ['busybox:2', 'busybox:3']) {
      const from = serve.lines.length
      const pushed = Date.now()
      const commit = healthy.remote.commit({'docker-compose.yaml': SIMPLE_COMPOSE.replace('busybox:1', image)})
      await deployed(serve, healthy.name, commit, 20_000, from)
      assert.ok(Date.now() - pushed < 15_000, `deployed ${Date.now() - pushed} ms after the push`)
    }
    const timedOut = await serve.waitForLog((line) => line.event === 'poll.failed' && line.repo === stuckName, 60_000)
    assert.match(String(timedOut.error), /timed out/)
    assert.match(String(timedOut.error), new RegExp(url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    const gaveUpAfter = Date.parse(timedOut.time) - hangStarted
    assert.ok(gaveUpAfter < 35_000, `the poll gave up after ${gaveUpAfter} ms`)
    proxy.hanging = false
    // Nothing of the poll is left holding the connection.
    await waitFor('the hung connection to be let go', () => proxy.held === 0 && !processesMentioning(url), 15_000)

    const from = serve.lines.length
    const commit = stuck.commit({'docker-compose.yaml': SIMPLE_COMPOSE.replace('busybox:1', 'busybox:2')})
    await deployed(serve, stuckName, commit, 90_000, from)
    assert.equal(serve.events('reconcile.failed').length, 0)
    assert.equal(await serve.stop(), 0)
    await server.stop()
  })

  it('kedge sync, serve\'s poll, a webhook and the API all at once: one deploy at a time, no commit lost, a consistent history', async () => {
    const secret = `hook-${randomBytes(8).toString('hex')}`
    const adminToken = `admin-${randomBytes(12).toString('hex')}`
    const env = {KEDGE_TEST_HOOK: secret, KEDGE_ADMIN_TOKEN: adminToken}
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {args: ['--interval', '2s', '--webhook-secret-env', 'KEDGE_TEST_HOOK'], env})
    const serve = new ServeProcess(stack.home, [], env)
    const base = String((await serve.waitForLog((line) => line.event === 'http.listening')).address)
    await deployed(serve, stack.name, stack.remote.head())

    const webhook = async () => {
      const raw = JSON.stringify({ref: 'refs/heads/main', after: stack.remote.head()})
      const signature = createHmac('sha256', secret).update(raw).digest('hex')
      const response = await fetch(`${base}/hooks/${stack.name}`, {method: 'POST', body: raw, headers: {'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${signature}`}})
      return response.status
    }
    const apiSync = async () => {
      const response = await fetch(`${base}/api/v1/repos/${stack.name}/sync`, {method: 'POST', headers: {authorization: `Bearer ${adminToken}`}})
      return {status: response.status, body: await response.text()}
    }

    const images = ['busybox:2', 'busybox:3']
    let last = ''
    for (const image of images) {
      last = stack.remote.commit({'docker-compose.yaml': SIMPLE_COMPOSE.replace('busybox:1', image)}, `to ${image}`)
      const [cli, hook, api] = await Promise.all([runKedge(['sync', '--repo', stack.name], {home: stack.home, env}), webhook(), apiSync()])
      assert.equal(cli.code, 0, cli.stderr)
      assert.equal(hook, 202)
      assert.equal(api.status, 200, api.body)
    }
    // Last, a push announced only by its webhook, while serve may still be busy: it must not be lost.
    const final = stack.remote.commit({'docker-compose.yaml': SIMPLE_COMPOSE}, 'announced by webhook only')
    assert.equal(await webhook(), 202)
    const rows = await waitFor('the last commit to be deployed', async () => {
      const current = await history(stack.home, stack.name)
      return current[0]?.commit === final && current[0].status !== 'pending' && current
    }, 60_000, 500)
    assert.notEqual(last, final)
    assertOneAtATime(rows)
    assert.deepEqual(rows.filter((row) => row.status !== 'success'), [], 'no deploy failed')
    assert.ok(kedgeContainers(stack.name).some((container) => container.commit === final && container.state === 'running'))
    // Each explicit sync is a deployment of its own (of the head it fetched); serve deploys a commit once.
    const byServe = rows.filter((row) => row.trigger === 'git').map((row) => row.commit)
    assert.equal(new Set(byServe).size, byServe.length, `serve deployed a commit twice: ${byServe.join(', ')}`)
    assert.ok(rows.filter((row) => row.trigger === 'manual').length >= images.length * 2)
    assert.equal(kedgeContainers(stack.name).length, 1)
    assert.equal(await serve.stop(), 0)
    assert.equal(integrityOf(stack.home), 'ok')
  })
})

function processesMentioning(text: string): boolean {
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) return true
    } catch {
      // It ended meanwhile.
    }
  }
  return false
}
