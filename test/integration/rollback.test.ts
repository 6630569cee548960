import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {DeploymentView} from '../../src/model/repository/deployment-view.js'
import type {RepositoryStatus} from '../../src/usecases/repositories/repository-status.js'
import {closeDatabase, openDatabase} from '../../src/store/database.js'
import {finishDeployment, startDeployment} from '../../src/store/deployments.js'
import {insertRepository} from '../../src/store/repositories.js'
import {insertStack} from '../../src/store/stacks.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {docker, kedgeContainers} from '../helpers/docker.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack, type TestStack} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'

const stackFiles = (image: string, page: string) => ({
  'docker-compose.yaml': `services:\n  web:\n    image: ${image}\n    volumes:\n      - ./conf:/conf:ro\n`,
  'conf/page.txt': page,
})
const web = (stack: TestStack) => kedgeContainers(stack.name).find((container) => container.service === 'web')!
const served = (stack: TestStack) => [docker('exec', web(stack).id, 'cat', '/conf/page.txt').trim(), docker('exec', web(stack).id, 'cat', '/etc/image-version').trim()]
const history = async (stack: TestStack) => (await runKedgeJson<DeploymentView[]>(['history', '--repo', stack.name], {home: stack.home})).json
const status = async (stack: TestStack) => (await runKedgeJson<RepositoryStatus[]>(['status', '--repo', stack.name], {home: stack.home})).json[0]!

async function synced(stack: TestStack): Promise<string> {
  const result = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
  assert.equal(result.code, 0, result.stderr)
  return stack.remote.head()
}

