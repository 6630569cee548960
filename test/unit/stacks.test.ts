import assert from 'node:assert/strict'
import {beforeEach, describe, it} from 'node:test'

import {isKedgeError} from '../../src/model/errors.js'
import type {RepositoryRow, StackTarget} from '../../src/model/rows.js'
import {requireOneStack, requireStacks, splitAddress, stackLabel} from '../../src/usecases/stacks/stacks.js'
import {FakeClock, MemoryStore, registerRepository} from '../helpers/fake-ports.js'

/** The error's code, message and hint, asserting that it is kedge's own and one line. */
function refusal(run: () => unknown): {code: string; message: string; hint: string | undefined} {
  try {
    run()
  } catch (error) {
    assert.ok(isKedgeError(error), `expected a kedge error, got ${String(error)}`)
    assert.doesNotMatch(error.message, /\n/)
    return {code: error.code, message: error.message, hint: error.hint}
  }
  return assert.fail('expected an error')
}

const names = (targets: StackTarget[]) => targets.map((target) => `${target.repository.name}/${target.stack.name}`)

describe('stack addresses', () => {
  let store: MemoryStore
  let context: {store: MemoryStore}
  let single: RepositoryRow
  let several: RepositoryRow

  beforeEach(() => {
    const clock = new FakeClock()
    store = new MemoryStore(clock)
    context = {store}
    const createdAt = clock.now()
    single = registerRepository(store, {name: 'app', url: 'https://git.example/app.git', branch: 'main', path: 'deploy', createdAt}).repository
    several = registerRepository(store, {name: 'platform', url: 'https://git.example/platform.git', branch: 'main', createdAt}).repository
    store.insertStack({repositoryId: several.id, name: 'Web', path: 'web', createdAt})
    store.insertStack({repositoryId: several.id, name: 'worker', path: 'worker', createdAt})
    store.insertRepository({name: 'bare', url: 'https://git.example/bare.git', branch: 'main', createdAt})
  })

  describe('splitAddress', () => {
    it('reads <repository> and <repository>/<stack>', () => {
      assert.deepEqual(splitAddress('app'), {repositoryName: 'app'})
      assert.deepEqual(splitAddress('platform/web'), {repositoryName: 'platform', stackName: 'web'})
    })

    it('splits at the first slash: the rest is the stack name, whatever it holds', () => {
      assert.deepEqual(splitAddress('platform/web/extra'), {repositoryName: 'platform', stackName: 'web/extra'})
      assert.deepEqual(splitAddress('platform/'), {repositoryName: 'platform', stackName: ''})
    })
  })

  describe('requireStacks', () => {
    it('gives the root stack of a repository registered with one, named after it, at its --path', () => {
      const targets = requireStacks(context, 'app')
      assert.deepEqual(names(targets), ['app/app'])
      assert.equal(targets[0]!.stack.path, 'deploy')
      assert.equal(targets[0]!.stack.repositoryId, single.id)
      assert.deepEqual(targets[0]!.repository, single)
    })

    it('gives every stack of a repository named alone, by name', () => {
      assert.deepEqual(names(requireStacks(context, 'platform')), ['platform/Web', 'platform/platform', 'platform/worker'])
    })

    it('gives the one stack a <repository>/<stack> address names', () => {
      assert.deepEqual(names(requireStacks(context, 'platform/worker')), ['platform/worker'])
      assert.deepEqual(names(requireStacks(context, 'app/app')), ['app/app'])
    })

    it('takes the repository name in any case, as requireRepository does', () => {
      assert.deepEqual(names(requireStacks(context, 'APP')), ['app/app'])
      assert.deepEqual(names(requireStacks(context, 'Platform/worker')), ['platform/worker'])
      assert.deepEqual(names(requireStacks(context, ' platform ')), ['platform/Web', 'platform/platform', 'platform/worker'])
    })

    it('finds a stack by its exact name first, else in any case', () => {
      assert.deepEqual(names(requireStacks(context, 'platform/web')), ['platform/Web'])
      assert.deepEqual(names(requireStacks(context, 'platform/WORKER')), ['platform/worker'])
      store.insertStack({repositoryId: several.id, name: 'web', path: 'web-lower', createdAt: new Date(0)})
      assert.deepEqual(requireStacks(context, 'platform/web').map((target) => target.stack.path), ['web-lower'])
      assert.deepEqual(requireStacks(context, 'platform/Web').map((target) => target.stack.path), ['web'])
    })

    it('refuses an unknown stack as not_found, naming the repository, the stack and the stacks it has', () => {
      assert.deepEqual(refusal(() => requireStacks(context, 'platform/api')), {
        code: 'not_found',
        message: 'platform has no stack named "api"',
        hint: 'its stacks: Web, platform, worker',
      })
    })

    it('refuses a stack of a repository with none, saying how to get one', () => {
      assert.deepEqual(refusal(() => requireStacks(context, 'bare/web')), {
        code: 'not_found',
        message: 'bare has no stack named "web"',
        hint: 'bare has no stack yet: run "kedge sync --repo bare"',
      })
      assert.deepEqual(requireStacks(context, 'bare'), [], 'a repository named alone gives the stacks it has: none')
    })

    it('refuses an unknown repository as not_found, naming it as given', () => {
      const unknown = refusal(() => requireStacks(context, 'nope/web'))
      assert.equal(unknown.code, 'not_found')
      assert.equal(unknown.message, 'no repository named "nope"')
    })

    it("refuses a repository row kedge never writes as corrupt_row before reading its stacks", () => {
      store.updateRepository(single.id, {path: '../../elsewhere'})
      assert.equal(refusal(() => requireStacks(context, 'app')).code, 'corrupt_row')
    })
  })

  describe('requireOneStack', () => {
    it('gives the root stack of a repository of one stack, named alone or with its stack', () => {
      const byRepository = requireOneStack(context, 'app')
      assert.equal(byRepository.stack.name, 'app')
      assert.deepEqual(requireOneStack(context, 'app/app'), byRepository)
      assert.deepEqual(requireOneStack(context, 'APP'), byRepository)
    })

    it('gives the named stack of a repository of several', () => {
      const target = requireOneStack(context, 'platform/worker')
      assert.deepEqual({repository: target.repository.name, stack: target.stack.name, path: target.stack.path}, {repository: 'platform', stack: 'worker', path: 'worker'})
    })

    it('refuses a repository of several stacks named alone, listing the addresses to choose from', () => {
      assert.deepEqual(refusal(() => requireOneStack(context, 'platform')), {
        code: 'not_found',
        message: '"platform" has 3 stacks: name one as <repository>/<stack>',
        hint: 'its stacks: platform/Web, platform/platform, platform/worker',
      })
    })

    it('refuses a repository with no stack yet, saying to sync it', () => {
      assert.deepEqual(refusal(() => requireOneStack(context, 'bare')), {
        code: 'not_found',
        message: '"bare" has no stack yet',
        hint: 'run "kedge sync --repo bare" first',
      })
    })

    it('refuses an unknown stack as requireStacks does', () => {
      assert.equal(refusal(() => requireOneStack(context, 'app/web')).message, 'app has no stack named "web"')
    })
  })

  describe('stackLabel', () => {
    it("names a root stack by its repository alone, and another as <repository>/<stack>", () => {
      assert.equal(stackLabel(requireOneStack(context, 'app')), 'app')
      assert.equal(stackLabel(requireOneStack(context, 'platform/platform')), 'platform')
      assert.equal(stackLabel(requireOneStack(context, 'platform/worker')), 'platform/worker')
      assert.equal(stackLabel(requireOneStack(context, 'platform/web')), 'platform/Web')
    })
  })
})
