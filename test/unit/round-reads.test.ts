import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {parse} from 'yaml'

import {parseKedgeConfig} from '../../src/model/config/kedge-config.js'
import {resolveHome} from '../../src/model/home.js'
import type {DeploymentRow, RepositoryRow, StackRow, StackTarget} from '../../src/model/rows.js'
import type {StackContainer} from '../../src/model/stack/containers.js'
import type {Compose} from '../../src/ports/compose.js'
import type {Engine} from '../../src/ports/engine.js'
import type {Git, GitAccess} from '../../src/ports/git.js'
import type {RepositoryFiles} from '../../src/ports/repository-files.js'
import type {DeploymentOutcome, Store} from '../../src/ports/store.js'
import type {KedgeContext} from '../../src/usecases/context.js'
import {NO_PROGRESS} from '../../src/ports/progress.js'
import {runRound} from '../../src/usecases/round.js'
import {EMPTY_STACK_STATE} from '../../src/model/stack/stack-row.js'

const HEAD = 'a'.repeat(40)
const KEDGE_YAML = 'reconciliation:\n  mode: auto\n  health_timeout: 5s\n'
const COMPOSE_YAML = 'services:\n  web:\n    image: busybox:1\n'

/** Counts each port call by name, and keeps the order they came in. */
class Calls {
  readonly log: string[] = []
  count(name: string): number {
    return this.log.filter((entry) => entry === name).length
  }
  before(name: string, until: string): number {
    const end = this.log.indexOf(until)
    return this.log.slice(0, end === -1 ? undefined : end).filter((entry) => entry === name).length
  }
}

/** In-memory fakes of every port, enough for one round that deploys a one-service stack and then checks it for drift. */
function fakeWorld(root: string) {
  const calls = new Calls()
  const note = (name: string) => calls.log.push(name)
  const home = resolveHome(root)
  const repository = {
    id: 1,
    name: 'app',
    url: 'https://git.example/app.git',
    branch: 'main',
    path: '.',
    authKind: 'token',
    authSecret: 'sealed',
    knownHosts: null,
    lastError: null,
    intervalMs: null,
    localEnv: null,
  } as unknown as RepositoryRow
  const stack = {
    id: 3,
    repositoryId: 1,
    name: 'app',
    path: '.',
    createdAt: new Date(),
    ...EMPTY_STACK_STATE,
  } satisfies StackRow
  const target: StackTarget = {repository, stack}
  mkdirSync(path.join(home.repoDir('app'), '.git'), {recursive: true})

  const deployments: DeploymentRow[] = []
  let running: StackContainer[] = []

  const store: Partial<Store> = {
    findRepository: () => repository,
    updateRepository: (_id, values) => assert.ok(!('remoteHead' in values), 'a head is recorded with recordRemoteHead'),
    recordRemoteHead: () => note('store.remoteHead'),
    recordRepositoryError: (_id, error) => assert.fail(`no error was expected: ${(error as Error).message}`),
    listStacks: () => [stack],
    updateStack: () => undefined,
    recordDriftCheck: () => undefined,
    recordStackError: (_id, error) => assert.fail(`no error was expected: ${(error as Error).message}`),
    lastGoodDeployment: () => (note('store.lastGoodDeployment'), deployments.findLast((row) => row.status === 'success')),
    lastGoodSummary: () => {
      note('store.lastGoodSummary')
      const row = deployments.findLast((candidate) => candidate.status === 'success')
      return row && {id: row.id, commit: row.commit}
    },
    hasPendingDeployment: () => deployments.some((row) => row.status === 'pending'),
    lastAttemptAt: () => undefined,
    listDeployments: (_id, limit) => deployments.slice(-limit).reverse(),
    countDeploymentsSince: () => 0,
    startDeployment: (values) => {
      const row = {id: deployments.length + 1, ...values, status: 'pending', startedAt: new Date(), finishedAt: null, snapshot: null} as unknown as DeploymentRow
      deployments.push(row)
      return row
    },
    finishDeployment: (id, outcome: DeploymentOutcome) => {
      const index = deployments.findIndex((row) => row.id === id)
      deployments[index] = {...deployments[index]!, ...outcome, finishedAt: new Date()} as DeploymentRow
      return deployments[index]!
    },
    markInterrupted: () => 0,
    tryTakeLock: () => (note('store.tryTakeLock'), {taken: true}),
    dropLock: () => undefined,
    storageFault: () => null,
  }

  const access: GitAccess = {credentials: null, env: {}, httpAuthorization: null, knownHosts: () => null, close: () => undefined}
  const git: Partial<Git> = {
    withAccess: async (_url, _credentials, action) => (note('git.withAccess'), action(access)),
    remoteBranchHead: async () => HEAD,
    fetchBranch: async () => HEAD,
    objectIds: async () => new Map(),
    updateTree: async () => undefined,
  }

  const files: RepositoryFiles = {
    readKedgeConfig: () => (note('files.readKedgeConfig'), {config: parseKedgeConfig(KEDGE_YAML, 'kedge.yaml'), text: {path: 'kedge.yaml', content: KEDGE_YAML}}),
    resolveComposeFiles: () => ['compose.yaml'],
    readComposeText: () => COMPOSE_YAML,
    readText: (_root, relative) => (relative === 'compose.yaml' ? COMPOSE_YAML : null),
    directory: (root) => root,
    readStackConfig: () => ({overrides: null, text: null}),
    hookFile: () => null,
    stackTree: () => ({subdirectories: () => [], holdsComposeFile: () => true, holdsStack: () => true}),
  }

  const compose: Partial<Compose> = {
    command: async () => ({kind: 'v2', program: 'docker', args: ['compose']}) as unknown as Awaited<ReturnType<Compose['command']>>,
    config: async (project) => `name: ${project.name}\nservices:\n  web:\n    image: busybox:1\n`,
    pull: async () => void note('compose.pull'),
    up: async () => {
      note('compose.up')
      // The containers come up with the labels kedge's override file gives them.
      const override = parse(readFileSync(path.join(home.generatedDir('app'), 'compose.override.yaml'), 'utf8')) as {services: Record<string, {labels: Record<string, string>}>}
      running = Object.entries(override.services).map(([service, {labels}]) => ({
        id: `${service}0000000000000000`,
        name: `app-${service}-1`,
        service,
        state: 'running',
        status: 'Up 2 seconds',
        image: 'busybox:1',
        imageId: 'sha256:busybox1',
        health: null,
        exitCode: null,
        labels: {...labels, 'com.docker.compose.project': 'app', 'com.docker.compose.service': service},
        managedByKedge: true,
      }))
    },
  }

  const engine: Partial<Engine> = {
    ping: async () => undefined,
    listKedgeContainers: async () => (note('engine.listKedgeContainers'), running),
    connectionLosses: () => 0,
    listComposeProjectContainers: async () => (note('engine.listComposeProjectContainers'), running),
    currentImageIds: async (references) => (note('engine.currentImageIds'), new Map(references.map((reference) => [reference, 'sha256:busybox1']))),
    removeContainer: async () => undefined,
    stopAndRemoveContainer: async () => undefined,
  }

  const context = {
    home,
    store,
    engine,
    compose,
    git,
    files,
    clock: {now: () => new Date(), sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))},
    processes: {current: () => ({host: 'here', pid: 1, processStart: ''}), isRunning: () => true},
    secrets: {open: () => (note('secrets.open'), 'token'), seal: () => 'sealed', adminToken: () => ({token: 't', source: 'test'})},
    announcer: {announce: () => undefined},
    progress: NO_PROGRESS,
  } as unknown as KedgeContext
  return {context, repository, target, calls, deployments}
}