describe('kedge rollback', () => {
  it('restores the image and a bind-mounted config file by short sha, records it, and pins', async () => {
    const stack = await registeredStack(stackFiles('kedge-test/busybox:1', 'first'))
    const first = await synced(stack)
    stack.remote.commit(stackFiles('kedge-test/busybox:2', 'second'))
    const second = await synced(stack)
    assert.deepEqual(served(stack), ['second', '2'])

    const result = await runKedgeJson<{repo: string; deployment: DeploymentView}>(['rollback', '--repo', stack.name, first.slice(0, 7)], {home: stack.home})
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.equal(result.json.deployment.commit, first)
    assert.equal(result.json.deployment.status, 'rolled_back')
    assert.equal(result.json.deployment.trigger, 'rollback')
    assert.equal(result.json.deployment.replacedCommit, second)
    assert.match(String(result.json.deployment.note), /^rolled back by hand from [0-9a-f]{7} \(restored from the release directory\)$/)
    assert.deepEqual(served(stack), ['first', '1'])

    assert.deepEqual((await history(stack)).map((row) => [row.commit, row.trigger, row.status]), [
      [first, 'rollback', 'rolled_back'],
      [second, 'manual', 'success'],
      [first, 'manual', 'success'],
    ])
    const pinned = await status(stack)
    assert.equal(pinned.pinned!.commit, first)
    assert.equal(pinned.deployed!.commit, first)
    assert.equal(pinned.inSync, true)
    assert.match((await runKedge(['status', '--repo', stack.name], {home: stack.home})).stdout, /pinned\s+[0-9a-f]{7} by a rollback: rolled back by hand from/)
    const diff = await runKedgeJson<{pinned: {commit: string}; head: {commit: string}}>(['diff', '--repo', stack.name], {home: stack.home})
    assert.equal(diff.json.pinned.commit, first)
    assert.equal(diff.json.head.commit, second)

    const synced2 = await runKedgeJson<{deployment: DeploymentView}>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(synced2.json.deployment.commit, second, 'kedge sync unpins and deploys the head')
    assert.equal((await status(stack)).pinned, null)
  })

  it('refuses an unknown, malformed or ambiguous commit, listing candidates, and changes nothing', async () => {
    const home = tempDir()
    const db = openDatabase(path.join(home, 'kedge.db'))
    try {
      const repository = insertRepository(db, {name: 'fake', url: '/srv/none.git', branch: 'main', path: '.', createdAt: new Date()})
      const stack = insertStack(db, {repositoryId: repository.id, name: 'fake', path: '.', createdAt: new Date()})
      for (const commit of ['abcd1111'.padEnd(40, '1'), 'abcd2222'.padEnd(40, '2')]) {
        finishDeployment(db, startDeployment(db, {repositoryId: repository.id, stackId: stack.id, commit, trigger: 'git'}).id, {status: 'success', snapshot: null})
      }
    } finally {
      closeDatabase(db)
    }
    const cases: Array<[string, number, RegExp]> = [
      ['abcd', 2, /^Error: commit "abcd" is ambiguous: abcd22222222 \(.*\), abcd11111111 \(.*\)\nHint: give more digits of the commit\n$/],
      ['ffff', 2, /^Error: no successful deployment of fake has a commit starting with "ffff"\nHint: successful deployments: abcd22222222 \(.*\), abcd11111111 \(.*\)\n$/],
      ['xyz!', 2, /^Error: invalid commit "xyz!": expected at least 4 hexadecimal digits of a commit\n$/],
      ['abc', 2, /^Error: invalid commit "abc"/],
    ]
    for (const [commit, exit, message] of cases) {
      const result = await runKedge(['rollback', '--repo', 'fake', commit], {home})
      assert.equal(result.code, exit, commit)
      assert.match(result.stderr, message)
    }
    assert.equal((await runKedgeJson<DeploymentView[]>(['history', '--repo', 'fake'], {home})).json.length, 2)
    assert.equal((await runKedge(['rollback', '--repo', 'nope', 'abcd'], {home})).code, 2)
  })

  it('holds the rollback across poll cycles and a serve restart; a new commit unpins', async () => {
    const stack = await registeredStack({...stackFiles('kedge-test/busybox:1', 'first'), 'kedge.yaml': 'reconciliation:\n  interval: 1s\n'})
    const first = await synced(stack)
    stack.remote.commit(stackFiles('kedge-test/busybox:2', 'second'))
    await synced(stack)
    assert.equal((await runKedge(['rollback', '--repo', stack.name, first], {home: stack.home})).code, 0)

    const serve = new ServeProcess(stack.home)
    for (let seen = 0; seen < 3; seen++) {
      await serve.waitForLog((line) => line.event === 'poll.pinned' && line.repo === stack.name, 20_000, serve.lines.findLastIndex((line) => line.event === 'poll.pinned') + 1)
    }
    assert.equal(await serve.stop(), 0)
    const again = new ServeProcess(stack.home)
    await again.waitForLog((line) => line.event === 'poll.pinned' && line.repo === stack.name)
    await again.waitForLog((line) => line.event === 'poll.pinned' && line.repo === stack.name, 20_000, again.lines.findIndex((line) => line.event === 'poll.pinned') + 1)
    assert.deepEqual(again.events('deploy.succeeded'), [])
    assert.deepEqual(served(stack), ['first', '1'])

    const third = stack.remote.commit(stackFiles('kedge-test/busybox:3', 'third'))
    await again.waitForLog((line) => line.event === 'rollback.unpinned' && line.repo === stack.name)
    await again.waitForLog((line) => line.event === 'deploy.succeeded' && third.startsWith(String(line.commit)))
    assert.deepEqual(served(stack), ['third', '3'])
    assert.equal((await status(stack)).pinned, null)
    assert.equal(await again.stop(), 0)
  })

  const failures: Array<[string, Record<string, string>, RegExp]> = [
    ['a container that exits at once', {'docker-compose.yaml': 'services:\n  web:\n    image: kedge-test/busybox:3\n    command: ["sh", "-c", "exit 4"]\n    volumes:\n      - ./conf:/conf:ro\n'}, /service web exited with code 4/],
    [
      'a failing healthcheck',
      {'docker-compose.yaml': 'services:\n  web:\n    image: kedge-test/busybox:3\n    healthcheck:\n      test: ["CMD", "false"]\n      interval: 1s\n      retries: 1\n    volumes:\n      - ./conf:/conf:ro\n'},
      /service web is unhealthy/,
    ],
  ]
  for (const [what, files, reason] of failures) {
    it(`rolls back on its own when a commit comes up with ${what}`, async () => {
      const stack = await registeredStack(stackFiles('kedge-test/busybox:1', 'good'))
      const good = await synced(stack)
      const bad = stack.remote.commit({...files, 'conf/page.txt': 'bad'})
      const serve = new ServeProcess(stack.home, ['--interval', '1s'])
      const failed = await serve.waitForLog((line) => line.event === 'deploy.failed' && line.repo === stack.name)
      assert.match(String(failed.error), reason)
      assert.equal(failed.action, `rolled back automatically to ${good.slice(0, 7)}`)
      await serve.waitForLog((line) => line.event === 'poll.pinned' && line.repo === stack.name)
      assert.deepEqual(served(stack), ['good', '1'])
      assert.equal(web(stack).state, 'running')
      const rows = await history(stack)
      assert.deepEqual(rows.map((row) => [row.commit, row.trigger, row.status]), [
        [good, 'auto_rollback', 'rolled_back'],
        [bad, 'startup', 'failed'],
        [good, 'manual', 'success'],
      ])
      assert.match(String(rows[0]!.note), new RegExp(`^automatic: ${bad.slice(0, 7)} failed: the deployment did not come up: `))
      const pinned = await status(stack)
      assert.equal(pinned.pinned!.commit, good)
      assert.match(pinned.pinned!.reason!, /^automatic: /)
      assert.equal(await serve.stop(), 0)
    })
  }

  it('neither rolls back nor heals back when rollback_on_failure is off', async () => {
    const stack = await registeredStack(stackFiles('kedge-test/busybox:1', 'good'))
    const good = await synced(stack)
    const bad = stack.remote.commit({
      'docker-compose.yaml': 'services:\n  web:\n    image: kedge-test/busybox:3\n    command: ["sh", "-c", "exit 4"]\n',
      'kedge.yaml': 'reconciliation:\n  rollback_on_failure: false\n  interval: 1s\n',
    })
    const serve = new ServeProcess(stack.home)
    const failed = await serve.waitForLog((line) => line.event === 'deploy.failed' && line.repo === stack.name)
    assert.equal(failed.action, 'left as it failed: rollback_on_failure is off')
    await serve.waitForLog((line) => line.event === 'drift.held' && line.repo === stack.name)
    await serve.waitForLog((line) => line.event === 'poll.skipped' && line.repo === stack.name)
    assert.deepEqual((await history(stack)).map((row) => [row.commit, row.trigger, row.status]), [
      [bad, 'startup', 'failed'],
      [good, 'manual', 'success'],
    ])
    assert.equal((await status(stack)).pinned, null)
    assert.equal(await serve.stop(), 0)
  })

  it('leaves a failed first deploy failed and visible', async () => {
    const stack = await registeredStack({'docker-compose.yaml': 'services:\n  web:\n    image: kedge-test/busybox:1\n    command: ["sh", "-c", "exit 2"]\n'})
    const result = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(result.code, 1)
    assert.match(result.stderr, /the deployment did not come up: service web exited with code 2/)
    assert.deepEqual((await history(stack)).map((row) => [row.trigger, row.status]), [['manual', 'failed']])
    assert.equal((await status(stack)).pinned, null)
  })

  it('rolls back to a commit the remote no longer has, from the release kept, or else from the database', async () => {
    const stack = await registeredStack(stackFiles('kedge-test/busybox:1', 'first'))
    const first = await synced(stack)
    stack.remote.commit(stackFiles('kedge-test/busybox:2', 'second'))
    const second = await synced(stack)
    const rewritten = stack.remote.rewriteHistory(stackFiles('kedge-test/busybox:3', 'rewritten'), 'force-pushed')
    assert.equal(await synced(stack), rewritten)
    rmSync(path.join(stack.home, 'repos', stack.name), {recursive: true, force: true})

    const fromRelease = await runKedgeJson<{deployment: DeploymentView}>(['rollback', '--repo', stack.name, second.slice(0, 8)], {home: stack.home})
    assert.equal(fromRelease.code, 0, fromRelease.stdout)
    assert.match(String(fromRelease.json.deployment.note), /\(restored from the release directory\)$/)
    assert.deepEqual(served(stack), ['second', '2'])

    rmSync(path.join(stack.home, 'releases', stack.name, first), {recursive: true, force: true})
    const fromDatabase = await runKedgeJson<{deployment: DeploymentView}>(['rollback', '--repo', stack.name, first.slice(0, 8)], {home: stack.home})
    assert.equal(fromDatabase.code, 0, fromDatabase.stdout)
    assert.match(String(fromDatabase.json.deployment.note), /\(restored from the (database snapshot|git clone)\)$/)
    assert.equal(web(stack).image, 'kedge-test/busybox:1')
    assert.equal(docker('exec', web(stack).id, 'cat', '/etc/image-version').trim(), '1')
  })
})
