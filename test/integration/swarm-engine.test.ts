import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {before, describe, it} from 'node:test'

import {stackCliFor} from '../../src/adapters/compose/stack-cli.js'
import {createDockerEngine} from '../../src/adapters/engine/docker-engine.js'
import {LOCAL_ENGINE} from '../../src/adapters/engine/engine-errors.js'
import {swarmRequests} from '../../src/adapters/engine/swarm-requests.js'
import {unixTransport} from '../../src/adapters/engine/unix-transport.js'
import {LABELS} from '../../src/model/compose/labels.js'
import {STACK_NAMESPACE_LABEL} from '../../src/model/swarm/swarm-services.js'
import {runningTasks} from '../../src/model/swarm/swarm-state.js'
import {NetworkInUseError, NotSwarmManagerError} from '../../src/ports/engine.js'
import {StackDeployFailedError, type StackProject} from '../../src/ports/stack-cli.js'
import {docker} from '../helpers/docker.js'
import {PrivateEngine} from '../helpers/private-engine.js'
import {tempDir} from '../helpers/temp.js'
import {waitFor} from '../helpers/wait.js'

const isRoot = process.getuid?.() === 0

/** A shell that ends at once on SIGTERM, so that a task stops within its 1 s grace, not after 10 s. */
const QUICK_STOP = `    command: ["sh", "-c", "trap exit TERM; sleep 100000 & wait"]
    stop_grace_period: 1s`

/**
 * Two services on two networks, with a config and a secret: `a` the image `TAG` names, twice. No
 * published port: this kernel has no IPVS, so Swarm's ingress does not work here.
 */
const COMPOSE = `services:
  a:
    image: kedge-test/busybox:\${TAG}
${QUICK_STOP}
    networks: [default, back]
    configs: [cfg]
    secrets: [sec]
    deploy:
      replicas: 2
      update_config: {parallelism: 0, monitor: 1s}
  b:
    image: kedge-test/busybox:1
${QUICK_STOP}
    networks: [back]
networks:
  back:
    attachable: true
configs:
  cfg:
    file: ./cfg.txt
secrets:
  sec:
    file: ./sec.txt
`

/** kedge's labels, as its override file puts them: on the service, and on the default network. */
const OVERRIDE = `services:
  a:
    deploy:
      labels:
        ${LABELS.managed}: "true"
networks:
  default:
    labels:
      ${LABELS.managed}: "true"
`

/** A limit the engine refuses only once the CLI asks it to update the service. */
const REFUSED_BY_THE_ENGINE = `services:
  b:
    deploy:
      resources:
        limits:
          memory: 1b
`

