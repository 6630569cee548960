import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, it} from 'node:test'

import {checkoutFiles} from '../../src/adapters/files/checkout-files.js'
import {parseComposeConfig} from '../../src/model/compose/compose-model.js'
import {isKedgeError} from '../../src/model/errors.js'
import type {StackTarget} from '../../src/model/rows.js'
import {parseSnapshot} from '../../src/model/stack/stored-snapshot.js'
import {BuildFailedError} from '../../src/ports/compose.js'
import type {Git} from '../../src/ports/git.js'
import {readBuildTags} from '../../src/usecases/deploying/build-tags.js'
import {reconcileRepository} from '../../src/usecases/deploying/reconcile.js'
import {healDrift} from '../../src/usecases/drift/heal.js'
import {rollbackRepository} from '../../src/usecases/rollback/rollback.js'
import {APP_URL as URL, fakeWorld, registerApp, type FakeWorld} from '../helpers/fake-ports.js'


/** A stack of a service kedge builds from ./app, and one it pulls. */
function builtStack(content: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'compose.yaml': 'services:\n  web:\n    build: ./app\n  db:\n    image: db:1\n',
    'app/Dockerfile': 'FROM kedge-test/busybox:1\nCOPY content.txt /content.txt\n',
    'app/content.txt': content,
    'README.md': '# app\n',
    ...extra,
  }
}

