import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {DeploymentView} from '../../src/model/repository/deployment-view.js'

import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {composeCommand, containerIds, docker, kedgeContainers} from '../helpers/docker.js'
import {registeredStack} from '../helpers/stack.js'

interface SyncJson {
  repo: string
  deployment: {commit: string; status: string; trigger: string; project: string}
  changes: Array<{service: string; action: string; from: string | null; to: string | null}>
}
type HistoryJson = DeploymentView

const TWO_SERVICES = `services:
  web:
    image: kedge-test/busybox:1
    volumes:
      - ./conf:/conf:ro
  worker:
    image: kedge-test/busybox:1
    env_file: worker.env
`
const TWO_SERVICE_FILES = {'docker-compose.yaml': TWO_SERVICES, 'conf/app.conf': 'version=1\n', 'worker.env': 'LEVEL=1\n'}

async function sync(home: string, name: string) {
  return runKedgeJson<SyncJson>(['sync', '--repo', name], {home})
}

describe('deploying with kedge sync', () => {
  it('deploys the branch head with kedge labels, and records it', async () => {
    const stack = await registeredStack(TWO_SERVICE_FILES)
    const result = await sync(stack.home, stack.name)
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const head = stack.remote.head()
    assert.equal(result.json.deployment.commit, head)
    assert.equal(result.json.deployment.status, 'success')
    assert.equal(result.json.deployment.trigger, 'manual')
    assert.deepEqual(
      result.json.changes.map((change) => [change.service, change.action, change.to]),
      [['web', 'create', 'kedge-test/busybox:1'], ['worker', 'create', 'kedge-test/busybox:1']],
    )

    const containers = kedgeContainers(stack.name)
    assert.deepEqual(containers.map((container) => [container.service, container.state, container.commit]), [
      ['web', 'running', head],
      ['worker', 'running', head],
    ])
    const labels = JSON.parse(docker('inspect', '--format', '{{json .Config.Labels}}', containers[0]!.id)) as Record<string, string>
    assert.equal(labels['io.kedge.managed'], 'true')
    assert.equal(labels['io.kedge.project'], stack.name)
    assert.equal(labels['io.kedge.service'], 'web')
    assert.equal(labels['io.kedge.repo'], stack.name)
    assert.match(labels['io.kedge.config-hash']!, /^[0-9a-f]{32}$/)
    assert.equal(docker('exec', containers[0]!.id, 'cat', '/conf/app.conf'), 'version=1\n')

    const history = await runKedgeJson<HistoryJson[]>(['history', '--repo', stack.name], {home: stack.home})
    assert.equal(history.json.length, 1)
    const [row] = history.json
    assert.equal(row!.commit, head)
    assert.equal(row!.status, 'success')
    assert.equal(row!.trigger, 'manual')
    assert.equal(row!.error, null)
    assert.ok(Date.parse(row!.startedAt) <= Date.parse(row!.finishedAt!))
    assert.match(row!.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)

    const text = await runKedge(['history', '--repo', stack.name], {home: stack.home})
    assert.match(text.stdout, new RegExp(`^STARTED\\s+COMMIT\\s+TRIGGER\\s+STATUS\\s+TOOK\\s+DETAIL\\n\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+${head.slice(0, 7)}\\s+manual\\s+success`))

    // The user's repository is never written to: the labels live in kedge's own override file.
    assert.equal(existsSync(path.join(stack.home, 'repos', stack.name, 'compose.override.yaml')), false)
    assert.match(readFileSync(path.join(stack.home, 'generated', stack.name, 'compose.override.yaml'), 'utf8'), /io\.kedge\.managed: "true"/)
  })

  it('restarts nothing for a README-only commit, and only the service whose files changed', async () => {
    const stack = await registeredStack(TWO_SERVICE_FILES)
    assert.equal((await sync(stack.home, stack.name)).code, 0)
    const first = containerIds(stack.name)

    stack.remote.commit({'README.md': '# docs only\n'}, 'docs')
    const readme = await sync(stack.home, stack.name)
    assert.equal(readme.code, 0, readme.stderr)
    assert.deepEqual(readme.json.changes, [])
    assert.deepEqual(containerIds(stack.name), first)

    stack.remote.commit({'conf/app.conf': 'version=2\n'}, 'bind-mounted config')
    const conf = await sync(stack.home, stack.name)
    assert.deepEqual(conf.json.changes.map((change) => [change.service, change.action]), [['web', 'recreate']])
    const afterConf = containerIds(stack.name)
    assert.notDeepEqual(afterConf.web, first.web)
    assert.deepEqual(afterConf.worker, first.worker)
    const web = kedgeContainers(stack.name).find((container) => container.service === 'web')!
    assert.equal(docker('exec', web.id, 'cat', '/conf/app.conf'), 'version=2\n')

    const envCommit = stack.remote.commit({'worker.env': 'LEVEL=2\n'}, 'env file')
    const env = await sync(stack.home, stack.name)
    assert.deepEqual(env.json.changes.map((change) => [change.service, change.action]), [['worker', 'recreate']])
    const afterEnv = containerIds(stack.name)
    assert.deepEqual(afterEnv.web, afterConf.web)
    assert.notDeepEqual(afterEnv.worker, afterConf.worker)
    const worker = kedgeContainers(stack.name).find((container) => container.service === 'worker')!
    assert.equal(docker('exec', worker.id, 'sh', '-c', 'echo $LEVEL').trim(), '2')
    assert.equal(worker.commit, envCommit, 'a recreated service carries the commit that changed it')
  })

  it('changes the image of a service and removes a service dropped from the file', async () => {
    const stack = await registeredStack({'docker-compose.yaml': TWO_SERVICES.replace('    env_file: worker.env\n', ''), 'conf/app.conf': 'x\n'})
    assert.equal((await sync(stack.home, stack.name)).code, 0)
    stack.remote.commit({'docker-compose.yaml': 'services:\n  web:\n    image: kedge-test/busybox:2\n    volumes:\n      - ./conf:/conf:ro\n'})
    const result = await sync(stack.home, stack.name)
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(result.json.changes, [
      {service: 'web', action: 'recreate', from: 'kedge-test/busybox:1', to: 'kedge-test/busybox:2'},
      {service: 'worker', action: 'remove', from: 'kedge-test/busybox:1', to: null},
    ])
    const containers = kedgeContainers(stack.name)
    assert.deepEqual(containers.map((container) => [container.service, container.image]), [['web', 'kedge-test/busybox:2']])
    assert.equal(docker('exec', containers[0]!.id, 'cat', '/etc/image-version').trim(), '2')
  })

  // Each case has a stack of its own: they run side by side, as they mostly wait on Compose.
  describe('a bad commit breaks nothing', {concurrency: 3}, () => {
    interface BrokenCommit {
      what: string
      files: Record<string, string>
      message: RegExp
      exit?: number
      /** It failed after touching the host: kedge rolled back to the last good commit on its own. */
      rolledBack?: boolean
      /** Compose stopped a container before failing, so the rolled-back containers are new ones. */
      replaced?: boolean
    }
    const broken: BrokenCommit[] = [
      {what: 'invalid YAML in the compose file', files: {'docker-compose.yaml': 'services:\n  web: [unclosed\n'}, message: /^compose could not validate the compose files: .*(while parsing|expected)/s},
      {what: 'an invalid compose file', files: {'docker-compose.yaml': 'services:\n  web:\n    imagex: kedge-test/busybox:1\n'}, message: /^compose could not validate the compose files: .*imagex/s},
      {what: 'an invalid kedge.yaml', files: {'kedge.yaml': 'reconciliation:\n  mode: loud\n'}, message: /^kedge\.yaml: reconciliation\.mode: expected one of auto, notify, manual/, exit: 2},
      {
        what: 'a missing image',
        files: {'docker-compose.yaml': TWO_SERVICES.replace('busybox:1\n    volumes', 'busybox:does-not-exist\n    volumes'), 'conf/app.conf': 'version=broken\n'},
        message: /^compose could not pull images: /,
      },
      {
        what: 'an up that fails on a new service',
        files: {'docker-compose.yaml': `${TWO_SERVICES}  broken:\n    image: kedge-test/busybox:1\n    devices:\n      - /dev/kedge-does-not-exist:/dev/x\n`},
        message: /^compose could not apply the stack: .*kedge-does-not-exist/s,
        rolledBack: true,
      },
      {
        what: 'an up that fails replacing a running service',
        files: {'docker-compose.yaml': TWO_SERVICES.replace('    env_file', '    restart: sometimes\n    env_file'), 'conf/app.conf': 'version=broken\n'},
        message: /^compose could not apply the stack: .*invalid restart policy/s,
        rolledBack: true,
        replaced: true,
      },
    ]
    for (const {what, files, message, exit = 1, rolledBack = false, replaced = false} of broken) {
      it(`${what}: recorded failed with the reason, the stack still running, the next commit deployed`, async () => {
        const stack = await registeredStack(TWO_SERVICE_FILES)
        assert.equal((await sync(stack.home, stack.name)).code, 0)
        const good = stack.remote.head()
        const running = containerIds(stack.name)

        const bad = stack.remote.commit(files, what)
        const result = await runKedgeJson<{error: {code: string; message: string}}>(['sync', '--repo', stack.name], {home: stack.home})
        assert.equal(result.code, exit, result.stdout)
        assert.match(result.json.error.message, message)
        const after = kedgeContainers(stack.name).filter((container) => container.service !== 'broken')
        // Names and history in the message: a leftover container tells by its name which step of Compose left it.
        const seen = async () => JSON.stringify({containers: after, history: (await runKedgeJson(['history', '--repo', stack.name], {home: stack.home})).json})
        assert.deepEqual(
          after.map((container) => [container.service, container.state, container.commit]),
          [
            ['web', 'running', good],
            ['worker', 'running', good],
          ],
          after.length === 2 ? undefined : await seen(),
        )
        const {web, worker} = containerIds(stack.name)
        if (!replaced) assert.deepEqual({web, worker}, running, 'the running containers were not touched')
        assert.equal(docker('exec', after[0]!.id, 'cat', '/conf/app.conf'), 'version=1\n', 'bind-mounted files are those of the running commit')

        const history = (await runKedgeJson<HistoryJson[]>(['history', '--repo', stack.name], {home: stack.home})).json
        const failed = rolledBack ? history[1]! : history[0]!
        assert.deepEqual(
          history.map((row) => [row.commit, row.status, row.trigger]),
          [...(rolledBack ? [[good, 'rolled_back', 'auto_rollback']] : []), [bad, 'failed', 'manual'], [good, 'success', 'manual']],
        )
        assert.match(failed.error!, message)
        if (rolledBack) {
          assert.equal(failed.note, `rolled back automatically to ${good.slice(0, 7)}`)
          assert.equal(history[0]!.replacedCommit, bad)
        }

        const status = await runKedgeJson<Array<{deployed: {commit: string}; lastError: {message: string}}>>(['status', '--repo', stack.name], {home: stack.home})
        assert.equal(status.json[0]!.deployed.commit, good)
        assert.match(status.json[0]!.lastError.message, message)

        const fixed = stack.remote.commit({...TWO_SERVICE_FILES, 'kedge.yaml': 'reconciliation:\n  mode: auto\n', 'docker-compose.yaml': TWO_SERVICES}, 'fix')
        const next = await sync(stack.home, stack.name)
        assert.equal(next.code, 0, next.stdout)
        assert.equal(next.json.deployment.commit, fixed)
        assert.deepEqual(kedgeContainers(stack.name).map((container) => [container.service, container.state]), [['web', 'running'], ['worker', 'running']])
      })
    }
  })

  it('treats a one-shot job that exits 0 as done: the deploy succeeds and nothing drifted', async () => {
    const stack = await registeredStack({
      'docker-compose.yaml':
        'services:\n  web:\n    image: kedge-test/busybox:1\n    depends_on:\n      migrate:\n        condition: service_completed_successfully\n  migrate:\n    image: kedge-test/busybox:1\n    command: ["true"]\n',
    })
    const result = await sync(stack.home, stack.name)
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const diff = await runKedgeJson<{inSync: boolean; drift: unknown[]}>(['diff', '--repo', stack.name], {home: stack.home})
    assert.deepEqual(diff.json.drift, [])
    assert.equal(diff.json.inSync, true)
    const ids = containerIds(stack.name)
    stack.remote.commit({'README.md': 'docs\n'})
    const again = await sync(stack.home, stack.name)
    assert.deepEqual(again.json.changes, [], 'the completed job is not started again')
    assert.deepEqual(containerIds(stack.name), ids)
  })

  it('follows a force-pushed branch', async () => {
    const stack = await registeredStack(TWO_SERVICE_FILES)
    stack.remote.commit({'conf/app.conf': 'version=2\n'}, 'to be rewritten')
    assert.equal((await sync(stack.home, stack.name)).code, 0)
    const rewritten = stack.remote.rewriteHistory({'conf/app.conf': 'version=rewritten\n'}, 'rewritten history')
    const result = await sync(stack.home, stack.name)
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.equal(result.json.deployment.commit, rewritten)
    const web = kedgeContainers(stack.name).find((container) => container.service === 'web')!
    assert.equal(docker('exec', web.id, 'cat', '/conf/app.conf'), 'version=rewritten\n')
  })

  it('refuses a Compose project that has containers kedge did not create', async () => {
    const stack = await registeredStack({'docker-compose.yaml': 'services:\n  web:\n    image: kedge-test/busybox:1\n'})
    docker('run', '--detach', '--name', `${stack.name}-foreign`, '--label', `com.docker.compose.project=${stack.name}`, 'kedge-test/busybox:1')
    const result = await runKedgeJson<{error: {message: string}}>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(result.code, 1)
    assert.match(result.json.error.message, new RegExp(`the Compose project "${stack.name}" has containers kedge did not deploy for ${stack.name}: ${stack.name}-foreign`))
    assert.equal(docker('inspect', '--format', '{{.State.Running}}', `${stack.name}-foreign`).trim(), 'true')
    assert.deepEqual(kedgeContainers(stack.name), [])
  })

  it("leaves the operator's one-off containers alone, those of a dropped service included", async () => {
    const WEB_AND_TOOLS = 'services:\n  web:\n    image: kedge-test/busybox:1\n  tools:\n    image: kedge-test/busybox:1\n'
    const stack = await registeredStack({'docker-compose.yaml': WEB_AND_TOOLS})
    assert.equal((await sync(stack.home, stack.name)).code, 0)
    // `docker compose run` in the stack directory, as an operator would: no kedge labels.
    const stackDir = path.join(stack.home, 'stacks', stack.name)
    const [file, ...prefix] = composeCommand()
    for (const service of ['web', 'tools']) execFileSync(file!, [...prefix, '--project-name', stack.name, 'run', '--detach', service], {cwd: stackDir, stdio: 'ignore'})
    const oneOffs = () => docker('ps', '--all', '--quiet', '--filter', `label=com.docker.compose.project=${stack.name}`, '--filter', 'label=com.docker.compose.oneoff=True').split('\n').filter(Boolean).sort()
    const before = oneOffs()
    assert.equal(before.length, 2)

    stack.remote.commit({'docker-compose.yaml': 'services:\n  web:\n    image: kedge-test/busybox:2\n'}, 'drop tools, change web')
    const result = await sync(stack.home, stack.name)
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.deepEqual(result.json.changes.map((change) => [change.service, change.action]), [['web', 'recreate'], ['tools', 'remove']])
    assert.deepEqual(kedgeContainers(stack.name).map((container) => [container.service, container.state, container.image]), [['web', 'running', 'kedge-test/busybox:2']])
    assert.deepEqual(oneOffs(), before, 'a one-off container was removed')
  })

  it('takes the stack down with repo remove --down, keeping its files, and leaves it running without', async () => {
    const stack = await registeredStack(TWO_SERVICE_FILES)
    assert.equal((await sync(stack.home, stack.name)).code, 0)
    const kept = await runKedgeJson<{keptStackDir: string; down: null}>(['repo', 'remove', stack.name], {home: stack.home})
    assert.equal(kept.code, 0)
    assert.equal(kept.json.down, null)
    assert.equal(kept.json.keptStackDir, path.join(stack.home, 'stacks', stack.name))
    assert.equal(kedgeContainers(stack.name).length, 2)

    const again = await registeredStack(TWO_SERVICE_FILES, {home: stack.home, name: stack.name})
    assert.equal((await sync(again.home, again.name)).code, 0)
    const removed = await runKedgeJson<{down: {action: string; project: string}}>(['repo', 'remove', stack.name, '--down'], {home: stack.home})
    assert.equal(removed.code, 0, removed.stdout)
    assert.deepEqual([removed.json.down.action, removed.json.down.project], ['removed', stack.name])
    assert.deepEqual(kedgeContainers(stack.name), [])
    // The stack directory holds what the containers wrote: only --purge deletes it (see repo-remove.test.ts).
    assert.equal(existsSync(path.join(stack.home, 'stacks', stack.name)), true)
  })
})
