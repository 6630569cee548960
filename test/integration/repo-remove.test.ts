import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import type {DiffResult} from '../../src/usecases/drift/diff.js'
import type {RemoveRepositoryResult, StackTakenDown} from '../../src/usecases/repositories/remove-repository.js'
import type {RepositoryStatus} from '../../src/usecases/repositories/repository-status.js'

import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {composeCommand, docker, kedgeContainers} from '../helpers/docker.js'
import {registeredStack, type TestStack} from '../helpers/stack.js'
import {waitFor} from '../helpers/wait.js'

/** A service that writes into a relative bind mount, as most self-hosted apps keep their data, and one named volume. */
const WRITES_DATA = `services:
  app:
    image: kedge-test/busybox:1
    command: ["sh", "-c", "trap 'exit 0' TERM; echo precious > /data/written.txt; while true; do sleep 1; done"]
    volumes:
      - ./data:/data
      - cache:/cache
volumes:
  cache:
`

/** A first deploy that fails on the health gate: the service runs, and never becomes healthy. */
const NEVER_HEALTHY = {
  'docker-compose.yaml': `services:
  web:
    image: kedge-test/busybox:1
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      timeout: 1s
      retries: 1
  worker:
    image: kedge-test/busybox:1
`,
  'kedge.yaml': 'reconciliation:\n  health_timeout: 4s\n',
}

function stackDirOf(stack: TestStack): string {
  return path.join(stack.home, 'stacks', stack.name)
}

function networksOf(project: string): string[] {
  return docker('network', 'ls', '--quiet', '--filter', `label=com.docker.compose.project=${project}`).split('\n').filter(Boolean)
}

function volumeExists(name: string): boolean {
  return docker('volume', 'ls', '--quiet', '--filter', `name=^${name}$`).trim() === name
}

function removeVolumeAfter(name: string): void {
  after(() => {
    if (volumeExists(name)) docker('volume', 'rm', '--force', name)
  })
}

function isRegistered(stack: TestStack): Promise<boolean> {
  return runKedgeJson<Array<{name: string}>>(['repo', 'list'], {home: stack.home}).then((listed) => listed.json.some((repo) => repo.name === stack.name))
}

/** Deploys a stack that writes data, and waits for it to have written. */
async function deployedDataStack(): Promise<TestStack> {
  const stack = await registeredStack({'docker-compose.yaml': WRITES_DATA})
  removeVolumeAfter(`${stack.name}_cache`)
  const synced = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
  assert.equal(synced.code, 0, synced.stdout + synced.stderr)
  await waitFor('the service to write its data', () => existsSync(path.join(stackDirOf(stack), 'data', 'written.txt')))
  return stack
}

