import assert from 'node:assert/strict'
import {afterEach, beforeEach, describe, it} from 'node:test'

import type {StackTarget} from '../../src/model/rows.js'
import {reconcileRepository} from '../../src/usecases/deploying/reconcile.js'
import {ageKeyBinding} from '../../src/usecases/deploying/stack-secrets.js'
import {fakeSecrets, fakeWorld, registerRepository, type FakeWorld} from '../helpers/fake-ports.js'

const URL = 'https://git.example/app.git'
/** SOPS's published test identity (test/fixtures/sops/keys.txt). */
const IDENTITY = 'AGE-SECRET-KEY-1NJT5YCS2LWU4V4QAJQ6R4JNU7LXPDX602DZ9NUFANVU5GDTGUWCQ5T59M6'
const COMPOSE = 'services:\n  web:\n    image: web:1\n  worker:\n    image: worker:1\n'
const KEDGE_YAML = 'secrets:\n  - file: app.sops.env\n    services: [web]\n    target: /run/secrets/app.env\n    mode: "0400"\n'

describe('SOPS files given to containers as files (target)', () => {
  let world: FakeWorld
  let target: StackTarget

  beforeEach(() => {
    world = fakeWorld()
    target = registerRepository(world.store, {name: 'app', url: URL, branch: 'main', createdAt: world.clock.now(), ageKey: fakeSecrets.seal(IDENTITY, ageKeyBinding('app'))}).target
  })
  afterEach(() => world.cleanup())

  const deploy = async (secret: string) => {
    world.git.push(URL, 'main', {'compose.yaml': COMPOSE, 'kedge.yaml': KEDGE_YAML, 'app.sops.env': `fake-sops:${IDENTITY}\nTOKEN=${secret}`})
    return reconcileRepository(world.context, target, {trigger: 'git'})
  }
  const containerOf = (service: string) => world.engine.containers.find((container) => container.service === service)!

  it('creates the containers that use one, puts the plaintext in them, then starts them', async () => {
    assert.equal((await deploy('first-token')).kind, 'deployed')
    assert.deepEqual(world.compose.actions().filter((action) => action !== 'config' && !action.startsWith('pull')), ['create web', 'up web,worker'])
    assert.equal(containerOf('web').state, 'running')
    assert.deepEqual(world.engine.containerFiles.get(containerOf('web').id), [{path: '/run/secrets/app.env', content: 'TOKEN=first-token', mode: 0o400}])
    assert.equal(world.engine.containerFiles.get(containerOf('worker').id), undefined)
  })

  it('recreates only the service that uses it when its plaintext changes, with the new file', async () => {
    await deploy('first-token')
    const worker = containerOf('worker').id
    world.forgetCalls()
    await deploy('second-token')
    assert.deepEqual(world.compose.actions().filter((action) => action !== 'config' && !action.startsWith('pull')), ['create web', 'up web'])
    assert.equal(containerOf('worker').id, worker)
    assert.deepEqual(world.engine.containerFiles.get(containerOf('web').id)?.map((file) => file.content), ['TOKEN=second-token'])
  })

  it('are refused for a swarm stack, which Swarm starts itself, before anything changes', async () => {
    world.git.push(URL, 'main', {'compose.yaml': COMPOSE, 'kedge.yaml': `docker:\n  target: swarm\n${KEDGE_YAML}`, 'app.sops.env': `fake-sops:${IDENTITY}\nTOKEN=x`})
    const result = await reconcileRepository(world.context, target, {trigger: 'git'})
    assert.equal(result.kind, 'deployed')
    assert.match(result.kind === 'deployed' ? (result.outcome.error?.message ?? '') : '', /kedge\.yaml: secrets: SOPS files are given to Compose stacks/)
    assert.deepEqual(world.engine.containers, [])
  })
})
