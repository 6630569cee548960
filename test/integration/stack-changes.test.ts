import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {DeploymentView} from '../../src/model/repository/deployment-view.js'

import {runKedgeJson} from '../helpers/cli.js'
import {composeCommand, containerIds, docker, kedgeContainers} from '../helpers/docker.js'
import {registeredStack, type TestStack} from '../helpers/stack.js'

/**
 * What a commit changes on the host is exactly what kedge planned: a new replica count scales, a
 * dependency's recreate does not recreate its dependents (but does a container that joins its network),
 * labels of unchanged services stay put after a failed deploy, and containers an operator started by
 * hand in kedge's project are drift that kedge replaces.
 */

interface SyncJson {
  deployment: {commit: string; status: string}
  changes: Array<{service: string; action: string; joining?: string}>
  /** A failed sync prints only its error. */
  error?: {message: string}
}

async function sync(stack: TestStack) {
  return runKedgeJson<SyncJson>(['sync', '--repo', stack.name], {home: stack.home})
}

const actions = (result: {json: SyncJson}) => result.json.changes.map((change) => [change.service, change.action])

function replicas(count: number): string {
  return `services:\n  web:\n    image: kedge-test/busybox:1\n    deploy:\n      replicas: ${count}\n`
}

/** web, and api whose healthcheck passes or fails at once; a deploy waits 4 s for them. */
function webAndApi(healthy: boolean) {
  return {
    'kedge.yaml': 'reconciliation:\n  health_timeout: 4s\n',
    'docker-compose.yaml': `services:
  web:
    image: kedge-test/busybox:1
  api:
    image: kedge-test/busybox:1
    healthcheck:
      test: ["CMD", "${healthy ? 'true' : 'false'}"]
      interval: 1s
      retries: 1
`,
  }
}

describe('what a commit changes on the host', () => {
  it('scales a service when only its replica count changes, recreating none of its containers', async () => {
    const stack = await registeredStack({'docker-compose.yaml': replicas(2)})
    assert.equal((await sync(stack)).code, 0)
    const two = containerIds(stack.name).web!
    assert.equal(two.length, 2)

    stack.remote.commit({'docker-compose.yaml': replicas(3)}, 'three')
    const up = await sync(stack)
    assert.equal(up.code, 0, up.stdout + up.stderr)
    assert.deepEqual(actions(up), [['web', 'scale']])
    const three = containerIds(stack.name).web!
    assert.equal(three.length, 3)
    assert.deepEqual(two.filter((id) => three.includes(id)).sort(), [...two].sort(), 'the two replicas kept running')

    stack.remote.commit({'docker-compose.yaml': replicas(1)}, 'one')
    const down = await sync(stack)
    assert.equal(down.code, 0, down.stdout + down.stderr)
    assert.deepEqual(actions(down), [['web', 'scale']])
    const one = containerIds(stack.name).web!
    assert.equal(one.length, 1)
    assert.ok(three.includes(one[0]!), 'the replica left is one that ran before')
  })

  it("recreates only the changed service, not its depends_on dependents, but a container that joins its network", async () => {
    const files = (level: string) => ({
      'docker-compose.yaml': `services:
  db:
    image: kedge-test/busybox:1
    environment: [LEVEL=${level}]
  worker:
    image: kedge-test/busybox:1
    depends_on: [db]
  vote:
    image: kedge-test/busybox:1
    depends_on:
      db:
        condition: service_started
  sidecar:
    image: kedge-test/busybox:1
    network_mode: service:db
`,
    })
    const stack = await registeredStack(files('1'))
    assert.equal((await sync(stack)).code, 0)
    const before = containerIds(stack.name)

    stack.remote.commit(files('2'), 'change db')
    const result = await sync(stack)
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.deepEqual(actions(result), [['db', 'recreate'], ['sidecar', 'recreate']])
    assert.equal(result.json.changes.find((change) => change.service === 'sidecar')!.joining, 'db')
    const after = containerIds(stack.name)
    assert.deepEqual([after.worker, after.vote], [before.worker, before.vote], 'dependents are not recreated')
    assert.notDeepEqual(after.db, before.db)
    assert.notDeepEqual(after.sidecar, before.sidecar)
    const db = docker('inspect', '--format', '{{.Id}}', after.db![0]!).trim()
    assert.equal(docker('inspect', '--format', '{{.HostConfig.NetworkMode}}', after.sidecar![0]!).trim(), `container:${db}`, 'the sidecar joined the new db')
  })

  it('after a first deploy that failed, a later commit starts what it stopped instead of recreating it', async () => {
    const stack = await registeredStack(webAndApi(false))
    const first = await sync(stack)
    assert.equal(first.code, 1)
    assert.match(String(first.json.error?.message), /service api is unhealthy/)
    const web = containerIds(stack.name).web![0]!
    docker('stop', web)

    stack.remote.commit(webAndApi(true), 'fix api')
    const fixed = await sync(stack)
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr)
    assert.deepEqual(actions(fixed), [['api', 'recreate'], ['web', 'start']])
    assert.deepEqual(containerIds(stack.name).web, [web], 'web was started, not recreated')
    assert.equal(docker('inspect', '--format', '{{.State.Running}}', web).trim(), 'true')
  })

  it("replaces a container an operator started by hand in kedge's project, and reports it as drift", async () => {
    const stack = await registeredStack({'docker-compose.yaml': 'services:\n  web:\n    image: kedge-test/busybox:1\n  db:\n    image: kedge-test/busybox:1\n'})
    assert.equal((await sync(stack)).code, 0)
    const db = containerIds(stack.name).db
    // `docker compose up -d web` in the stack directory: Compose replaces kedge's container with one without kedge's labels.
    const [file, ...prefix] = composeCommand()
    execFileSync(file!, [...prefix, '--project-name', stack.name, 'up', '--detach', '--force-recreate', 'web'], {cwd: path.join(stack.home, 'stacks', stack.name), stdio: 'ignore'})
    assert.equal(containerIds(stack.name).web, undefined, "kedge's web is gone")

    const diff = await runKedgeJson<{drift: Array<{service: string; type: string}>}>(['diff', '--repo', stack.name], {home: stack.home})
    assert.deepEqual(diff.json.drift.map((entry) => [entry.service, entry.type]), [['web', 'foreign']])

    const result = await sync(stack)
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.deepEqual(actions(result), [['web', 'recreate']])
    assert.deepEqual(kedgeContainers(stack.name).map((container) => [container.service, container.state]), [['db', 'running'], ['web', 'running']])
    assert.deepEqual(containerIds(stack.name).db, db, 'db was not touched')
    const inProject = docker('ps', '--all', '--quiet', '--filter', `label=com.docker.compose.project=${stack.name}`).split('\n').filter(Boolean)
    assert.equal(inProject.length, 2, 'the hand-made container was replaced, not left beside')
  })
})

