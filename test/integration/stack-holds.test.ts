import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import type {DeploymentView} from '../../src/model/repository/deployment-view.js'
import type {RepositoryStatus} from '../../src/usecases/repositories/repository-status.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {docker, kedgeContainers, removeComposeProject} from '../helpers/docker.js'
import {request} from '../helpers/http.js'
import {ServeProcess, type LogLine} from '../helpers/serve.js'
import {registeredStack} from '../helpers/stack.js'

const service = (name: string, level: string) => `services:\n  ${name}:\n    image: kedge-test/busybox:1\n    environment:\n      LEVEL: "${level}"\n`
const bothAt = (level: string) => ({'apps/web/compose.yaml': service('web', level), 'apps/api/compose.yaml': service('api', level)})

describe('stacks kept down or left alone', () => {
  it('keeps a stack down, or leaves it alone, across restarts of serve, while the other stack of the repository deploys', async () => {
    const stack = await registeredStack(bothAt('1'))
    after(() => ['web', 'api'].forEach((name) => removeComposeProject(`${stack.name}-${name}`)))
    const web = () => kedgeContainers(`${stack.name}-web`)
    const api = () => kedgeContainers(`${stack.name}-api`)
    const kedge = (...args: string[]) => runKedge(args, {home: stack.home})
    const status = async () => (await runKedgeJson<RepositoryStatus[]>(['status', '--repo', `${stack.name}/web`], {home: stack.home})).json[0]!
    const history = async () => (await runKedgeJson<DeploymentView[]>(['history', '--repo', `${stack.name}/web`], {home: stack.home})).json
    const serveUp = () => {
      const serve = new ServeProcess(stack.home, ['--interval', '2s'])
      after(() => serve.stop())
      return serve
    }
    const is = (event: string, name: string, extra: (line: LogLine) => boolean = () => true) => (line: LogLine) =>
      line.event === event && line.repo === stack.name && line.stack === name && extra(line)

    let serve = serveUp()
    for (const name of ['web', 'api']) await serve.waitForLog(is('deploy.succeeded', name), 120_000)

    // Down: the container goes, and stays gone through a restart of serve and a new commit.
    const down = await kedge('down', `${stack.name}/web`)
    assert.equal(down.code, 0, down.stderr)
    assert.match(down.stdout, new RegExp(`^Took down ${stack.name}/web\\n  removed  ${stack.name}-web-web-1\\n  "kedge up ${stack.name}/web" deploys it again\\n$`))
    assert.deepEqual(web(), [])
    assert.equal(api()[0]?.state, 'running')
    assert.equal(await serve.stop(), 0)

    const second = stack.remote.commit(bothAt('2'))
    serve = serveUp()
    await serve.waitForLog(is('deploy.succeeded', 'api', (line) => line.commit === second.slice(0, 12)), 120_000)
    await serve.waitForLog(is('poll.held', 'web', (line) => line.hold === 'down'), 60_000)
    assert.deepEqual(web(), [], 'web stays down')
    assert.equal(api()[0]?.commit, second)
    const held = await status()
    assert.equal(held.hold?.kind, 'down')
    assert.equal(held.inSync, false)
    // diff of the repository: the stack kept down is shown as such, not compared (nothing reads as missing).
    const diff = await runKedgeJson<{stacks: Array<{stack: string; inSync: boolean; drift: unknown[]; hold: {kind: string} | null}>}>(['diff', '--repo', stack.name], {home: stack.home})
    assert.equal(diff.code, 0, diff.stderr)
    assert.deepEqual(diff.json.stacks.map((entry) => [entry.stack, entry.inSync, entry.drift.length, entry.hold?.kind ?? null]), [
      ['api', true, 0, null],
      ['web', false, 0, 'down'],
    ])
    assert.match((await kedge('diff', '--repo', stack.name)).stdout, new RegExp(`^${stack.name}/web is kept down \\(kedge down, since [^)]+\\); "kedge up" deploys it again$`, 'm'))
    assert.match((await kedge('status', '--repo', `${stack.name}/web`)).stdout, new RegExp(`held +down since [^,]+, "kedge up ${stack.name}/web" deploys it again`))
    const refused = await kedge('sync', '--repo', `${stack.name}/web`)
    assert.equal(refused.code, 2)
    assert.equal(refused.stderr, `Error: ${stack.name}/web is down: kedge does not sync it; nothing was changed\nHint: "kedge up ${stack.name}/web" deploys it again\n`)

    // Up: the head runs again.
    const up = await kedge('up', `${stack.name}/web`)
    assert.equal(up.code, 0, up.stderr)
    assert.equal(web()[0]?.state, 'running')
    assert.equal(web()[0]?.commit, second)
    assert.equal((await status()).hold, null)

    // Suspend: a stopped container is not healed and a new commit is not deployed, across a restart.
    const suspend = await kedge('suspend', '--repo', `${stack.name}/web`)
    assert.equal(suspend.code, 0, suspend.stderr)
    let from = serve.lines.length
    docker('stop', '--time', '0', web()[0]!.id)
    await serve.waitForLog(is('drift.not_checked', 'web', (line) => line.hold === 'suspended'), 60_000, from)
    const third = stack.remote.commit(bothAt('3'))
    await serve.waitForLog(is('deploy.succeeded', 'api', (line) => line.commit === third.slice(0, 12)), 120_000, from)
    await serve.waitForLog(is('poll.held', 'web'), 60_000, serve.lines.length)
    assert.equal(await serve.stop(), 0)

    serve = serveUp()
    await serve.waitForLog(is('poll.held', 'web', (line) => line.hold === 'suspended'), 60_000)
    await serve.waitForLog(is('drift.not_checked', 'web'), 60_000)
    assert.deepEqual(web().map((container) => [container.state, container.commit]), [['exited', second]], 'left as it was: stopped, at the commit before')
    assert.equal(serve.events('deploy.succeeded').filter((line) => line.stack === 'web').length, 0)

    // Resume deploys nothing itself; the next round deploys the head.
    from = serve.lines.length
    const resume = await kedge('resume', `${stack.name}/web`)
    assert.equal(resume.code, 0, resume.stderr)
    await serve.waitForLog(is('deploy.succeeded', 'web', (line) => line.commit === third.slice(0, 12)), 120_000, from)
    assert.deepEqual(web().map((container) => [container.state, container.commit]), [['running', third]])
    assert.equal(await serve.stop(), 0)

    const rows = await history()
    assert.deepEqual(rows.slice(0, 5).map((row) => [row.trigger, row.status]), [
      ['git', 'success'],
      ['resume', 'success'],
      ['suspend', 'success'],
      ['up', 'success'],
      ['down', 'success'],
    ])
    assert.match(rows[4]!.note!, /^taken down by .+: removed .+; kept down until "kedge up /)
  })

  it('holds a stack through the API, under the stack\'s routes and the repository\'s', async () => {
    const stack = await registeredStack(bothAt('1'))
    after(() => ['web', 'api'].forEach((name) => removeComposeProject(`${stack.name}-${name}`)))
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    const serve = new ServeProcess(stack.home, ['--interval', '1h'])
    after(() => serve.stop())
    const base = String((await serve.waitForLog((line) => line.event === 'http.listening', 30_000)).address)
    const token = readFileSync(path.join(stack.home, 'admin.token'), 'utf8').trim()
    const post = (route: string) => request(base, 'POST', `/api/v1/repos/${stack.name}${route}`, {token})

    const suspended = await post('/stacks/web/suspend')
    assert.equal(suspended.status, 200, suspended.text)
    assert.equal(suspended.json.stacks[0].hold.kind, 'suspended')
    assert.match(suspended.json.stacks[0].deployment.note, /^suspended by the API \(admin token\): /)
    const refused = await post('/stacks/web/sync')
    assert.deepEqual([refused.status, refused.json.error.code], [409, 'stack_held'])
    const resumed = await post('/stacks/web/resume')
    assert.deepEqual([resumed.status, resumed.json.stacks[0].hold], [200, null])

    const down = await post('/stacks/web/down')
    assert.equal(down.status, 200, down.text)
    assert.deepEqual(down.json.stacks[0].takenDown.containers, [`${stack.name}-web-web-1`])
    assert.deepEqual(kedgeContainers(`${stack.name}-web`), [])
    const status = await request(base, 'GET', `/api/v1/repos/${stack.name}/stacks/web/status`, {token})
    assert.equal(status.json.hold.kind, 'down')

    const up = await post('/up')
    assert.equal(up.status, 200, up.text)
    assert.deepEqual(up.json.stacks.map((entry: {stack: string; deployment: DeploymentView}) => [entry.stack, entry.deployment.trigger, entry.deployment.status]), [
      ['api', 'up', 'success'],
      ['web', 'up', 'success'],
    ])
    assert.equal(kedgeContainers(`${stack.name}-web`)[0]?.state, 'running')
    assert.equal(await serve.stop(), 0)
  })

  it('refuses down of an unknown repository or stack, changing nothing', async () => {
    const stack = await registeredStack(bothAt('1'))
    for (const address of ['no-such-repository', `${stack.name}/nope`]) {
      const refused = await runKedge(['down', address], {home: stack.home})
      assert.equal(refused.code, 2, refused.stderr)
      assert.equal(refused.stderr.split('\n').filter(Boolean).length <= 2, true, refused.stderr)
    }
    const statuses = (await runKedgeJson<RepositoryStatus[]>(['status', '--repo', stack.name], {home: stack.home})).json
    assert.deepEqual(statuses.map((entry) => entry.hold), [null, null])
  })
})
