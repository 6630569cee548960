import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {after, describe, it} from 'node:test'

import {localDockerEngine} from '../../src/adapters/engine/docker-engine.js'
import type {DeploymentView} from '../../src/model/repository/deployment-view.js'

import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {containerIds, docker, kedgeContainers, removeComposeProject} from '../helpers/docker.js'
import {registeredStack, uniqueName} from '../helpers/stack.js'

interface SyncJson {
  deployment: {commit: string; status: string}
  changes: Array<{service: string; action: string; from: string | null; to: string | null}>
}

/** A service kedge builds: its Dockerfile copies a file of the context. busybox's command exits on SIGTERM. */
const COMPOSE = 'services:\n  web:\n    build: ./app\n'
const DOCKERFILE = 'FROM kedge-test/busybox:1\nCOPY content.txt /content.txt\n'

function stackFiles(content: string): Record<string, string> {
  return {
    'compose.yaml': COMPOSE,
    'app/Dockerfile': DOCKERFILE,
    'app/content.txt': content,
    'README.md': '# built by kedge\n',
    'kedge.yaml': 'reconciliation:\n  keep_releases: 1\n',
  }
}

/** The images kedge built for the repository, by tag. */
function builtImages(repository: string): string[] {
  return docker('images', '--filter', `label=io.kedge.built-by=${repository}`, '--format', '{{.Repository}}:{{.Tag}}')
    .split('\n')
    .filter(Boolean)
    .sort()
}

/** Removes the images kedge built for the repository, after its containers. */
function removeBuiltImages(repository: string): void {
  removeComposeProject(repository)
  const ids = docker('images', '--quiet', '--filter', `label=io.kedge.built-by=${repository}`).split('\n').filter(Boolean)
  if (ids.length > 0) docker('rmi', '--force', ...new Set(ids))
}