describe('the health gate covers the whole stack', () => {
  it('records a retried deploy as failed while a service it did not change is unhealthy', async () => {
    const stack = await registeredStack(webAndApi(false))
    assert.equal((await sync(stack)).code, 1)
    const again = await sync(stack)
    assert.equal(again.code, 1, again.stdout + again.stderr)
    assert.match(String(again.json.error?.message), /service api is unhealthy/)
    const history = await runKedgeJson<DeploymentView[]>(['history', '--repo', stack.name], {home: stack.home})
    assert.deepEqual(history.json.map((row) => row.status), ['failed', 'failed'], 'no success to roll back to')
  })

  it('names every service that did not come up in time', async () => {
    const stack = await registeredStack({
      'kedge.yaml': 'reconciliation:\n  health_timeout: 2s\n',
      'docker-compose.yaml': `services:
  web:
    image: kedge-test/busybox:1
    healthcheck: {test: ["CMD", "true"], interval: 1h, start_period: 1h}
  api:
    image: kedge-test/busybox:1
    healthcheck: {test: ["CMD", "true"], interval: 1h, start_period: 1h}
`,
    })
    const result = await sync(stack)
    assert.equal(result.code, 1)
    assert.match(String(result.json.error?.message), /did not come up within 2s: service api is not healthy yet; service web is not healthy yet$/)
  })

  it('gates a rollback: it is recorded rolled back only once every service is healthy, else as failed', async () => {
    // The check fails while a file the operator puts in the stack directory exists.
    const files = (version: string) => ({
      'docker-compose.yaml': `services:
  web:
    image: kedge-test/busybox:1
    environment: [VERSION=${version}]
    volumes: ['./state:/state']
    healthcheck:
      test: ["CMD", "sh", "-c", "! test -e /state/broken"]
      interval: 1s
      retries: 1
`,
      'state/.keep': '',
    })
    const stack = await registeredStack(files('1'))
    assert.equal((await sync(stack)).code, 0)
    const good = stack.remote.head()
    stack.remote.commit(files('2'), 'two')
    assert.equal((await sync(stack)).code, 0)

    const back = await runKedgeJson<SyncJson>(['rollback', '--repo', stack.name, good.slice(0, 12)], {home: stack.home})
    assert.equal(back.code, 0, back.stdout + back.stderr)
    assert.equal(back.json.deployment.status, 'rolled_back')
    const web = containerIds(stack.name).web![0]!
    assert.equal(docker('inspect', '--format', '{{.State.Health.Status}}', web).trim(), 'healthy', 'healthy when the rollback returns')

    stack.remote.commit(files('3'), 'three')
    assert.equal((await sync(stack)).code, 0)
    execFileSync('touch', [path.join(stack.home, 'stacks', stack.name, 'state', 'broken')])
    const failed = await runKedgeJson<{error: {message: string}}>(['rollback', '--repo', stack.name, good.slice(0, 12)], {home: stack.home})
    assert.equal(failed.code, 1, failed.stdout + failed.stderr)
    assert.match(failed.json.error.message, /did not come up: service web is unhealthy/)
    const [latest] = (await runKedgeJson<DeploymentView[]>(['history', '--repo', stack.name], {home: stack.home})).json
    assert.deepEqual([latest!.trigger, latest!.status], ['rollback', 'failed'])
  })
})
