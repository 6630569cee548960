import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {before, describe, it} from 'node:test'

import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {GitRemote, type FileChanges} from '../helpers/git-remote.js'
import {PrivateEngine} from '../helpers/private-engine.js'
import {uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'
import {waitFor} from '../helpers/wait.js'

const NOT_ROOT = process.getuid?.() !== 0 && 'starts a Docker daemon of its own in Swarm mode, which needs root'

/** A shell as PID 1 ignores SIGTERM: without the trap each task would take its whole stop grace period to go. */
const STOPPABLE_COMMAND = '["sh", "-c", "trap exit TERM; sleep 100000 & wait"]'

/**
 * A task that stops at once on SIGTERM, and an update that replaces every task at once and moves on
 * after a second: each step of a rolling update is quick.
 */
function stackFile(options: {webImage?: string; replicas?: number; webCommand?: string} = {}): string {
  return `services:
  web:
    image: ${options.webImage ?? 'kedge-test/busybox:1'}
    command: ${options.webCommand ?? STOPPABLE_COMMAND}
    stop_grace_period: 1s
    deploy:
      replicas: ${options.replicas ?? 2}
      update_config: {monitor: 1s, parallelism: 0}
      restart_policy: {delay: 1s}
  worker:
    image: kedge-test/busybox:1
    command: ${STOPPABLE_COMMAND}
    stop_grace_period: 1s
    deploy:
      update_config: {monitor: 1s, parallelism: 0}
`
}

const KEDGE_YAML = 'docker:\n  target: swarm\nreconciliation:\n  health_timeout: 60s\n'

interface ServiceRow {
  name: string
  replicas: string
  image: string
  managed: string
}

interface HistoryRow {
  id: number
  commit: string
  status: string
  trigger: string
  error: string | null
  note: string | null
  replacedCommit: string | null
}

interface DriftEntry {
  service: string
  type: string
  container: string | null
}

/** What `docker service inspect` gives of a service, as far as these tests read it. */
interface ServiceInspect {
  ID: string
  Version: {Index: number}
  Spec: {
    Name: string
    Labels: Record<string, string>
    Mode: {Replicated?: {Replicas: number}}
    TaskTemplate: {ContainerSpec: {Image: string; Args?: string[]; Env?: string[]; Labels?: Record<string, string>; Configs?: Array<{ConfigName: string}>}}
  }
  UpdateStatus?: {State: string}
}

/** The stack's services as the manager lists them. */
function services(engine: PrivateEngine, namespace: string): ServiceRow[] {
  return engine
    .docker('service', 'ls', '--filter', `label=com.docker.stack.namespace=${namespace}`, '--format', '{{.Name}}\t{{.Replicas}}\t{{.Image}}')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name, replicas, image] = line.split('\t') as [string, string, string]
      const managed = engine.docker('service', 'inspect', '--format', '{{index .Spec.Labels "io.kedge.managed"}}', name).trim()
      return {name, replicas, image: image.replace(/@sha256:.*$/, ''), managed}
    })
    .sort((a, b) => a.name.localeCompare(b.name))
}

function inspectService(engine: PrivateEngine, name: string): ServiceInspect {
  return (JSON.parse(engine.docker('service', 'inspect', name)) as ServiceInspect[])[0]!
}

/** The image a service's spec runs, without the digest `--resolve-image` may pin. */
function specImage(service: ServiceInspect): string {
  return service.Spec.TaskTemplate.ContainerSpec.Image.replace(/@sha256:.*$/, '')
}

/** The ids of the service's tasks that run: desired running and running (one node: every node is ready). */
function runningTaskCount(engine: PrivateEngine, service: string): number {
  const ids = engine.docker('service', 'ps', '--quiet', '--filter', 'desired-state=running', service).split('\n').filter(Boolean)
  if (ids.length === 0) return 0
  return engine.docker('inspect', '--format', '{{.Status.State}}', ...ids).split('\n').filter((state) => state === 'running').length
}

