import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {describe, it} from 'node:test'

import {runKedge} from '../helpers/cli.js'
import {containerIds} from '../helpers/docker.js'
import {SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {homeContents, type HomeContents} from '../helpers/home-state.js'
import {registeredStack} from '../helpers/stack.js'

// Run on Compose v1 whichever Compose the rest of the tests use: these refusals are v1's own.
const V1 = {KEDGE_COMPOSE: 'docker-compose'}

function composeV1Installed(): boolean {
  try {
    return /^1\./.test(execFileSync('docker-compose', ['version', '--short'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}))
  } catch {
    return false
  }
}

const V2_ONLY: Array<{what: string; compose: string; feature: string}> = [
  {what: 'a top-level include', compose: `include:\n  - extra.yaml\n${SIMPLE_COMPOSE}`, feature: 'top-level include'},
  {what: 'a top-level name', compose: `name: other\n${SIMPLE_COMPOSE}`, feature: 'top-level name'},
  {
    what: 'depends_on with restart: true',
    compose: `${SIMPLE_COMPOSE}    depends_on:\n      db:\n        condition: service_started\n        restart: true\n  db:\n    image: kedge-test/busybox:1\n`,
    feature: 'services.web.depends_on.restart',
  },
  {what: 'develop', compose: `${SIMPLE_COMPOSE}    develop:\n      watch:\n        - action: sync\n          path: ./src\n          target: /src\n`, feature: 'services.web.develop'},
]

const ONE_LINE_ERROR = /^Error: [^\n]+\nHint: [^\n]+\n$/

describe('a commit that needs Compose v2, on Compose v1', {skip: composeV1Installed() ? false : 'Compose v1 (docker-compose 1.x) is not installed', timeout: 180_000}, () => {
  it('is refused in one line that names the feature and asks for Compose v2; nothing changes', async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE, 'extra.yaml': 'services:\n  extra:\n    image: kedge-test/busybox:1\n'}, {env: V1})
    const deployed = await runKedge(['sync', '--repo', stack.name], {home: stack.home, env: V1})
    assert.equal(deployed.code, 0, deployed.stderr)
    const good = stack.remote.head()
    const running = containerIds(stack.name)

    for (const {what, compose, feature} of V2_ONLY) {
      const before = homeContents(stack.home)
      const bad = stack.remote.commit({'docker-compose.yaml': compose}, what)
      const result = await runKedge(['sync', '--repo', stack.name], {home: stack.home, env: V1})
      assert.equal(result.code, 1, `${what}: ${result.stderr}`)
      assert.equal(result.stdout, '')
      assert.match(result.stderr, ONE_LINE_ERROR, what)
      const [error, hint] = result.stderr.split('\n')
      assert.equal(error, `Error: compose could not validate the compose files: ${feature} needs Compose v2, and this host runs Compose v1 (docker-compose)`)
      assert.match(hint!, /^Hint: install the Docker Compose plugin .*README/)

      // The attempt is recorded, failed; nothing else changed.
      const after = homeContents(stack.home)
      const deployments = (contents: HomeContents) => contents.rows.deployments as Array<{commit: string; status: string}>
      assert.deepEqual(deployments(after).slice(0, -1), deployments(before))
      assert.deepEqual([deployments(after).at(-1)!.commit, deployments(after).at(-1)!.status], [bad, 'failed'])
      assert.equal(deployments(after).findLast((row) => row.status === 'success')!.commit, good)
      const outsideTheClone = (contents: HomeContents) => contents.files.filter((file) => !file.startsWith('repos/'))
      assert.deepEqual(outsideTheClone(after), outsideTheClone(before), `${what}: the stack directory, the override file or the releases changed`)
      assert.deepEqual(containerIds(stack.name), running, `${what}: the stack's containers changed`)
    }
  })
})