describe('one deploying round of serve', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'kedge-round-reads-'))
  after(() => rmSync(root, {recursive: true, force: true}))

  it('reads each input once: one lock, one kedge.yaml, one last good deployment, one look at the images and the containers before up', async () => {
    const {context, repository, target, calls, deployments} = fakeWorld(root)
    const round = await runRound(context, repository, {purpose: 'kedge serve (git)'}, async (locked) => {
      const round = await locked.reconcile(repository, {trigger: 'git'})
      const healed = await locked.heal(target)
      assert.ok(round.kind === 'stacks', JSON.stringify(round))
      assert.deepEqual(round.results.map((entry) => entry.target.stack.id), [target.stack.id])
      return {reconciled: round.results[0]!.result, healed}
    })
    assert.equal(round.kind, 'ran')
    assert.ok(round.kind === 'ran')
    assert.equal(round.value.reconciled.kind, 'deployed', JSON.stringify(round.value.reconciled))
    assert.equal(round.value.healed.kind, 'in-sync', JSON.stringify(round.value.healed))
    assert.deepEqual(deployments.map((row) => row.status), ['success'])

    assert.equal(calls.count('store.tryTakeLock'), 1, 'the lock is taken once for the poll, the deploy and the drift check')
    // The poll needs no lock, so it has an access of its own (see lookBeforeLock); the fetch has the other.
    assert.equal(calls.count('git.withAccess'), 2, 'one access for the poll, one for the fetch')
    assert.equal(calls.count('secrets.open'), 2, 'the credentials are opened for each')
    assert.equal(calls.count('store.remoteHead'), 1, 'the branch head is recorded once')
    assert.equal(calls.count('files.readKedgeConfig'), 1, 'kedge.yaml is read once')
    // The drift check after the deploy is given the deployment the round made.
    assert.equal(calls.count('store.lastGoodSummary'), 1, "the poll's decision reads the last good deployment's id and commit once")
    assert.equal(calls.count('store.lastGoodDeployment'), 1, 'the whole row is read once, for the deploy')
    assert.equal(calls.before('engine.currentImageIds', 'compose.up'), 1, 'the images are looked at once before up')
    assert.equal(calls.before('engine.listKedgeContainers', 'compose.up'), 1, "kedge's containers are listed once before up")
    assert.equal(calls.before('engine.listComposeProjectContainers', 'compose.up'), 1, "the project's containers are listed once before up")
    assert.equal(calls.count('compose.up'), 1)
  })
})