/** A service created by hand in the stack's namespace, as the CLI would; `labels` beyond the namespace's. */
function createServiceByHand(engine: PrivateEngine, namespace: string, service: string, labels: Record<string, string> = {}): void {
  const labelArgs = Object.entries({'com.docker.stack.namespace': namespace, ...labels}).flatMap(([key, value]) => ['--label', `${key}=${value}`])
  engine.docker('service', 'create', '--detach', '--no-resolve-image', '--quiet', '--name', `${namespace}_${service}`, ...labelArgs, '--stop-grace-period', '1s', 'kedge-test/busybox:1', 'sh', '-c', 'trap exit TERM; sleep 100000 & wait')
}

function sha8(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 8)
}

describe('a swarm stack (docker.target: swarm)', {skip: NOT_ROOT, timeout: 300_000}, () => {
  const engine = new PrivateEngine()
  const home = tempDir()

  before(async () => {
    await engine.start()
    engine.loadImagesFrom('kedge-test/busybox:1', 'kedge-test/busybox:2')
    await engine.swarmInit()
    const added = await runKedge(['engine', 'add', 'swarm1', '--host', `unix://${engine.socket}`], {home})
    assert.equal(added.code, 0, added.stderr)
  })

  /** A repository of `files` registered on the swarm engine; its name is the stack's namespace. */
  async function registerStack(files: FileChanges): Promise<{name: string; remote: GitRemote}> {
    const name = uniqueName()
    const remote = GitRemote.create({'kedge.yaml': KEDGE_YAML, ...files})
    const added = await runKedge(['repo', 'add', remote.fileUrl, '--name', name, '--engine', 'swarm1'], {home})
    assert.equal(added.code, 0, added.stderr)
    return {name, remote}
  }

  async function sync(name: string): Promise<void> {
    const synced = await runKedge(['sync', '--repo', name], {home})
    assert.equal(synced.code, 0, synced.stderr)
  }

  async function history(name: string): Promise<HistoryRow[]> {
    return (await runKedgeJson<HistoryRow[]>(['history', name, '--limit', '100'], {home})).json
  }

  async function drift(name: string): Promise<DriftEntry[]> {
    const diff = await runKedgeJson<{drift: DriftEntry[]}>(['diff', '--repo', name], {home})
    assert.equal(diff.code === 0 || diff.code === 1, true, diff.stderr)
    return diff.json.drift
  }

  /** Heals the stack and checks that the heal is one `drift` row of history. */
  async function healOnce(name: string): Promise<void> {
    const before = await history(name)
    const healed = await runKedgeJson<{stacks: Array<{result: string; deployment: HistoryRow | null}>}>(['heal', name], {home})
    assert.equal(healed.code, 0, healed.stderr)
    assert.equal(healed.json.stacks[0]!.result, 'healed')
    const after = await history(name)
    assert.equal(after.length, before.length + 1)
    assert.deepEqual([after[0]!.trigger, after[0]!.status], ['drift', 'success'])
  }

  it('deploys with docker stack deploy: kedge labels the services and the network, and every replica runs', async () => {
    const {name, remote} = await registerStack({'compose.yaml': stackFile()})
    await sync(name)
    assert.deepEqual(services(engine, name), [
      {name: `${name}_web`, replicas: '2/2', image: 'kedge-test/busybox:1', managed: 'true'},
      {name: `${name}_worker`, replicas: '1/1', image: 'kedge-test/busybox:1', managed: 'true'},
    ])
    const web = inspectService(engine, `${name}_web`)
    assert.deepEqual(
      Object.fromEntries(Object.entries(web.Spec.Labels).filter(([key]) => key.startsWith('io.kedge.') && key !== 'io.kedge.config-hash')),
      {'io.kedge.managed': 'true', 'io.kedge.repo': name, 'io.kedge.project': name, 'io.kedge.service': 'web', 'io.kedge.commit': remote.head()},
    )
    assert.match(web.Spec.Labels['io.kedge.config-hash'] ?? '', /^[0-9a-f]{12,}$/)
    // On the service, not on its containers: a change of kedge's labels alone restarts no task.
    assert.deepEqual(web.Spec.TaskTemplate.ContainerSpec.Labels, {'com.docker.stack.namespace': name})
    const network = JSON.parse(engine.docker('network', 'inspect', '--format', '{{json .Labels}}', `${name}_default`)) as Record<string, string>
    assert.deepEqual(network, {'com.docker.stack.namespace': name, 'io.kedge.managed': 'true', 'io.kedge.repo': name, 'io.kedge.project': name})
    assert.equal(engine.docker('network', 'inspect', '--format', '{{.Driver}} {{.Scope}}', `${name}_default`).trim(), 'overlay swarm')
    assert.equal(runningTaskCount(engine, `${name}_web`), 2)
    assert.equal(runningTaskCount(engine, `${name}_worker`), 1)

    const status = await runKedgeJson<Array<{engine: string; inSync: boolean; services: Array<{service: string; containers: Array<{state: string}>}>}>>(['status', '--repo', name], {home})
    assert.equal(status.json[0]!.engine, 'swarm1')
    assert.deepEqual(status.json[0]!.services.map((service) => [service.service, service.containers.map((container) => container.state)]), [['web', ['running', 'running']], ['worker', ['running']]])
    assert.deepEqual(await drift(name), [])
    assert.deepEqual((await history(name)).map((row) => [row.trigger, row.status]), [['manual', 'success']])
  })

  it('sees each change made by hand as drift of its type, heals each with one redeploy, and takes the stack down leaving a foreign service', async () => {
    const {name} = await registerStack({'compose.yaml': stackFile()})
    await sync(name)
    const web = `${name}_web`
    const worker = `${name}_worker`

    engine.docker('service', 'scale', '--detach', `${web}=1`)
    assert.deepEqual((await drift(name)).map((entry) => [entry.service, entry.type]), [['web', 'scaled']])
    await healOnce(name)
    assert.equal(inspectService(engine, web).Spec.Mode.Replicated?.Replicas, 2)
    // The gate counted two running; a third, scaled away and stopping, may still be listed for a moment.
    await waitFor('web to run its two replicas', () => services(engine, name)[0]!.replicas === '2/2', 20_000)

    engine.docker('service', 'update', '--detach', '--no-resolve-image', '--image', 'kedge-test/busybox:2', worker)
    assert.deepEqual((await drift(name)).map((entry) => [entry.service, entry.type]), [['worker', 'wrong_image']])
    await healOnce(name)
    assert.equal(specImage(inspectService(engine, worker)), 'kedge-test/busybox:1')

    engine.docker('service', 'update', '--detach', '--env-add', 'X=1', web)
    assert.deepEqual((await drift(name)).map((entry) => [entry.service, entry.type]), [['web', 'wrong_config']])
    await healOnce(name)
    assert.equal(inspectService(engine, web).Spec.TaskTemplate.ContainerSpec.Env, undefined)

    engine.docker('service', 'rm', worker)
    assert.deepEqual(await drift(name), [{service: 'worker', type: 'missing', container: null, expected: `service ${worker}`, actual: 'none'}])
    await healOnce(name)
    assert.equal(runningTaskCount(engine, worker), 1)

    // A service of the stack that kedge labelled but the commit does not have, and one that kedge never
    // labelled: with the second in the namespace the CLI's --prune would remove it too, so kedge removes its own.
    createServiceByHand(engine, name, 'foreign')
    createServiceByHand(engine, name, 'extra', {'io.kedge.managed': 'true', 'io.kedge.repo': name, 'io.kedge.project': name})
    const foreignBefore = inspectService(engine, `${name}_foreign`)
    const both = await drift(name)
    assert.deepEqual(both.map((entry) => [entry.service, entry.type, entry.container]).sort(), [['extra', 'extra', `${name}_extra`], ['foreign', 'foreign', `${name}_foreign`]])
    await healOnce(name)
    assert.deepEqual(services(engine, name).map((service) => service.name), [`${name}_foreign`, web, worker])
    assert.equal(inspectService(engine, `${name}_foreign`).Version.Index, foreignBefore.Version.Index)

    // Only a foreign service left: reported, and nothing for a heal to do.
    assert.deepEqual((await drift(name)).map((entry) => [entry.service, entry.type]), [['foreign', 'foreign']])
    const rowsBefore = await history(name)
    const healed = await runKedgeJson<{stacks: Array<{result: string}>}>(['heal', name], {home})
    assert.equal(healed.code, 0, healed.stderr)
    assert.equal(healed.json.stacks[0]!.result, 'in-sync')
    assert.equal((await history(name)).length, rowsBefore.length)
    assert.deepEqual((await history(name)).map((row) => row.trigger), ['drift', 'drift', 'drift', 'drift', 'drift', 'manual'])

    const down = await runKedge(['down', name], {home})
    assert.equal(down.code, 0, down.stderr)
    assert.match(down.stdout, new RegExp(`kept +${name}_foreign\\b`))
    assert.deepEqual(services(engine, name), [{name: `${name}_foreign`, replicas: '1/1', image: 'kedge-test/busybox:1', managed: ''}])
    assert.equal(inspectService(engine, `${name}_foreign`).Version.Index, foreignBefore.Version.Index)
    // Done once the tasks of kedge's services have stopped, and their network has gone with them.
    for (const service of [web, worker]) assert.equal(engine.docker('ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${service}`).trim(), '')
    assert.equal(engine.docker('network', 'ls', '--quiet', '--filter', `label=com.docker.stack.namespace=${name}`).trim(), '')
    engine.docker('service', 'rm', `${name}_foreign`)
  })

  it('fails a commit whose task exits, with the task error, and rolls back to the last good commit by itself; kedge rollback goes further back', async () => {
    const {name, remote} = await registerStack({'compose.yaml': stackFile()})
    await sync(name)
    const first = remote.head()
    const good = remote.commit({'compose.yaml': stackFile({webImage: 'kedge-test/busybox:2'})}, 'web on :2')
    await sync(name)
    const goodSpec = inspectService(engine, `${name}_web`)
    assert.equal(specImage(goodSpec), 'kedge-test/busybox:2')

    const broken = remote.commit({'compose.yaml': stackFile({webImage: 'kedge-test/busybox:2', webCommand: '["sh", "-c", "exit 3"]'})}, 'web exits')
    const failed = await runKedge(['sync', '--repo', name], {home})
    assert.equal(failed.code, 1, failed.stdout)
    assert.match(failed.stderr, /non-zero exit \(3\)/)
    const rows = await history(name)
    assert.deepEqual(rows.slice(0, 2).map((row) => [row.commit, row.trigger, row.status]), [
      [good, 'auto_rollback', 'rolled_back'],
      [broken, 'manual', 'failed'],
    ])
    assert.match(rows[1]!.error ?? '', /Swarm paused the update of service web.*task: non-zero exit \(3\)/)
    assert.equal(rows[1]!.note, `rolled back automatically to ${good.slice(0, 7)}`)
    assert.equal(rows[0]!.replacedCommit, broken)
    const restored = inspectService(engine, `${name}_web`)
    assert.equal(specImage(restored), 'kedge-test/busybox:2')
    assert.deepEqual(restored.Spec.TaskTemplate.ContainerSpec.Args, goodSpec.Spec.TaskTemplate.ContainerSpec.Args)
    assert.equal(restored.Spec.Labels['io.kedge.config-hash'], goodSpec.Spec.Labels['io.kedge.config-hash'])
    assert.equal(runningTaskCount(engine, `${name}_web`), 2)
    assert.deepEqual(await drift(name), [])

    const rolledBack = await runKedgeJson<{deployment: HistoryRow}>(['rollback', '--repo', name, first.slice(0, 7)], {home})
    assert.equal(rolledBack.code, 0, rolledBack.stderr)
    assert.deepEqual([rolledBack.json.deployment.commit, rolledBack.json.deployment.trigger, rolledBack.json.deployment.status], [first, 'rollback', 'rolled_back'])
    assert.equal(specImage(inspectService(engine, `${name}_web`)), 'kedge-test/busybox:1')
    assert.equal(runningTaskCount(engine, `${name}_web`), 2)
    assert.deepEqual(await drift(name), [])
    assert.equal((await runKedge(['down', name], {home})).code, 0)
  })

  it('deploys a changed configs: file as a new config named by its content, and takes every one of its configs down', async () => {
    const composeWithConfig = `services:
  web:
    image: kedge-test/busybox:1
    command: ${STOPPABLE_COMMAND}
    stop_grace_period: 1s
    configs:
      - {source: app_conf, target: /etc/app.conf}
    deploy:
      update_config: {monitor: 1s, parallelism: 0}
configs:
  app_conf:
    file: ./app.conf
`
    const {name, remote} = await registerStack({'compose.yaml': composeWithConfig, 'app.conf': 'greeting=hello\n'})
    const configs = () => engine.docker('config', 'ls', '--filter', `label=com.docker.stack.namespace=${name}`, '--format', '{{.Name}}').split('\n').filter(Boolean).sort()
    const webConfig = () => inspectService(engine, `${name}_web`).Spec.TaskTemplate.ContainerSpec.Configs?.map((config) => config.ConfigName)
    const servedFile = () => {
      const [container] = engine.docker('ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${name}_web`).split('\n').filter(Boolean)
      return engine.docker('exec', container!, 'cat', '/etc/app.conf')
    }
    await sync(name)
    const firstName = `${name}_app_conf_${sha8('greeting=hello\n')}`
    assert.deepEqual(configs(), [firstName])
    assert.equal(engine.docker('config', 'inspect', '--format', '{{index .Spec.Labels "io.kedge.managed"}}', firstName).trim(), 'true')
    assert.deepEqual(webConfig(), [firstName])
    assert.equal(servedFile(), 'greeting=hello\n')

    remote.commit({'app.conf': 'greeting=bonjour\n'}, 'another greeting')
    await sync(name)
    const secondName = `${name}_app_conf_${sha8('greeting=bonjour\n')}`
    assert.deepEqual(webConfig(), [secondName])
    assert.deepEqual(configs(), [secondName], 'the config of the old file is removed once no service uses it')
    assert.equal(servedFile(), 'greeting=bonjour\n')
    assert.deepEqual(await drift(name), [])

    // A config made from a file of the host: refused before the docker CLI could read it and send it to the swarm.
    remote.commit({'compose.yaml': composeWithConfig.replace('file: ./app.conf', 'file: /etc/hostname')}, 'a host file')
    const refused = await runKedge(['sync', '--repo', name], {home})
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /\/etc\/hostname: file: leads outside the repository/)
    assert.deepEqual(configs(), [secondName], 'nothing made of the host file')
    assert.deepEqual(webConfig(), [secondName])

    const down = await runKedge(['down', name], {home})
    assert.equal(down.code, 0, down.stderr)
    assert.deepEqual(services(engine, name), [])
    assert.deepEqual(configs(), [])
  })

  it("interpolates the compose file with the commit's .env, which docker stack deploy does not read itself", async () => {
    const compose = `services:
  app:
    image: kedge-test/busybox:\${TAG}
    command: ${STOPPABLE_COMMAND}
    stop_grace_period: 1s
    deploy:
      update_config: {monitor: 1s, parallelism: 0}
`
    const {name, remote} = await registerStack({'compose.yaml': compose, '.env': 'TAG=2\n'})
    await sync(name)
    assert.equal(specImage(inspectService(engine, `${name}_app`)), 'kedge-test/busybox:2')
    remote.commit({'.env': 'TAG=1\n'}, 'back to :1')
    await sync(name)
    assert.equal(specImage(inspectService(engine, `${name}_app`)), 'kedge-test/busybox:1')
    assert.equal(runningTaskCount(engine, `${name}_app`), 1)
    assert.deepEqual(await drift(name), [])
    assert.equal((await runKedge(['down', name], {home})).code, 0)
  })
})
