import assert from 'node:assert/strict'
import {afterEach, beforeEach, describe, it} from 'node:test'

import type {RepositoryRow} from '../../src/model/rows.js'
import {reconcileStacksLocked, type RepositoryRound} from '../../src/usecases/deploying/reconcile.js'
import {composeFailure, fakeWorld, type FakeWorld} from '../helpers/fake-ports.js'

const URL = 'https://git.example/infra.git'

const app = (service: string, image: string) => `services:\n  ${service}:\n    image: ${image}\n`

/** Three stacks in folders under apps, `web` deployed after `proxy`. */
function layout(images: {proxy?: string; web?: string; worker?: string} = {}): Record<string, string> {
  return {
    'kedge.yaml': 'stacks:\n  - path: apps/proxy\n  - path: apps/web\n    after: [proxy]\n  - path: apps/worker\n',
    'apps/proxy/compose.yaml': app('proxy', images.proxy ?? 'proxy:1'),
    'apps/web/compose.yaml': app('web', images.web ?? 'web:1'),
    'apps/worker/compose.yaml': app('worker', images.worker ?? 'worker:1'),
  }
}

/** Each stack's result kind, by stack name, in the round's order. */
const kinds = (round: RepositoryRound) => (round.kind === 'stacks' ? round.results.map(({target, result}) => [target.stack.name, result.kind]) : round.kind)

describe('a round of a repository of several stacks', () => {
  let world: FakeWorld
  let repository: RepositoryRow

  beforeEach(() => {
    world = fakeWorld()
    repository = world.store.insertRepository({name: 'infra', url: URL, branch: 'main', createdAt: world.clock.now()})
  })
  afterEach(() => world.cleanup())

  const round = () => reconcileStacksLocked(world.context, world.store.findRepository('infra')!, {trigger: 'git'})
  /** The Compose projects Compose was run for since the last forgetCalls. */
  const projectsRun = () => [...new Set(world.compose.calls.map((call) => call.project))].sort()

  it('records and deploys every stack of the first commit, in the order after: sets', async () => {
    world.git.push(URL, 'main', layout())
    const first = await round()
    assert.deepEqual(kinds(first), [
      ['proxy', 'deployed'],
      ['web', 'deployed'],
      ['worker', 'deployed'],
    ])
    assert.deepEqual(
      world.store.listStacks(repository.id).map((stack) => [stack.name, stack.path]),
      [
        ['proxy', 'apps/proxy'],
        ['web', 'apps/web'],
        ['worker', 'apps/worker'],
      ],
    )
    assert.deepEqual(projectsRun(), ['infra-proxy', 'infra-web', 'infra-worker'])
  })

  it('runs Compose only for the stack a commit changes; the others are unchanged', async () => {
    world.git.push(URL, 'main', layout())
    await round()
    world.forgetCalls()
    world.git.push(URL, 'main', layout({worker: 'worker:2'}))
    assert.deepEqual(kinds(await round()), [
      ['proxy', 'unchanged'],
      ['web', 'unchanged'],
      ['worker', 'deployed'],
    ])
    assert.deepEqual(projectsRun(), ['infra-worker'])
    world.forgetCalls()
    assert.deepEqual(kinds(await round()), [
      ['proxy', 'up-to-date'],
      ['web', 'up-to-date'],
      ['worker', 'up-to-date'],
    ], 'the next round fetches nothing and runs nothing')
    assert.deepEqual(projectsRun(), [])
  })

  it('skips a stack whose dependency fails, once per commit, while the other stacks deploy', async () => {
    world.git.push(URL, 'main', layout())
    await round()
    // Compose runs for proxy first: it fails.
    world.compose.upFailures.push({error: composeFailure('up', 'proxy would not start')})
    const commit = world.git.push(URL, 'main', layout({proxy: 'proxy:2', web: 'web:2', worker: 'worker:2'}))
    assert.deepEqual(kinds(await round()), [
      ['proxy', 'deployed'],
      ['web', 'skipped'],
      ['worker', 'deployed'],
    ])
    const web = world.store.listStacks(repository.id).find((stack) => stack.name === 'web')!
    const [skipped] = world.store.history(web.id).slice(-1)
    assert.equal(skipped!.status, 'skipped')
    assert.equal(skipped!.commit, commit)
    assert.match(skipped!.note ?? '', /proxy/)
    assert.deepEqual(world.engine.containers.filter((container) => container.service === 'web').map((container) => container.image), ['web:1'], 'web keeps its commit')
    const again = await round()
    // proxy was rolled back, and is pinned to its last good commit until the branch moves; web still waits for it.
    assert.deepEqual(kinds(again), [
      ['proxy', 'pinned'],
      ['web', 'already-failed'],
      ['worker', 'up-to-date'],
    ], 'the skip is recorded once per commit')
    assert.equal(world.store.history(web.id).filter((row) => row.status === 'skipped').length, 1)
    assert.deepEqual(world.engine.containers.filter((container) => container.service === 'web').map((container) => container.image), ['web:1'])
    // The branch moves on with proxy fixed: both deploy, proxy first.
    world.git.push(URL, 'main', layout({proxy: 'proxy:3', web: 'web:2', worker: 'worker:2'}))
    assert.deepEqual(kinds(await round()), [
      ['proxy', 'deployed'],
      ['web', 'deployed'],
      ['worker', 'unchanged'],
    ])
    assert.deepEqual(world.engine.containers.filter((container) => container.service === 'web').map((container) => container.image), ['web:2'])
  })

  it('notices a stack gone from the repository coming back, even while every other stack is held', async () => {
    // The apps/*/ layout without a kedge.yaml: a folder deleted is a stack gone.
    const {'kedge.yaml': _, ...files} = layout()
    world.git.push(URL, 'main', files)
    await round()
    const {'apps/worker/compose.yaml': __, ...withoutWorker} = files
    world.git.push(URL, 'main', withoutWorker)
    assert.deepEqual(kinds(await round()), [
      ['worker', 'gone'],
      ['proxy', 'unchanged'],
      ['web', 'unchanged'],
    ])
    for (const stack of world.store.listStacks(repository.id)) if (stack.name !== 'worker') world.store.updateStack(stack.id, {hold: 'suspended', heldAt: world.clock.now()})
    world.forgetCalls()
    assert.deepEqual(kinds(await round()), [
      ['proxy', 'stack-held'],
      ['web', 'stack-held'],
      ['worker', 'gone'],
    ], 'an unmoved branch is not fetched again')
    const {'kedge.yaml': ___, ...withWorker} = layout({worker: 'worker:2'})
    world.git.push(URL, 'main', withWorker)
    const back = await round()
    assert.deepEqual(kinds(back), [
      ['proxy', 'stack-held'],
      ['web', 'stack-held'],
      ['worker', 'deployed'],
    ])
    assert.equal(world.store.listStacks(repository.id).find((stack) => stack.name === 'worker')!.hold, null)
  })
})