describe('deploying a service kedge builds', () => {
  let world: FakeWorld
  let target: StackTarget

  beforeEach(() => {
    world = fakeWorld()
    target = registerApp(world).target
  })
  afterEach(() => world.cleanup())

  const round = () => reconcileRepository(world.context, target, {trigger: 'git'})
  const history = () => world.store.history(target.stack.id)
  const webTag = () => parseSnapshot(world.store.lastGoodDeployment(target.stack.id)!.snapshot)!.services.find((service) => service.name === 'web')!.build!.tag
  const webContainer = () => world.engine.containers.find((container) => container.service === 'web')!

  async function deploy(files: Record<string, string>): Promise<string> {
    const commit = world.git.push(URL, 'main', files)
    await round()
    return commit
  }

  it('builds it from the clone under a tag of its content, with kedge\'s labels, pulls only the other, and runs the tag', async () => {
    const commit = await deploy(builtStack('v1\n'))

    assert.equal(history().at(-1)!.status, 'success', history().at(-1)!.error ?? '')
    assert.deepEqual(world.compose.actions(), ['config', 'build web', 'pull db', 'up db,web'])
    const build = world.compose.calls.find((call) => call.action === 'build')!
    assert.equal(build.directory, world.home.repoDir('app'), 'read from the clone, where the commit is checked out')
    const tag = webTag()
    assert.match(tag, /^kedge-build\/app-web:[0-9a-f]{16}$/)
    assert.equal(webContainer().image, tag)
    assert.deepEqual(world.engine.imageLabels.get(world.engine.images.get(tag)!), {'io.kedge.built-by': 'app', 'io.kedge.project': 'app', 'io.kedge.service': 'web'})
    assert.equal(webContainer().labels['io.kedge.commit'], commit)
  })

  it('builds nothing and recreates nothing for a commit that leaves the context alone', async () => {
    await deploy(builtStack('v1\n'))
    const before = {tag: webTag(), container: webContainer().id}
    world.forgetCalls()

    await deploy(builtStack('v1\n', {'README.md': '# app, documented\n'}))

    assert.equal(history().at(-1)!.status, 'success')
    assert.deepEqual(world.compose.actions(), ['config'])
    assert.deepEqual({tag: webTag(), container: webContainer().id}, before)
  })

  it('builds again and recreates only the built service when a file of its context changes', async () => {
    await deploy(builtStack('v1\n'))
    const before = {tag: webTag(), db: world.engine.containers.find((container) => container.service === 'db')!.id}
    world.forgetCalls()

    await deploy(builtStack('v2\n'))

    assert.deepEqual(world.compose.actions(), ['config', 'build web', 'up web'])
    assert.notEqual(webTag(), before.tag)
    assert.equal(webContainer().image, webTag())
    assert.equal(world.engine.containers.find((container) => container.service === 'db')!.id, before.db)
  })

  it('records a build that fails as a failed deployment with its output, before anything on the host changes', async () => {
    await deploy(builtStack('v1\n'))
    const running = webContainer().id
    world.forgetCalls()
    world.compose.buildFailure = new BuildFailedError(['web'], 'compose could not build web: failed to solve: exit code: 3', '#5 RUN exit 3\nfailed to solve: exit code: 3\n')

    const failing = await deploy(builtStack('v2\n'))

    const row = history().at(-1)!
    assert.deepEqual([row.commit, row.status, row.error, row.note], [failing, 'failed', 'compose could not build web: failed to solve: exit code: 3', null])
    assert.equal(row.buildOutput, '#5 RUN exit 3\nfailed to solve: exit code: 3')
    assert.equal(history().length, 2, 'no rollback: the host was not touched')
    assert.deepEqual(world.compose.actions(), ['config', 'build web'])
    assert.deepEqual(world.engine.mutations, [])
    assert.equal(webContainer().id, running)
    assert.equal(world.store.stack(target.stack.id).lastError, row.error)
    assert.equal(history()[0]!.buildOutput, null, 'a deployment that built nothing keeps no output')
  })

  it('refuses a build context outside the repository in one line naming the service, and runs nothing', async () => {
    await deploy(builtStack('v1\n'))
    world.forgetCalls()

    await deploy(builtStack('v1\n', {'compose.yaml': 'services:\n  web:\n    build: ../..\n  db:\n    image: db:1\n'}))

    const row = history().at(-1)!
    assert.equal(row.status, 'failed')
    assert.equal(row.error, 'compose.yaml: services.web.build.context: "../.." leads outside the repository')
    assert.deepEqual(world.compose.actions(), ['config'])
    assert.deepEqual(world.engine.mutations, [])
  })

  it('refuses a context that is a link out of the repository', async () => {
    await deploy(builtStack('v1\n'))
    world.forgetCalls()
    // The fake clone writes files; a link is made by hand where the context would be.
    const files = builtStack('v1\n', {'compose.yaml': 'services:\n  web:\n    build: ./linked\n'})
    const commit = world.git.push(URL, 'main', files)
    const fetchBranch = world.git.fetchBranch.bind(world.git)
    world.git.fetchBranch = async (directory, ...rest) => {
      const head = await fetchBranch(directory, ...rest)
      symlinkSync('/etc', path.join(directory, 'linked'))
      return head
    }

    await round()

    const row = history().at(-1)!
    assert.equal(row.commit, commit)
    assert.match(row.error ?? '', /^compose\.yaml: services\.web\.build\.context: "linked" leads outside the repository$/)
    assert.deepEqual(world.compose.actions(), ['config'])
  })

  it('keeps the images of keep_releases deployed commits, and removes the older ones it built', async () => {
    const keepOne = {'kedge.yaml': 'reconciliation:\n  keep_releases: 1\n'}
    await deploy(builtStack('v1\n', keepOne))
    const first = webTag()
    await deploy(builtStack('v2\n', keepOne))
    const second = webTag()

    assert.deepEqual(world.engine.imageRemovals, [{reference: first, removed: true}])
    assert.ok(!world.engine.images.has(first))
    assert.ok(world.engine.images.has(second))
    assert.ok(world.engine.images.has('db:1'), 'an image kedge did not build is never its to remove')
  })

  it('leaves an old image that a container still uses, without error', async () => {
    const keepOne = {'kedge.yaml': 'reconciliation:\n  keep_releases: 1\n'}
    await deploy(builtStack('v1\n', keepOne))
    const first = webTag()
    world.engine.create('app', 'debug', first, {}, {})
    await deploy(builtStack('v2\n', keepOne))

    assert.equal(history().at(-1)!.status, 'success')
    assert.deepEqual(world.engine.imageRemovals, [])
    assert.ok(world.engine.images.has(first))
    assert.equal(world.store.stack(target.stack.id).lastError, null)
  })

  it('builds a pruned image again from the commit\'s tree when rolling back to it', async () => {
    const keepOne = {'kedge.yaml': 'reconciliation:\n  keep_releases: 1\n'}
    const first = await deploy(builtStack('v1\n', keepOne))
    const firstTag = webTag()
    await deploy(builtStack('v2\n', keepOne))
    assert.ok(!world.engine.images.has(firstTag))
    world.forgetCalls()

    const outcome = await rollbackRepository(world.context, 'app', first.slice(0, 8))

    assert.equal(outcome.error, null)
    assert.deepEqual(world.compose.actions(), ['build web', 'up web'])
    const build = world.compose.calls.find((call) => call.action === 'build')!
    assert.ok(build.directory!.startsWith(path.join(world.home.generatedDir('app'), '.build-')), build.directory)
    assert.equal(webContainer().image, firstTag)
  })

  it('rolls back to a tag the engine still has without building', async () => {
    const first = await deploy(builtStack('v1\n'))
    const firstTag = webTag()
    await deploy(builtStack('v2\n'))
    world.forgetCalls()

    await rollbackRepository(world.context, 'app', first.slice(0, 8))

    assert.deepEqual(world.compose.actions(), ['up web'])
    assert.equal(webContainer().image, firstTag)
  })

  it('heals a missing container whose image is gone by building it again, never pulling it', async () => {
    await deploy(builtStack('v1\n'))
    const tag = webTag()
    world.engine.containers = world.engine.containers.filter((container) => container.service !== 'web')
    world.engine.images.delete(tag)
    world.forgetCalls()

    const result = await healDrift(world.context, world.store.target(target.stack.id))

    assert.equal(result.kind, 'healed')
    assert.deepEqual(world.compose.actions(), ['build web', 'up web'])
    assert.equal(webContainer().image, tag)
  })

  it('fails a rollback whose build fails, with the build\'s output on its row', async () => {
    const first = await deploy(builtStack('v1\n', {'kedge.yaml': 'reconciliation:\n  keep_releases: 1\n'}))
    await deploy(builtStack('v2\n', {'kedge.yaml': 'reconciliation:\n  keep_releases: 1\n'}))
    world.compose.buildFailure = new BuildFailedError(['web'], 'compose could not build web: no space left on device', 'no space left on device\n')

    await assert.rejects(rollbackRepository(world.context, 'app', first.slice(0, 8)), (error: unknown) => isKedgeError(error) && error.code === 'build_failed')
    const row = history().at(-1)!
    assert.deepEqual([row.trigger, row.status, row.buildOutput], ['rollback', 'failed', 'no space left on device'])
  })
})

