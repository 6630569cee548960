import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {DeploymentView} from '../../src/model/repository/deployment-view.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {docker, kedgeContainers} from '../helpers/docker.js'
import {GitRemote, SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {request} from '../helpers/http.js'
import {PrivateEngine} from '../helpers/private-engine.js'
import {parseMetrics, sampleValue} from '../helpers/prometheus.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack, uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'
import {waitFor} from '../helpers/wait.js'

const NOT_ROOT = process.getuid?.() !== 0 && 'starts a Docker daemon of its own, which needs root'

const COMPOSE = `services:
  web:
    image: kedge-test/busybox:1
  worker:
    image: kedge-test/busybox:1
`

describe('one serve driving two engines', {skip: NOT_ROOT, timeout: 400_000}, () => {
  it('keeps deploying to one while the other is killed, and catches up on the other once it is back', async () => {
    const engine = new PrivateEngine()
    await engine.start()
    engine.loadImagesFrom('kedge-test/busybox:1', 'kedge-test/busybox:2')
    const home = tempDir()
    assert.equal((await runKedge(['engine', 'add', 'e2', '--host', `unix://${engine.socket}`], {home})).code, 0)
    const remoteName = uniqueName()
    const remote = GitRemote.create({'compose.yaml': COMPOSE})
    assert.equal((await runKedge(['repo', 'add', remote.fileUrl, '--name', remoteName, '--engine', 'e2', '--interval', '2s'], {home})).code, 0)
    const local = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home, args: ['--interval', '2s']})

    const serve = new ServeProcess(home)
    const base = String((await serve.waitForLog((line) => line.event === 'http.listening')).address)
    await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === remoteName, 120_000)
    await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === local.name, 120_000)
    await serve.waitForLog((line) => line.event === 'events.connected' && line.engine === 'e2', 30_000)
    const metrics = async () => parseMetrics((await request(base, 'GET', '/metrics')).text)
    let samples = await metrics()
    assert.equal(sampleValue(samples, 'kedge_engine_up', {engine: 'e2'}), 1)
    assert.equal(sampleValue(samples, 'kedge_engine_up', {engine: 'local'}), 1)
    assert.equal(sampleValue(samples, 'kedge_services_total', {engine: 'e2', repo: remoteName, state: 'running'}), 2)
    assert.equal(kedgeContainers(remoteName).length, 0, "the remote stack's containers are on e2 only")

    // e2's daemon is killed: its stacks wait, the local one deploys as ever.
    const from = serve.lines.length
    await engine.stop()
    await serve.waitForLog((line) => line.event === 'events.disconnected' && line.engine === 'e2', 60_000, from)
    const remoteCommit = remote.commit({'compose.yaml': COMPOSE.replace('busybox:1\n  worker', 'busybox:2\n  worker')}, 'while e2 is down')
    const localCommit = local.remote.commit({'docker-compose.yaml': SIMPLE_COMPOSE.replace('busybox:1', 'busybox:2')}, 'local change')
    const pushed = Date.now()
    await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === local.name && line.commit === localCommit.slice(0, 12), 60_000, from)
    const localSeconds = (Date.now() - pushed) / 1000
    assert.ok(localSeconds < 30, `the local stack deployed in ${localSeconds} s while e2 was down`)
    assert.equal(kedgeContainers(local.name)[0]!.image, 'kedge-test/busybox:2')
    await serve.waitForLog((line) => line.event === 'deploy.deferred' && line.repo === remoteName, 120_000, from)

    assert.equal((await request(base, 'GET', '/ready')).status, 200, 'an engine down does not make serve unready')
    assert.equal((await request(base, 'GET', '/ready?engine=e2')).status, 503)
    assert.equal((await request(base, 'GET', '/ready?engine=local')).status, 200)
    samples = await metrics()
    assert.equal(sampleValue(samples, 'kedge_engine_up', {engine: 'e2'}), 0)
    assert.equal(sampleValue(samples, 'kedge_engine_up', {engine: 'local'}), 1)
    const status = await runKedge(['status'], {home})
    assert.match(status.stdout, new RegExp(`engine local\\n\\n${local.name} [\\s\\S]*engine e2\\n\\n${remoteName} `))

    // e2 back: the commit pushed meanwhile is deployed, with no failed deployment for the outage.
    await engine.start()
    await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === remoteName && line.commit === remoteCommit.slice(0, 12), 180_000, from)
    const history = (await runKedgeJson<DeploymentView[]>(['history', '--repo', remoteName], {home})).json
    // The commit pushed meanwhile is deployed, never failed for good nor rolled back; what the daemon's stop
    // cut short (a heal of the containers it stopped as it went) is recorded as such.
    assert.deepEqual(history.filter((row) => row.trigger === 'git').map((row) => [row.commit, row.status]).slice(0, 1), [[remoteCommit, 'success']])
    assert.deepEqual(history.filter((row) => row.trigger === 'auto_rollback'), [])
    for (const row of history.filter((entry) => entry.status === 'failed')) assert.match(row.note ?? '', /cut short by the host/, JSON.stringify(row))
    await waitFor('kedge_engine_up for e2 to be 1 again', async () => sampleValue(await metrics(), 'kedge_engine_up', {engine: 'e2'}) === 1, 30_000)
    assert.equal(sampleValue(await metrics(), 'kedge_engine_outages_total', {engine: 'e2'}), 1)
    assert.equal(await serve.stop(), 0)
    assert.equal((await runKedge(['repo', 'remove', remoteName, '--down'], {home})).code, 0)
    assert.equal(docker('ps', '--all', '--quiet', '--filter', `label=io.kedge.project=${remoteName}`).trim(), '')
  })
})