describe('swarm stacks through the engine adapter and the docker CLI', {skip: isRoot ? false : 'starts a Docker daemon of its own, which needs root', timeout: 300_000}, () => {
  const engine = new PrivateEngine()
  const dir = tempDir('kedge-swarm-')
  const stackDir = path.join(dir, 'stacks', 'demo')
  const generated = path.join(dir, 'generated')
  const files = {compose: path.join(stackDir, 'compose.yaml'), override: path.join(generated, 'override.yaml'), refused: path.join(generated, 'refused.yaml')}
  const adapter = createDockerEngine(unixTransport(engine.socket))
  const stacks = stackCliFor({DOCKER_HOST: `unix://${engine.socket}`})
  const project = (tag: string, extra: string[] = []): StackProject => ({namespace: 'demo', directory: stackDir, files: [files.compose, files.override, ...extra], environment: {TAG: tag}})

  before(async () => {
    mkdirSync(stackDir, {recursive: true})
    mkdirSync(generated, {recursive: true})
    writeFileSync(files.compose, COMPOSE)
    writeFileSync(path.join(stackDir, 'cfg.txt'), 'level=info\n')
    writeFileSync(path.join(stackDir, 'sec.txt'), 'not-a-real-password\n')
    writeFileSync(files.override, OVERRIDE)
    writeFileSync(files.refused, REFUSED_BY_THE_ENGINE)
    await engine.start()
    engine.loadImagesFrom('kedge-test/busybox:1', 'kedge-test/busybox:2')
  })

  it('refuses to read or deploy a stack on an engine in no swarm, and says why', async () => {
    for (const call of [() => adapter.swarmState('demo'), () => adapter.listStackObjects('demo'), () => adapter.removeService('x')]) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof NotSwarmManagerError, String(error))
        assert.equal(error.message, 'the Docker engine is not a swarm manager: a swarm stack is deployed and read through a manager')
        assert.match(error.hint ?? '', /docker swarm init/)
        return true
      })
    }
    await assert.rejects(stacks.deploy(project('1'), {prune: false}), (error: unknown) => {
      assert.ok(error instanceof StackDeployFailedError, String(error))
      assert.match(error.message, /^docker stack deploy failed: this node is not a swarm manager/)
      return true
    })
  })

  describe('on a single-node swarm', () => {
    before(() => engine.swarmInit())

    it('deploys the files in order with the interpolation variables, and reads the stack back: its services, their tasks, the nodes', async () => {
      engine.docker('service', 'create', '--detach', '--name', 'other_web', '--label', `${STACK_NAMESPACE_LABEL}=other`, 'kedge-test/busybox:1', 'sleep', '100000')
      await stacks.deploy(project('1'), {prune: false})
      const state = await waitFor('both replicas of demo_a and the one of demo_b to run', async () => {
        const read = await adapter.swarmState('demo')
        const running = read.services.map((service) => runningTasks(service, read).length)
        return running.join(',') === '2,1' && read
      })
      assert.deepEqual(state.services.map((service) => [service.name, service.service, service.namespace]), [['demo_a', 'a', 'demo'], ['demo_b', 'b', 'demo']])
      const [a, b] = state.services
      assert.equal(a!.managedByKedge, true, 'the override file came last, with kedge\'s labels')
      assert.equal(b!.managedByKedge, false)
      assert.match(a!.image, /^kedge-test\/busybox:1(@|$)/, 'TAG reached the CLI through its environment')
      assert.equal(a!.replicas, 2)
      assert.deepEqual(new Set(state.tasks.map((task) => task.serviceId)), new Set([a!.id, b!.id]), 'the tasks of this stack only')
      assert.deepEqual(state.nodes.map((node) => [node.state, node.availability, node.role]), [['ready', 'active', 'manager']])
      assert.deepEqual((await adapter.swarmState('nothing-here')).services, [])
      assert.deepEqual((await adapter.swarmState('nothing-here')).tasks, [], 'no services: no tasks, not every task of the swarm')
    })

    it('lists the networks, configs and secrets of the stack, with their labels', async () => {
      const objects = await adapter.listStackObjects('demo')
      assert.deepEqual(objects.networks.map((network) => network.name), ['demo_back', 'demo_default'])
      assert.deepEqual(objects.configs.map((config) => config.name), ['demo_cfg'])
      assert.deepEqual(objects.secrets.map((secret) => secret.name), ['demo_sec'])
      const [back, byDefault] = objects.networks
      assert.equal(byDefault!.labels[LABELS.managed], 'true')
      assert.equal(back!.labels[LABELS.managed], undefined)
      for (const object of [...objects.networks, ...objects.configs, ...objects.secrets]) assert.equal(object.labels[STACK_NAMESPACE_LABEL], 'demo')
      assert.deepEqual(await adapter.listStackObjects('nothing-here'), {networks: [], configs: [], secrets: []})
    })

    it('updates the stack; the engine\'s refusal fails the deploy with its line, without the unpinned-image warning', async () => {
      await stacks.deploy(project('2'), {prune: false})
      const updated = (await adapter.swarmState('demo')).services.find((service) => service.service === 'a')!
      assert.match(updated.image, /^kedge-test\/busybox:2(@|$)/)
      await assert.rejects(stacks.deploy(project('1', [files.refused]), {prune: false}), (error: unknown) => {
        assert.ok(error instanceof StackDeployFailedError, String(error))
        assert.match(error.message, /^docker stack deploy failed: failed to update service demo_b: invalid memory value 1: Must be at least 4MiB$/)
        return true
      })
    })

    it('keeps a network a service uses, at once, and one a container holds, for a bounded time', async () => {
      const [back] = (await adapter.listStackObjects('demo')).networks
      const started = Date.now()
      await assert.rejects(adapter.removeNetwork(back!.id), (error: unknown) => {
        assert.ok(error instanceof NetworkInUseError, String(error))
        assert.match(error.usedBy, /^service \w+$/)
        assert.equal(error.networkId, back!.id)
        return true
      })
      assert.ok(Date.now() - started < 5_000, 'waiting would not make a service let go of it')

      const patient = swarmRequests(unixTransport(engine.socket), LOCAL_ENGINE, {networkInUseWaitMs: 1_500})
      for (const service of (await adapter.swarmState('demo')).services) await adapter.removeService(service.id)
      const attached = engine.docker('run', '--detach', '--network', 'demo_back', 'kedge-test/busybox:1', 'sleep', '100000').trim()
      const waited = Date.now()
      await assert.rejects(patient.removeNetwork(back!.id), (error: unknown) => {
        assert.ok(error instanceof NetworkInUseError, String(error))
        assert.match(error.usedBy, /^task \w+$/)
        return true
      })
      assert.ok(Date.now() - waited >= 1_500, 'it waited for the tasks to stop')
      engine.docker('rm', '--force', attached)
      await patient.removeNetwork(back!.id)
    })

    it('removes the rest of the stack, and takes what is gone already for removed', async () => {
      const objects = await adapter.listStackObjects('demo')
      for (const network of objects.networks) await adapter.removeNetwork(network.id)
      for (const config of objects.configs) await adapter.removeConfig(config.id)
      for (const secret of objects.secrets) await adapter.removeSecret(secret.id)
      const state = await adapter.swarmState('demo')
      assert.deepEqual(state.services, [])
      const left = await adapter.listStackObjects('demo')
      assert.deepEqual([left.configs, left.secrets], [[], []])
      // Removed again: gone from the swarm, and at most a copy on the node while its last task stops.
      for (const network of objects.networks) await adapter.removeNetwork(network.id)
      for (const config of objects.configs) await adapter.removeConfig(config.id)
      for (const secret of objects.secrets) await adapter.removeSecret(secret.id)
      await adapter.removeService('no-such-service')
      await waitFor('the stack\'s networks to be gone from the node too', async () => (await adapter.listStackObjects('demo')).networks.length === 0)
      assert.deepEqual(
        (await adapter.swarmState('other')).services.map((service) => service.name),
        ['other_web'],
        'another stack is untouched',
      )
    })
  })

  it('never touches the main engine\'s swarm', () => {
    assert.equal(docker('info', '--format', '{{.Swarm.LocalNodeState}}').trim(), 'inactive')
  })
})