describe('kedge repo remove never deletes the data', {timeout: 600_000}, () => {
  it('--down takes down the containers and networks and keeps the stack directory, the data in it and the named volumes; it deletes the kept releases', async () => {
    const stack = await deployedDataStack()
    assert.equal(existsSync(path.join(stack.home, 'releases', stack.name)), true)
    assert.equal(networksOf(stack.name).length, 1)

    const removed = await runKedge(['repo', 'remove', stack.name, '--down'], {home: stack.home})
    assert.equal(removed.code, 0, removed.stdout + removed.stderr)
    assert.match(removed.stdout, new RegExp(`kept in ${stackDirOf(stack)}`))
    assert.match(removed.stdout, new RegExp(`kedge repo remove ${stack.name} --purge`))
    assert.equal(readFileSync(path.join(stackDirOf(stack), 'data', 'written.txt'), 'utf8'), 'precious\n')
    assert.deepEqual(kedgeContainers(stack.name), [])
    assert.deepEqual(networksOf(stack.name), [])
    assert.equal(volumeExists(`${stack.name}_cache`), true, 'a named volume was removed without --volumes')
    assert.equal(existsSync(path.join(stack.home, 'releases', stack.name)), false)
    assert.equal(existsSync(path.join(stack.home, 'repos', stack.name)), false)
    assert.equal(await isRegistered(stack), false)

    // The command line it printed deletes what was left.
    const purged = await runKedgeJson<RemoveRepositoryResult>(['repo', 'remove', stack.name, '--purge', '--yes'], {home: stack.home})
    assert.equal(purged.code, 0, purged.stdout + purged.stderr)
    assert.equal(purged.json.purgedStackDir, stackDirOf(stack))
    assert.equal(existsSync(stackDirOf(stack)), false)
    assert.equal((await runKedge(['repo', 'remove', stack.name, '--purge', '--yes'], {home: stack.home})).code, 2)
  })

  it('--volumes removes the named volumes, and still keeps the stack directory', async () => {
    const stack = await deployedDataStack()
    const removed = await runKedgeJson<RemoveRepositoryResult & {down: StackTakenDown}>(['repo', 'remove', stack.name, '--down', '--volumes'], {home: stack.home})
    assert.equal(removed.code, 0, removed.stdout + removed.stderr)
    assert.equal(removed.json.down.volumesRemoved, true)
    assert.equal(removed.json.keptStackDir, stackDirOf(stack))
    assert.equal(volumeExists(`${stack.name}_cache`), false)
    assert.equal(readFileSync(path.join(stackDirOf(stack), 'data', 'written.txt'), 'utf8'), 'precious\n')
    assert.deepEqual(kedgeContainers(stack.name), [])
  })

  it('--purge refuses without --yes under --json or without a terminal, and changes nothing; with --yes it deletes the stack directory', async () => {
    const stack = await deployedDataStack()
    const running = kedgeContainers(stack.name).map((container) => container.id)
    const refusedJson = await runKedgeJson<{error: {code: string; message: string}}>(['repo', 'remove', stack.name, '--purge'], {home: stack.home})
    assert.equal(refusedJson.code, 2)
    assert.equal(refusedJson.json.error.code, 'confirmation_required')
    const refusedText = await runKedge(['repo', 'remove', stack.name, '--purge'], {home: stack.home, input: `${stack.name}\n`})
    assert.equal(refusedText.code, 2)
    assert.match(refusedText.stderr, /^Error: --purge deletes .* refusing without --yes \(standard input is not a terminal\)\n/)
    assert.equal(await isRegistered(stack), true)
    assert.equal(existsSync(path.join(stackDirOf(stack), 'data', 'written.txt')), true)
    assert.deepEqual(kedgeContainers(stack.name).map((container) => container.id), running)

    const purged = await runKedgeJson<RemoveRepositoryResult & {down: StackTakenDown}>(['repo', 'remove', stack.name, '--purge', '--yes'], {home: stack.home})
    assert.equal(purged.code, 0, purged.stdout + purged.stderr)
    assert.equal(purged.json.down.action, 'removed')
    assert.equal(purged.json.purgedStackDir, stackDirOf(stack))
    assert.equal(existsSync(stackDirOf(stack)), false)
    assert.deepEqual(kedgeContainers(stack.name), [])
    assert.deepEqual(networksOf(stack.name), [])
    assert.equal(volumeExists(`${stack.name}_cache`), true, 'a named volume was removed without --volumes')
    assert.equal(await isRegistered(stack), false)
  })

  it("leaves the operator's one-off containers alone", async () => {
    const stack = await deployedDataStack()
    const [file, ...prefix] = composeCommand()
    execFileSync(file!, [...prefix, '--project-name', stack.name, 'run', '--detach', 'app'], {cwd: stackDirOf(stack), stdio: 'ignore'})
    const oneOffs = () => docker('ps', '--all', '--quiet', '--filter', `label=com.docker.compose.project=${stack.name}`, '--filter', 'label=com.docker.compose.oneoff=True').split('\n').filter(Boolean)
    const before = oneOffs()
    assert.equal(before.length, 1)

    const removed = await runKedgeJson<RemoveRepositoryResult & {down: StackTakenDown}>(['repo', 'remove', stack.name, '--down'], {home: stack.home})
    assert.equal(removed.code, 0, removed.stdout + removed.stderr)
    assert.deepEqual(kedgeContainers(stack.name), [])
    assert.deepEqual(oneOffs(), before, 'a one-off container was removed')
    assert.equal(docker('inspect', '--format', '{{.State.Running}}', before[0]!).trim(), 'true')
    assert.equal(removed.json.down.leftAlone.length, 1)
  })
})

describe('kedge owns what a failed first deploy started', {timeout: 600_000}, () => {
  it('status lists its containers, diff compares the branch head with them, and repo remove --down takes them down', async () => {
    const stack = await registeredStack(NEVER_HEALTHY)
    const synced = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
    assert.notEqual(synced.code, 0, 'the deploy was meant to fail on the health gate')
    assert.equal(kedgeContainers(stack.name).length, 2)

    const status = await runKedgeJson<RepositoryStatus[]>(['status', '--repo', stack.name], {home: stack.home})
    assert.equal(status.code, 0, status.stderr)
    const [repository] = status.json
    assert.deepEqual(
      repository!.services.map((service) => [service.service, service.image, service.containers.length]),
      [
        ['web', 'kedge-test/busybox:1', 1],
        ['worker', 'kedge-test/busybox:1', 1],
      ],
    )
    assert.equal(repository!.project, stack.name)
    assert.equal(repository!.deployed, null)
    assert.equal(repository!.failedAttempt?.commit, stack.remote.head())

    const diff = await runKedge(['diff', '--repo', stack.name], {home: stack.home})
    assert.equal(diff.code, 0, diff.stderr)
    assert.doesNotMatch(diff.stdout, /not deployed/)
    assert.match(diff.stdout, /the failed deploy of [0-9a-f]{7} left 2 containers/)
    const diffJson = await runKedgeJson<DiffResult>(['diff', '--repo', stack.name], {home: stack.home})
    assert.equal(diffJson.json.failedAttempt?.commit, stack.remote.head())

    const removed = await runKedgeJson<RemoveRepositoryResult & {down: StackTakenDown}>(['repo', 'remove', stack.name, '--down'], {home: stack.home})
    assert.equal(removed.code, 0, removed.stdout + removed.stderr)
    assert.equal(removed.json.down.action, 'removed')
    assert.deepEqual(kedgeContainers(stack.name), [])
    assert.deepEqual(networksOf(stack.name), [])
  })
})
