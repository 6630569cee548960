import assert from 'node:assert/strict'
import {chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import Database from 'better-sqlite3'

import type {DeploymentView} from '../../src/model/repository/deployment-view.js'
import type {DryRunResult} from '../../src/usecases/deploying/dry-run.js'
import type {RepositoryStatus} from '../../src/usecases/repositories/repository-status.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {composeCommand, docker, kedgeContainers, removeComposeProject} from '../helpers/docker.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack, type TestStack} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'

const service = (name: string, extra = '') => `services:\n  ${name}:\n    image: kedge-test/busybox:1\n${extra}`
const BROKEN_IMAGE = 'services:\n  proxy:\n    image: kedge-test/absent:never\n'

/** Removes the projects kedge gives a repository's stacks (`<repository>-<stack>`) at the end. */
function cleanUpProjects(repository: string, stacks: string[]): void {
  after(() => {
    for (const stack of stacks) removeComposeProject(`${repository}-${stack}`)
  })
}

/** A Compose that records each invocation's arguments in `log` before running the real one. */
function composeSpy(): {env: NodeJS.ProcessEnv; projects: () => string[]} {
  const dir = tempDir()
  const log = path.join(dir, 'compose.log')
  const spy = path.join(dir, 'compose-spy')
  writeFileSync(log, '')
  writeFileSync(spy, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec "$@"\n`)
  chmodSync(spy, 0o755)
  return {
    env: {KEDGE_COMPOSE: [spy, ...composeCommand()].join(' ')},
    // The project each invocation named (`-p NAME` / `--project-name NAME`), for those that named one.
    projects: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .map((line) => /(?:^| )(?:-p|--project-name)[ =](\S+)/.exec(line)?.[1])
        .filter((project): project is string => project !== undefined),
  }
}

const statuses = async (stack: TestStack, address = stack.name) => (await runKedgeJson<RepositoryStatus[]>(['status', '--repo', address], {home: stack.home})).json
const history = async (stack: TestStack, address: string) => (await runKedgeJson<DeploymentView[]>(['history', '--repo', address], {home: stack.home})).json

describe('many stacks in one repository', () => {
  it('deploys the apps/*/ layout without a kedge.yaml, one project per stack, each with its own history', async () => {
    const stack = await registeredStack({'apps/web/compose.yaml': service('web'), 'apps/api/docker-compose.yml': service('api'), 'README.md': 'infra\n'})
    cleanUpProjects(stack.name, ['web', 'api'])
    const synced = await runKedgeJson<{repo: string; stacks: Array<{deployment: DeploymentView}>}>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(synced.code, 0, synced.stderr)
    assert.deepEqual(synced.json.stacks.map((entry) => [entry.deployment.stack, entry.deployment.status, entry.deployment.project]), [
      ['api', 'success', `${stack.name}-api`],
      ['web', 'success', `${stack.name}-web`],
    ])
    for (const name of ['web', 'api']) {
      const [container] = kedgeContainers(`${stack.name}-${name}`)
      assert.equal(container?.state, 'running', name)
      assert.equal(docker('inspect', '--format', '{{index .Config.Labels "io.kedge.stack"}}', container.id).trim(), name)
    }
    assert.deepEqual((await statuses(stack)).map((status) => [status.name, status.stack, status.project, status.inSync]), [
      [stack.name, 'api', `${stack.name}-api`, true],
      [stack.name, 'web', `${stack.name}-web`, true],
    ])
    assert.deepEqual((await statuses(stack, `${stack.name}/web`)).map((status) => status.stack), ['web'])
    assert.deepEqual((await history(stack, `${stack.name}/api`)).map((row) => [row.stack, row.status]), [['api', 'success']])
    assert.deepEqual((await history(stack, stack.name)).map((row) => row.stack).sort(), ['api', 'web'])
    const table = await runKedge(['status'], {home: stack.home})
    assert.match(table.stdout, new RegExp(`${stack.name}/web`))
    docker('stop', '--time', '0', kedgeContainers(`${stack.name}-web`)[0]!.id)
    const diff = await runKedgeJson<{repo: string; stacks: Array<{stack: string; inSync: boolean; drift: Array<{service: string; type: string}>}>}>(['diff', '--repo', stack.name], {home: stack.home})
    assert.deepEqual(diff.json.stacks.map((entry) => [entry.stack, entry.inSync, entry.drift.map((drift) => `${drift.service} ${drift.type}`)]), [
      ['api', true, []],
      ['web', false, ['web stopped']],
    ])
    const diffText = await runKedge(['diff', '--repo', stack.name, '--exit-code'], {home: stack.home})
    assert.equal(diffText.code, 1, diffText.stderr)
    assert.match(diffText.stdout, new RegExp(`^${stack.name}/api deployed at [0-9a-f]{7}\nIn sync\n${stack.name}/web deployed at`, 'm'))
    assert.equal((await runKedge(['diff', '--repo', `${stack.name}/api`, '--exit-code'], {home: stack.home})).code, 0)

    const unknown = await runKedge(['history', '--repo', `${stack.name}/nope`], {home: stack.home})
    assert.equal(unknown.code, 2)
    assert.equal(unknown.stderr, `Error: ${stack.name} has no stack named "nope"\nHint: its stacks: api, web\n`)
  })

  it('redeploys only the stacks a commit changes, a shared file they bind-mount included, and runs no Compose for the others', async () => {
    const spy = composeSpy()
    const files = {
      'kedge.yaml': 'stacks:\n  - apps/*\n',
      'apps/web/compose.yaml': service('web', '    volumes:\n      - ../../shared/site.conf:/site.conf:ro\n'),
      'apps/api/compose.yaml': service('api'),
      'apps/worker/compose.yaml': service('worker'),
      'shared/site.conf': 'one\n',
    }
    const stack = await registeredStack(files, {env: spy.env})
    cleanUpProjects(stack.name, ['web', 'api', 'worker'])
    const serve = new ServeProcess(stack.home, ['--interval', '2s'], spy.env)
    after(() => serve.stop())
    for (const name of ['api', 'web', 'worker']) await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.stack === name, 120_000)
    const before = Object.fromEntries(['web', 'api', 'worker'].map((name) => [name, kedgeContainers(`${stack.name}-${name}`)[0]!.id]))

    const deployedBy = async (change: Record<string, string>): Promise<string[]> => {
      const from = serve.lines.length
      const projectsBefore = spy.projects().length
      const commit = stack.remote.commit(change)
      const round = await serve.waitForLog((line) => line.event === 'poll.unchanged' && line.commit === commit.slice(0, 12) && line.stack !== undefined, 120_000, from)
      assert.ok(round)
      await serve.waitForLog(() => serve.lines.slice(from).filter((line) => line.commit === commit.slice(0, 12) && ['poll.unchanged', 'deploy.succeeded', 'deploy.failed'].includes(String(line.event))).length >= 3, 120_000, from)
      return [...new Set(spy.projects().slice(projectsBefore))].sort()
    }

    assert.deepEqual(await deployedBy({'apps/api/compose.yaml': service('api', '    environment:\n      LEVEL: "2"\n')}), [`${stack.name}-api`])
    assert.equal(kedgeContainers(`${stack.name}-web`)[0]!.id, before.web, 'web is untouched')
    assert.equal(kedgeContainers(`${stack.name}-worker`)[0]!.id, before.worker, 'worker is untouched')
    assert.notEqual(kedgeContainers(`${stack.name}-api`)[0]!.id, before.api, 'api is recreated')

    assert.deepEqual(await deployedBy({'shared/site.conf': 'two\n'}), [`${stack.name}-web`])
    assert.equal(kedgeContainers(`${stack.name}-worker`)[0]!.id, before.worker, 'worker is untouched')
    assert.deepEqual(await deployedBy({'README.md': 'nothing any stack reads\n'}), [])

    const inSync = await statuses(stack)
    assert.deepEqual(inSync.map((status) => [status.stack, status.inSync]), [['api', true], ['web', true], ['worker', true]])
    assert.deepEqual((await history(stack, `${stack.name}/worker`)).length, 1, 'worker was deployed once')
    assert.equal(await serve.stop(), 0)
  })

  it('applies a stack after the stacks it names, skips it when one of them fails, and refuses a cycle changing nothing', async () => {
    const files = {
      'kedge.yaml': 'stacks:\n  - path: apps/web\n    after: [proxy]\n  - apps/proxy\n  - path: apps/jobs\n    name: batch\n',
      'apps/proxy/compose.yaml': service('proxy'),
      'apps/web/compose.yaml': service('web'),
      'apps/jobs/compose.yaml': service('jobs'),
      'apps/jobs/kedge.yaml': 'docker:\n  project_name: nightly-jobs\nreconciliation:\n  health_timeout: 20s\n',
    }
    const stack = await registeredStack(files)
    cleanUpProjects(stack.name, ['web', 'proxy'])
    after(() => removeComposeProject('nightly-jobs'))
    const first = await runKedgeJson<{stacks: Array<{deployment: DeploymentView}>}>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(first.code, 0, first.stderr)
    assert.deepEqual(first.json.stacks.map((entry) => [entry.deployment.stack, entry.deployment.project]), [
      ['batch', 'nightly-jobs'],
      ['proxy', `${stack.name}-proxy`],
      ['web', `${stack.name}-web`],
    ])
    const web = kedgeContainers(`${stack.name}-web`)[0]!

    stack.remote.commit({'apps/proxy/compose.yaml': BROKEN_IMAGE, 'apps/web/compose.yaml': service('web', '    environment:\n      LEVEL: "2"\n')})
    const second = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(second.code, 1)
    assert.match(second.stderr, new RegExp(`^Warning: ${stack.name}/proxy: compose could not pull images`, "m"))
    assert.match(second.stderr, new RegExp(`${stack.name}/web: skipped: proxy, which it is deployed after, failed at [0-9a-f]{7}`))
    assert.equal(kedgeContainers(`${stack.name}-web`)[0]!.id, web.id, 'web keeps its commit')
    assert.equal(kedgeContainers(`${stack.name}-proxy`)[0]!.state, 'running', 'proxy keeps running')
    assert.deepEqual((await history(stack, `${stack.name}/web`)).map((row) => row.status), ['skipped', 'success'])

    stack.remote.commit({'kedge.yaml': 'stacks:\n  - path: apps/web\n    after: [proxy]\n  - path: apps/proxy\n    after: [web]\n'})
    const cycle = await runKedge(['sync', '--repo', `${stack.name}/web`], {home: stack.home})
    assert.equal(cycle.code, 2, cycle.stderr)
    assert.match(cycle.stderr, /^Error: kedge\.yaml: stacks: .*proxy -> web -> proxy/m)
    assert.equal(kedgeContainers(`${stack.name}-web`)[0]!.id, web.id, 'web keeps running as it was')
    const [refused] = await history(stack, `${stack.name}/web`)
    assert.equal(refused!.status, 'failed')
    assert.match(String(refused!.error), /proxy -> web -> proxy/)
  })

  it('rolls back one stack by <repository>/<stack>, leaving the others as they run', async () => {
    const stack = await registeredStack({'apps/web/compose.yaml': service('web'), 'apps/api/compose.yaml': service('api')})
    cleanUpProjects(stack.name, ['web', 'api'])
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    const firstCommit = (await history(stack, `${stack.name}/web`))[0]!.commit
    stack.remote.commit({'apps/web/compose.yaml': service('web', '    environment:\n      LEVEL: "2"\n'), 'apps/api/compose.yaml': service('api', '    environment:\n      LEVEL: "2"\n')})
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    const api = kedgeContainers(`${stack.name}-api`)[0]!

    const whole = await runKedge(['rollback', firstCommit.slice(0, 8), '--repo', stack.name], {home: stack.home})
    assert.equal(whole.code, 2)
    assert.match(whole.stderr, /has 2 stacks: name one as <repository>\/<stack>/)
    const rolled = await runKedgeJson<{deployment: DeploymentView}>(['rollback', firstCommit.slice(0, 8), '--repo', `${stack.name}/web`], {home: stack.home})
    assert.equal(rolled.code, 0, rolled.stderr)
    assert.equal(rolled.json.deployment.stack, 'web')
    assert.equal(rolled.json.deployment.status, 'rolled_back')
    assert.equal(kedgeContainers(`${stack.name}-api`)[0]!.id, api.id, 'api is untouched')
    const [webStatus] = await statuses(stack, `${stack.name}/web`)
    assert.equal(webStatus!.pinned?.commit, firstCommit)
    const [apiStatus] = await statuses(stack, `${stack.name}/api`)
    assert.equal(apiStatus!.pinned, null)
    assert.ok(existsSync(path.join(stack.home, 'releases', `${stack.name}+web`)))
  })
})

/** What a dry run must leave as it was: every row of kedge.db, every file of the home (with its size and time), and the containers. */
function homeState(home: string, projects: string[]): string {
  const db = new Database(path.join(home, 'kedge.db'), {readonly: true})
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[]
    const rows = Object.fromEntries(tables.map((table) => [table, db.prepare(`SELECT * FROM "${table}"`).all()]))
    const files = readdirSync(home, {recursive: true, withFileTypes: true})
      .filter((entry) => entry.isFile() && !/kedge\.db-(wal|shm)$/.test(entry.name))
      .map((entry) => {
        const file = path.join(entry.parentPath, entry.name)
        const stat = statSync(file)
        return `${path.relative(home, file)} ${stat.size} ${stat.mtimeMs}`
      })
      .sort()
    const containers = projects.map((project) => kedgeContainers(project).map((container) => `${container.id} ${container.state}`))
    return JSON.stringify({rows, files, containers})
  } finally {
    db.close()
  }
}

describe('many stacks in one repository: what a commit takes away, and what sync would do', () => {
  it('sync --dry-run says which stacks the head would redeploy, why and what each would change, and changes nothing', async () => {
    const stack = await registeredStack({'apps/web/compose.yaml': service('web'), 'apps/api/compose.yaml': service('api'), 'shared/x.conf': 'one\n'})
    cleanUpProjects(stack.name, ['web', 'api', 'jobs'])
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    stack.remote.commit({'apps/web/compose.yaml': service('web', '    environment:\n      LEVEL: "2"\n'), 'apps/jobs/compose.yaml': service('jobs'), 'README.md': 'x\n'})
    const projects = ['web', 'api', 'jobs'].map((name) => `${stack.name}-${name}`)
    const before = homeState(stack.home, projects)

    const dry = await runKedgeJson<DryRunResult>(['sync', '--repo', stack.name, '--dry-run'], {home: stack.home})
    assert.equal(dry.code, 0, dry.stderr)
    assert.deepEqual(
      dry.json.stacks.map((entry) => [entry.address, entry.action, entry.changedFiles, entry.changes.map((change) => `${change.action} ${change.service}`)]),
      [
        [`${stack.name}/api`, 'unchanged', [], []],
        [`${stack.name}/jobs`, 'deploy', null, ['create jobs']],
        [`${stack.name}/web`, 'deploy', ['apps/web'], ['recreate web']],
      ],
    )
    const text = await runKedge(['sync', '--repo', `${stack.name}/web`, '--dry-run'], {home: stack.home})
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, new RegExp(`${stack.name}/web: would deploy \\(changed: apps/web\\)\\n    recreate web`))
    assert.equal(homeState(stack.home, projects), before, 'the home, the database and the containers are as they were')
    assert.deepEqual(readdirSync(path.join(stack.home, 'staging')), [], 'the dry run left no clone behind')
  })

  it('takes down a stack whose folder is deleted (prune on), records it, and leaves it alone; repo remove --down takes every stack down', async () => {
    const stack = await registeredStack({'apps/web/compose.yaml': service('web'), 'apps/api/compose.yaml': service('api')})
    cleanUpProjects(stack.name, ['web', 'api'])
    const serve = new ServeProcess(stack.home, ['--interval', '2s'])
    after(() => serve.stop())
    for (const name of ['api', 'web']) await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.stack === name, 120_000)
    const api = kedgeContainers(`${stack.name}-api`)[0]!
    const commit = stack.remote.commit({'apps/web/compose.yaml': null})
    await serve.waitForLog((line) => line.event === 'stack.gone' && line.stack === 'web' && line.commit === commit.slice(0, 12), 120_000)
    assert.deepEqual(kedgeContainers(`${stack.name}-web`), [], 'its containers are gone')
    assert.equal(kedgeContainers(`${stack.name}-api`)[0]!.id, api.id, 'api is untouched')
    assert.deepEqual((await history(stack, `${stack.name}/web`)).map((row) => [row.status, row.note]), [
      ['removed', `no longer in the repository at ${commit.slice(0, 7)}: taken down (prune is on)`],
      ['success', null],
    ])
    const [web] = await statuses(stack, `${stack.name}/web`)
    assert.equal(web!.lastDeployment?.status, 'removed')
    assert.equal(web!.inSync, true, 'taken down as the repository asks')
    assert.equal(await serve.stop(), 0)

    const removed = await runKedgeJson<{stacks: Array<{stack: string; down: {action: string}}>}>(['repo', 'remove', stack.name, '--down'], {home: stack.home})
    assert.equal(removed.code, 0, removed.stderr)
    assert.deepEqual(removed.json.stacks.map((entry) => [entry.stack, entry.down.action]), [['api', 'removed'], ['web', 'removed']])
    assert.deepEqual(kedgeContainers(`${stack.name}-api`), [])
    assert.ok(existsSync(path.join(stack.home, 'stacks', `${stack.name}+api`)), 'its files stay without --purge')
    // Removed before: --purge still finds every stack's directory, and deletes them.
    const purged = await runKedgeJson<{purgedStackDir: string | null; stacks: Array<{stack: string; purgedStackDir: string | null}>}>(['repo', 'remove', stack.name, '--purge', '--yes'], {home: stack.home})
    assert.equal(purged.code, 0, purged.stderr)
    assert.deepEqual(purged.json.stacks.map((entry) => [entry.stack, entry.purgedStackDir]), [
      ['api', path.join(stack.home, 'stacks', `${stack.name}+api`)],
      ['web', path.join(stack.home, 'stacks', `${stack.name}+web`)],
    ])
    assert.deepEqual(readdirSync(path.join(stack.home, 'stacks')).filter((entry) => entry.startsWith(stack.name)), [])
    assert.equal((await runKedge(['repo', 'remove', stack.name, '--purge', '--yes'], {home: stack.home})).code, 2, 'nothing is left to purge')
  })

  it('refuses two stacks that would share a Compose project, changing nothing on the host', async () => {
    const stack = await registeredStack({'apps/web/compose.yaml': service('web'), 'apps/api/compose.yaml': service('api')})
    cleanUpProjects(stack.name, ['web', 'api'])
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    const before = {web: kedgeContainers(`${stack.name}-web`)[0]!.id, api: kedgeContainers(`${stack.name}-api`)[0]!.id}
    stack.remote.commit({'apps/web/kedge.yaml': `docker:\n  project_name: ${stack.name}-api\n`})
    const refused = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, new RegExp(`the stacks api, web would share the Compose project "${stack.name}-api"`))
    assert.deepEqual({web: kedgeContainers(`${stack.name}-web`)[0]!.id, api: kedgeContainers(`${stack.name}-api`)[0]!.id}, before)
  })
})
