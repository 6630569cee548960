import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {DeploymentView} from '../../src/model/repository/deployment-view.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {docker, kedgeContainers, removeComposeProject} from '../helpers/docker.js'
import {SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {registeredStack} from '../helpers/stack.js'

interface HealJson {
  stacks: Array<{stack: string; address: string; result: string; reason: string | null; deployment: DeploymentView | null}>
}

describe('kedge heal', () => {
  it('puts back what drifted with the deployed commit in manual mode, leaving a newer commit waiting', async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': 'reconciliation:\n  mode: manual\n'})
    const home = {home: stack.home}
    assert.equal((await runKedge(['sync', stack.name], home)).code, 0)
    const deployed = stack.remote.head()
    stack.remote.commit({'docker-compose.yaml': `${SIMPLE_COMPOSE}    environment:\n      RELEASE: "2"\n`}, 'waits for a sync')
    docker('stop', '--time', '0', kedgeContainers(stack.name)[0]!.id)

    const healed = await runKedge(['heal', stack.name], home)
    assert.equal(healed.code, 0, healed.stderr)
    assert.equal(healed.stdout, `Healed ${stack.name} (healed: web stopped)\n`)
    assert.deepEqual(kedgeContainers(stack.name).map((container) => [container.commit, container.state]), [[deployed, 'running']])
    const history = await runKedgeJson<DeploymentView[]>(['history', stack.name, '--json'], home)
    assert.deepEqual(history.json.map((row) => [row.trigger, row.status, row.commit]), [['drift', 'success', deployed], ['manual', 'success', deployed]])

    const again = await runKedgeJson<HealJson>(['heal', '--repo', stack.name, '--json'], home)
    assert.equal(again.code, 0, again.stderr)
    assert.deepEqual(again.json, {stacks: [{stack: stack.name, address: stack.name, result: 'in-sync', reason: null, deployment: null}]})
    assert.equal((await runKedgeJson<DeploymentView[]>(['history', stack.name, '--json'], home)).json.length, 2, 'nothing to heal records nothing')
  })

  it('heals the stacks of a repository it can, and passes over a suspended one with its reason', async (t) => {
    const files = {'apps/web/compose.yaml': SIMPLE_COMPOSE, 'apps/api/compose.yaml': SIMPLE_COMPOSE.replace('web:', 'api:')}
    const stack = await registeredStack(files)
    t.after(() => ['web', 'api'].forEach((name) => removeComposeProject(`${stack.name}-${name}`)))
    const home = {home: stack.home}
    assert.equal((await runKedge(['sync', stack.name], home)).code, 0)
    assert.equal((await runKedge(['suspend', `${stack.name}/api`], home)).code, 0)
    const [api, web] = [kedgeContainers(`${stack.name}-api`)[0]!, kedgeContainers(`${stack.name}-web`)[0]!]
    docker('stop', '--time', '0', api.id, web.id)

    const healed = await runKedgeJson<HealJson>(['heal', stack.name, '--json'], home)
    assert.equal(healed.code, 0, healed.stderr)
    assert.deepEqual(healed.json.stacks.map((entry) => [entry.address, entry.result, entry.reason]), [
      [`${stack.name}/api`, 'skipped', `${stack.name}/api is suspended`],
      [`${stack.name}/web`, 'healed', null],
    ])
    assert.equal(kedgeContainers(`${stack.name}-web`)[0]!.state, 'running')
    assert.deepEqual(kedgeContainers(`${stack.name}-api`).map((left) => [left.id, left.state]), [[api.id, 'exited']], 'the suspended stack is left as it is')
  })

  it('refuses a suspended stack and an unknown repository, and changes nothing', async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE})
    const home = {home: stack.home}
    assert.equal((await runKedge(['sync', stack.name], home)).code, 0)
    assert.equal((await runKedge(['suspend', stack.name], home)).code, 0)
    const container = kedgeContainers(stack.name)[0]!
    docker('stop', '--time', '0', container.id)

    const held = await runKedge(['heal', stack.name], home)
    assert.equal(held.code, 2)
    assert.equal(held.stderr, `Error: ${stack.name} is suspended\nHint: "kedge resume ${stack.name}" lets kedge act on it again\n`)
    assert.deepEqual(kedgeContainers(stack.name).map((left) => [left.id, left.state]), [[container.id, 'exited']])

    const unknown = await runKedge(['heal', 'no-such-repo'], home)
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /^Error: no repository named "no-such-repo"\n/)
  })
})
