import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {DeploymentView} from '../../src/model/repository/deployment-view.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {docker, kedgeContainers} from '../helpers/docker.js'
import {SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {ServeProcess} from '../helpers/serve.js'
import {DockerSocketProxy} from '../helpers/socket-proxy.js'
import {registeredStack, uniqueName, type TestStack} from '../helpers/stack.js'
import {waitFor} from '../helpers/wait.js'

const TWO_WEB = 'services:\n  web:\n    image: kedge-test/busybox:1\n  api:\n    image: kedge-test/busybox:1\n'
const web = (stack: TestStack) => kedgeContainers(stack.name).find((container) => container.service === 'web')
const history = async (stack: TestStack) => (await runKedgeJson<DeploymentView[]>(['history', '--repo', stack.name], {home: stack.home})).json

/** serve with a long interval, so that anything it does within the test was set off by an engine event. */
async function serveDeployed(stack: TestStack, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const serve = new ServeProcess(stack.home, ['--interval', '1h'], env)
  await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === stack.name)
  await serve.waitForLog((line) => line.event === 'events.connected' || line.event === 'events.reconnected')
  return serve
}

describe('healing drift under kedge serve', () => {
  it('heals a stopped and a removed container in auto mode, within a second or two of the event', async (t) => {
    const stack = await registeredStack({'docker-compose.yaml': TWO_WEB})
    const bystander = uniqueName('kt-bystander')
    docker('run', '--detach', '--name', bystander, '--label', `com.docker.compose.service=web`, 'kedge-test/busybox:1')
    t.after(() => docker('rm', '--force', bystander))
    const serve = await serveDeployed(stack)
    const api = kedgeContainers(stack.name).find((container) => container.service === 'api')!
    const healNotes: string[] = []

    for (const [what, act] of [
      ['docker stop', (id: string) => docker('stop', '--time', '0', id)],
      ['docker rm -f', (id: string) => docker('rm', '--force', id)],
    ] as const) {
      const before = web(stack)!
      const from = serve.lines.length
      const started = Date.now()
      act(before.id)
      await serve.waitForLog((line) => line.event === 'drift.healed' && line.repo === stack.name, 30_000, from)
      const healedAfter = Date.now() - started
      const after = await waitFor('web to run again', () => (web(stack)?.state === 'running' ? web(stack) : undefined))
      t.diagnostic(`${what}: event to healed in ${healedAfter} ms`)
      assert.ok(healedAfter < 15_000, `${what}: healed after ${healedAfter} ms`)
      const detected = serve.lines.slice(from).find((line) => line.event === 'drift.detected')!
      // `docker rm -f` of a running container sends `die` before `destroy`: a check that runs between
      // the two finds the container stopped, and the heal that follows replaces it all the same.
      assert.match(String(detected.drift), what === 'docker stop' ? /^web stopped$/ : /^web (missing|stopped)$/)
      healNotes.push(`healed: ${String(detected.drift)}`)
      if (what === 'docker rm -f') assert.notEqual(after.id, before.id)
    }
    assert.equal(kedgeContainers(stack.name).find((container) => container.service === 'api')!.id, api.id, 'a healthy service is not touched')
    assert.deepEqual((await history(stack)).map((row) => [row.trigger, row.status]), [['drift', 'success'], ['drift', 'success'], ['startup', 'success']])
    assert.deepEqual((await history(stack)).slice(0, 2).map((row) => row.note), healNotes.reverse())
    assert.equal(docker('inspect', '--format', '{{.State.Running}}', bystander).trim(), 'true')
    assert.equal(await serve.stop(), 0)
  })

  for (const mode of ['notify', 'manual'] as const) {
    it(`records drift and heals nothing in ${mode} mode; kedge sync heals it`, async () => {
      const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': `reconciliation:\n  mode: ${mode}\n`})
      assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
      const serve = new ServeProcess(stack.home, ['--interval', '1h'])
      await serve.waitForLog((line) => line.event === 'events.connected')
      await serve.waitForLog((line) => line.event === 'poll.unchanged' && line.repo === stack.name)
      docker('stop', '--time', '0', web(stack)!.id)
      const detected = await serve.waitForLog((line) => line.event === 'drift.detected' && line.repo === stack.name)
      assert.equal(detected.mode, mode)
      assert.equal(detected.drift, 'web stopped')
      await new Promise((resolve) => setTimeout(resolve, 2000))
      assert.equal(web(stack)!.state, 'exited')
      assert.deepEqual(serve.events('drift.healed'), [])
      assert.deepEqual((await history(stack)).map((row) => row.trigger), ['manual'])

      assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
      assert.equal(web(stack)!.state, 'running')
      assert.equal(await serve.stop(), 0)
    })
  }

  it('stops healing a crash-looping service after 5 heals in 5 minutes, and says so', async () => {
    // Each crash comes once the heal before it is recorded, so the count does not depend on how busy the machine is.
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE})
    const serve = await serveDeployed(stack)
    for (let heal = 1; heal <= 5; heal++) {
      const from = serve.lines.length
      docker('kill', web(stack)!.id)
      await serve.waitForLog((line) => line.event === 'drift.healed' && line.repo === stack.name, 60_000, from).catch((error: unknown) => {
        throw new Error(`heal ${heal}: ${String(error)}; serve logged since the kill: ${JSON.stringify(serve.lines.slice(from).map((line) => [line.event, line.error ?? line.reason ?? '']))}`)
      })
    }
    docker('kill', web(stack)!.id)
    const flapping = await serve.waitForLog((line) => line.event === 'drift.flapping' && line.repo === stack.name, 60_000)
    assert.equal(flapping.heals, 5)
    const heals = (await history(stack)).filter((row) => row.trigger === 'drift')
    assert.equal(heals.length, 5)
    const from = serve.lines.length
    await new Promise((resolve) => setTimeout(resolve, 3000))
    assert.deepEqual(serve.lines.slice(from).filter((line) => line.event === 'drift.healed'), [])
    assert.equal(kedgeContainers(stack.name)[0]!.state, 'exited')
    assert.equal(await serve.stop(), 0)
  })

  it('reconnects to the event stream after it drops, and heals what happened meanwhile', async () => {
    const proxy = new DockerSocketProxy()
    await proxy.start()
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE})
    const serve = await serveDeployed(stack, {DOCKER_HOST: proxy.dockerHost})
    proxy.stop()
    await serve.waitForLog((line) => line.event === 'events.disconnected')
    docker('stop', '--time', '0', web(stack)!.id)
    await proxy.start()
    await serve.waitForLog((line) => line.event === 'events.reconnected', 30_000)
    await serve.waitForLog((line) => line.event === 'drift.healed' && line.repo === stack.name, 30_000)
    assert.equal(web(stack)!.state, 'running')

    const from = serve.lines.length
    proxy.dropConnections()
    await serve.waitForLog((line) => line.event === 'events.reconnected', 30_000, from)
    docker('stop', '--time', '0', web(stack)!.id)
    await serve.waitForLog((line) => line.event === 'drift.healed' && line.repo === stack.name, 30_000, from)
    assert.equal(web(stack)!.state, 'running')
    assert.equal(await serve.stop(), 0)
  })
})
