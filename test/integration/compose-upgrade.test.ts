import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {describe, it} from 'node:test'

import type {DeploymentView} from '../../src/model/repository/deployment-view.js'
import {runKedgeJson} from '../helpers/cli.js'
import {containerIds, docker, kedgeContainers} from '../helpers/docker.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack, type TestStack} from '../helpers/stack.js'

// A host deployed with Compose v1 gets Compose v2 (or one v2 release replaces another): kedge's hash of a
// service must not follow Compose's version-specific normalisation, and nothing may be recreated for it.
const V1 = {KEDGE_COMPOSE: 'docker-compose'}
const V2 = {KEDGE_COMPOSE: 'docker compose'}

function composeV1Installed(): boolean {
  try {
    return /^1\./.test(execFileSync('docker-compose', ['version', '--short'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}))
  } catch {
    return false
  }
}

/** What the two versions print differently in `compose config`: command strings, short ports and volumes, durations, depends_on lists, implicit networks. */
const PLAIN = `version: "3.8"
services:
  web:
    image: kedge-test/busybox:1
    command: sh -c 'trap "exit 0" TERM; while true; do sleep 1; done'
    expose: ["8080", 9090]
    environment: [MODE=web, EMPTY=]
    labels: [tier=front]
    healthcheck:
      test: test -f /etc/image-version
      interval: 1000ms
      timeout: 1500ms
      start_period: 1m
    stop_grace_period: 3s
    depends_on: [db]
  db:
    image: kedge-test/busybox:1
    networks: [back]
    volumes: ["data:/data", "/scratch"]
networks:
  back:
volumes:
  data:
`

const WITH_FILES = `services:
  web:
    image: kedge-test/busybox:1
    volumes:
      - ./conf/app.conf:/conf/app.conf:ro
      - ./site:/var/www
  worker:
    image: kedge-test/busybox:1
    env_file: worker.env
`

const CASES: Array<{what: string; files: Record<string, string>; services: string[]; change: Record<string, string>; changed: string}> = [
  {what: 'services Compose v1 and v2 print differently', files: {'docker-compose.yaml': PLAIN}, services: ['db', 'web'], change: {'docker-compose.yaml': PLAIN.replace('MODE=web', 'MODE=changed')}, changed: 'web'},
  {
    what: 'a bind-mounted file and an env_file',
    files: {'docker-compose.yaml': WITH_FILES, 'conf/app.conf': 'version=1\n', 'site/index.html': 'hello\n', 'worker.env': 'LEVEL=1\n'},
    services: ['web', 'worker'],
    change: {'worker.env': 'LEVEL=2\n'},
    changed: 'worker',
  },
]

async function history(stack: TestStack): Promise<DeploymentView[]> {
  return (await runKedgeJson<DeploymentView[]>(['history', '--repo', stack.name], {home: stack.home, env: V2})).json
}

describe('upgrading Compose from v1 to v2 restarts nothing', {skip: composeV1Installed() ? false : 'Compose v1 is not installed'}, () => {
  for (const {what, files, services, change, changed} of CASES) {
    it(`${what}: no container recreated, no drift, and the next commit recreates only what it changed`, async () => {
      const stack = await registeredStack(files, {env: V1})
      const deployed = await runKedgeJson(['sync', '--repo', stack.name], {home: stack.home, env: V1})
      assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr)
      const before = containerIds(stack.name)
      assert.deepEqual(Object.keys(before).sort(), services)

      // A serve round on v2: its first reconcile, with the engine's events watched.
      const serve = new ServeProcess(stack.home, ['--interval', '1h'], V2)
      await serve.waitForLog((line) => line.event === 'poll.unchanged' && line.repo === stack.name)
      await serve.waitForLog((line) => line.event === 'events.connected')
      assert.equal(await serve.stop(), 0)
      assert.deepEqual(serve.events('drift.detected'), [], 'no drift after the switch')
      assert.deepEqual(serve.events('deploy.succeeded'), [], 'nothing deployed after the switch')
      assert.deepEqual(containerIds(stack.name), before, 'a container was recreated by a serve round on Compose v2')

      // A sync on v2 with nothing new: applied again, nothing changes.
      const again = await runKedgeJson<{changes: unknown[]}>(['sync', '--repo', stack.name], {home: stack.home, env: V2})
      assert.equal(again.code, 0, again.stdout + again.stderr)
      assert.deepEqual(again.json.changes, [])
      assert.deepEqual(containerIds(stack.name), before, 'a container was recreated after the switch to Compose v2')
      const diff = await runKedgeJson<{drift: unknown[]}>(['diff', '--repo', stack.name], {home: stack.home, env: V2})
      assert.deepEqual(diff.json.drift, [])

      // The first commit after the switch recreates the service it changes, and only that one.
      const commit = stack.remote.commit(change, `change ${changed}`)
      const next = await runKedgeJson<{changes: Array<{service: string; action: string}>}>(['sync', '--repo', stack.name], {home: stack.home, env: V2})
      assert.equal(next.code, 0, next.stdout + next.stderr)
      assert.deepEqual(next.json.changes.map((entry) => [entry.service, entry.action]), [[changed, 'recreate']])
      const after = containerIds(stack.name)
      for (const service of Object.keys(before)) {
        if (service === changed) assert.notDeepEqual(after[service], before[service], `${service} was not recreated`)
        else assert.deepEqual(after[service], before[service], `${service} was recreated though it did not change`)
      }
      assert.ok(kedgeContainers(stack.name).every((container) => container.state === 'running'))
      assert.equal(docker('inspect', '--format', '{{.State.Running}}', after[changed]![0]!).trim(), 'true')
      assert.deepEqual((await history(stack)).map((row) => [row.commit, row.status]).slice(0, 1), [[commit, 'success']])
    })
  }
})