describe('services kedge builds', () => {
  it('builds on the first deploy, rebuilds only for a changed context, keeps the stack when a build fails, and prunes past keep_releases', async () => {
    const stack = await registeredStack(stackFiles('v1\n'))
    after(() => removeBuiltImages(stack.name))
    const firstCommit = stack.remote.head()

    const first = await runKedgeJson<SyncJson>(['sync', '--repo', stack.name, '--verbose'], {home: stack.home})
    assert.equal(first.code, 0, first.stdout + first.stderr)
    const [web] = kedgeContainers(stack.name)
    assert.match(web!.image, new RegExp(`^kedge-build/${stack.name}-web:[0-9a-f]{16}$`))
    assert.deepEqual(first.json.changes, [{service: 'web', action: 'create', from: null, to: web!.image}])
    assert.equal(docker('exec', web!.id, 'cat', '/content.txt'), 'v1\n')
    assert.match(first.stderr, /compose: .*(naming to|Successfully tagged) .*kedge-build\//, 'the build\'s output under --verbose')
    const labels = JSON.parse(docker('image', 'inspect', '--format', '{{json .Config.Labels}}', web!.image)) as Record<string, string>
    assert.deepEqual([labels['io.kedge.built-by'], labels['io.kedge.project'], labels['io.kedge.service']], [stack.name, stack.name, 'web'])
    assert.deepEqual(builtImages(stack.name), [web!.image])

    // A file beside the compose file, outside the context: nothing built, nothing recreated.
    stack.remote.commit({'README.md': '# built by kedge, documented\n'}, 'docs')
    const readme = await runKedgeJson<SyncJson>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(readme.code, 0, readme.stderr)
    assert.deepEqual(readme.json.changes, [])
    assert.deepEqual(kedgeContainers(stack.name).map((container) => [container.id, container.image]), [[web!.id, web!.image]])
    assert.deepEqual(builtImages(stack.name), [web!.image])

    // A file of the context: built again under a new tag, recreated on it; keep_releases 1 removes the old image.
    const contentCommit = stack.remote.commit({'app/content.txt': 'v2\n'}, 'content')
    const changed = await runKedgeJson<SyncJson>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(changed.code, 0, changed.stderr)
    const [rebuilt] = kedgeContainers(stack.name)
    assert.notEqual(rebuilt!.image, web!.image)
    assert.notEqual(rebuilt!.id, web!.id)
    assert.deepEqual(changed.json.changes, [{service: 'web', action: 'recreate', from: web!.image, to: rebuilt!.image}])
    assert.equal(docker('exec', rebuilt!.id, 'cat', '/content.txt'), 'v2\n')
    assert.deepEqual(builtImages(stack.name), [rebuilt!.image], 'the image of the older release is pruned')

    // A Dockerfile that fails: the deploy fails in one line, the history keeps the build's output, the stack runs on.
    const broken = stack.remote.commit({'app/Dockerfile': 'FROM kedge-test/busybox:1\nRUN echo about to fail; exit 3\n'}, 'broken build')
    const failed = await runKedgeJson<{error: {code: string; message: string}}>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(failed.code, 1, failed.stdout)
    assert.equal(failed.json.error.code, 'build_failed')
    assert.match(failed.json.error.message, /^compose could not build web: [^\n]*(exit code: 3|non-zero code: 3)$/)
    assert.deepEqual(containerIds(stack.name), {web: [rebuilt!.id]})
    assert.equal(docker('exec', rebuilt!.id, 'cat', '/content.txt'), 'v2\n')

    const history = (await runKedgeJson<DeploymentView[]>(['history', '--repo', stack.name], {home: stack.home})).json
    assert.deepEqual(history.slice(0, 2).map((row) => [row.commit, row.status]), [[broken, 'failed'], [contentCommit, 'success']])
    assert.match(history[0]!.buildOutput ?? '', /about to fail/)
    assert.ok(history.slice(1).every((row) => row.buildOutput === null))
    const verbose = await runKedge(['history', '--repo', stack.name, '--verbose', '--limit', '1'], {home: stack.home})
    assert.match(verbose.stdout, /build output {2}its last 40 lines/)
    assert.match(verbose.stdout, /\| .*about to fail/)

    // A rollback to the first commit, whose image was pruned: built again from that commit's tree, under its tag.
    const rollback = await runKedge(['rollback', '--repo', stack.name, firstCommit.slice(0, 12)], {home: stack.home})
    assert.equal(rollback.code, 0, rollback.stderr)
    const [restored] = kedgeContainers(stack.name)
    assert.equal(restored!.image, web!.image)
    assert.equal(docker('exec', restored!.id, 'cat', '/content.txt'), 'v1\n')
  })

  it('refuses a build context outside the repository in one line, and changes nothing', async () => {
    const stack = await registeredStack(stackFiles('v1\n'))
    after(() => removeBuiltImages(stack.name))
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    const running = containerIds(stack.name)

    stack.remote.commit({'compose.yaml': 'services:\n  web:\n    build: ../..\n'}, 'escape')
    const refused = await runKedgeJson<{error: {code: string; message: string}}>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(refused.code, 2, refused.stdout)
    assert.equal(refused.json.error.code, 'invalid_config')
    assert.equal(refused.json.error.message, 'compose.yaml: services.web.build.context: "../.." leads outside the repository')
    assert.deepEqual(containerIds(stack.name), running)
  })
})

describe('the engine\'s image requests', () => {
  const reference = `kedge-build/${uniqueName()}:0000000000000001`
  const retagged = `${reference.split(':')[0]}:0000000000000002`
  after(() => {
    const left = [reference, retagged].filter((tag) => docker('images', '--quiet', tag).trim() !== '')
    if (left.length > 0) docker('rmi', '--force', ...left)
  })

  it('describe, list by label, tag and remove an image, unforced', async () => {
    const label = `io.kedge.test=${reference}`
    execFileSync('docker', ['build', '--quiet', '--label', label, '--tag', reference, '-'], {input: 'FROM kedge-test/busybox:1\n', stdio: ['pipe', 'ignore', 'pipe']})
    const details = await localDockerEngine.imageDetails([reference, 'kedge-test/does-not-exist:1'])
    assert.deepEqual([...details.keys()], [reference])
    const id = details.get(reference)!.id
    assert.match(id, /^sha256:[0-9a-f]{64}$/)

    await localDockerEngine.tagImage(id, retagged)
    const listed = await localDockerEngine.listImagesByLabel({'io.kedge.test': reference})
    assert.deepEqual(listed.map((image) => [image.id, image.tags]), [[id, [reference, retagged]]])

    const container = docker('create', retagged).trim()
    try {
      assert.equal(await localDockerEngine.removeImage(reference), true, 'another tag keeps the image: this one is only taken off')
      assert.equal(await localDockerEngine.removeImage(retagged), false, 'a container uses it')
      assert.deepEqual((await localDockerEngine.listImagesByLabel({'io.kedge.test': reference})).map((image) => image.tags), [[retagged]])
    } finally {
      docker('rm', '--force', container)
    }
    assert.equal(await localDockerEngine.removeImage(retagged), true)
    assert.equal(await localDockerEngine.removeImage(retagged), true, 'one already gone is no error')
    assert.deepEqual(await localDockerEngine.listImagesByLabel({'io.kedge.test': reference}), [])
  })
})
