import assert from 'node:assert/strict'
import {afterEach, beforeEach, describe, it} from 'node:test'

import type {RepositoryRow} from '../../src/model/rows.js'
import {tryWithRepositoryLock, withRepositoryLock} from '../../src/usecases/deploying/lock.js'
import {fakeWorld, type FakeWorld} from '../helpers/fake-ports.js'

describe('the repository lock within one process', () => {
  let world: FakeWorld
  let repository: RepositoryRow
  beforeEach(() => {
    world = fakeWorld()
    repository = world.store.insertRepository({name: 'app', url: 'https://git.example/app.git', branch: 'main', createdAt: world.clock.now()})
  })
  afterEach(() => world.cleanup())

  it('is busy, not a failure, for a round while another task of this process (a round still stopping past its deadline) holds it', async () => {
    let release!: () => void
    const holding = withRepositoryLock(world.context, repository, {purpose: 'the round past its deadline', waitMs: 0}, () => new Promise<void>((resolve) => (release = resolve)))
    await new Promise((resolve) => setImmediate(resolve))
    const next = await tryWithRepositoryLock(world.context, repository, 'kedge serve (git)', async () => 'ran')
    assert.ok(typeof next === 'object' && 'busy' in next, `the next round got ${JSON.stringify(next)}`)
    assert.equal(next.busy.purpose, 'another task of this process')
    release()
    await holding
    assert.equal(await tryWithRepositoryLock(world.context, repository, 'kedge serve (git)', async () => 'ran'), 'ran')
  })
})