describe('reading the tags of a commit\'s builds', () => {
  let root: string
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'kedge-build-tags-'))
    for (const [file, content] of Object.entries({'app/Dockerfile': 'FROM scratch\n', 'app/shared/lib.txt': 'x\n', 'real/Dockerfile': 'FROM scratch\n'})) {
      mkdirSync(path.dirname(path.join(root, file)), {recursive: true})
      writeFileSync(path.join(root, file), content)
    }
    symlinkSync('real', path.join(root, 'linked'))
  })
  afterEach(() => rmSync(root, {recursive: true, force: true}))

  /** git as the real one answers ls-tree: a directory named with one inside it is listed by the inner one only. */
  function listingGit(asked: string[][]): Pick<Git, 'objectIds'> {
    return {
      objectIds: async (_repository, _commit, paths) => {
        asked.push([...paths])
        const ids = new Map<string, string>()
        for (const wanted of paths) {
          if (wanted === '.') for (const entry of ['app', 'linked', 'real']) ids.set(entry, `id-of-${entry}`)
          else if (!paths.some((other) => other !== wanted && other.startsWith(`${wanted}/`))) ids.set(wanted, `id-of-${wanted}`)
        }
        return ids
      },
    }
  }
  const services = (compose: string) => parseComposeConfig(compose, root)

  it('asks git apart for directories that contain one another, and for the root by its entries', async () => {
    const asked: string[][] = []
    const tags = await readBuildTags(
      {files: checkoutFiles, git: listingGit(asked) as Git},
      root,
      'c'.repeat(40),
      'app',
      services(`services:\n  web:\n    build:\n      context: ${root}/app\n      additional_contexts:\n        shared: ${root}/app/shared\n  whole:\n    build:\n      context: ${root}\n      dockerfile: app/Dockerfile\n  plain:\n    image: db:1\n`),
      'compose.yaml',
    )
    assert.deepEqual(asked, [['app'], ['app/shared'], ['.']])
    assert.deepEqual([...tags.keys()], ['web', 'whole'])
    assert.match(tags.get('whole')!, /^kedge-build\/app-whole:[0-9a-f]{16}$/)
  })

  it('takes the tree of the directory a link inside the repository leads to', async () => {
    const asked: string[][] = []
    const git = listingGit(asked) as Git
    const linked = await readBuildTags({files: checkoutFiles, git}, root, 'c'.repeat(40), 'app', services(`services:\n  web:\n    build: ${root}/linked\n`), 'compose.yaml')
    const real = await readBuildTags({files: checkoutFiles, git}, root, 'c'.repeat(40), 'app', services(`services:\n  web:\n    build: ${root}/real\n`), 'compose.yaml')
    assert.deepEqual(asked, [['real'], ['real']])
    assert.equal(linked.get('web'), real.get('web'))
  })

  it('refuses a Dockerfile the commit does not have, naming the service', async () => {
    await assert.rejects(
      readBuildTags({files: checkoutFiles, git: listingGit([]) as Git}, root, 'c'.repeat(40), 'app', services(`services:\n  web:\n    build:\n      context: ${root}/app\n      dockerfile: Missing.Dockerfile\n`), 'compose.yaml'),
      (error: unknown) => isKedgeError(error) && error.code === 'invalid_config' && error.message === 'compose.yaml: services.web.build.dockerfile "app/Missing.Dockerfile": is not a file of the commit',
    )
  })
})
