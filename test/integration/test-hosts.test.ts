import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {docker} from '../helpers/docker.js'
import {EngineSshServer} from '../helpers/engine-ssh-server.js'
import {PrivateEngine} from '../helpers/private-engine.js'
import {tempDir} from '../helpers/temp.js'
import {TestNetwork} from '../helpers/test-network.js'
import {createTlsCertificates} from '../helpers/tls-certs.js'
import {waitFor} from '../helpers/wait.js'

const NOT_ROOT = process.getuid?.() !== 0 && 'needs root: it creates network namespaces, veth links and Docker daemons'

/** A task that stops at once on SIGTERM: a shell as PID 1 ignores it, and each stop would cost the grace period. */
const STOPPABLE_COMMAND = '["sh", "-c", "trap exit TERM; sleep 100000 & wait"]'

/** What the tests made, for the last one to check that their teardown left none of it. */
const made = {prefixes: [] as string[], engineRoots: [] as string[]}

function createNetwork(): TestNetwork {
  const network = TestNetwork.create()
  made.prefixes.push(network.prefix)
  return network
}

function createEngine(...options: ConstructorParameters<typeof PrivateEngine>): PrivateEngine {
  const engine = new PrivateEngine(...options)
  made.engineRoots.push(engine.root)
  return engine
}

/** The docker CLI with only the endpoint given on its command line: nothing inherited may point it elsewhere. */
function dockerAt(args: string[]): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^DOCKER_(HOST|CONTEXT|TLS_VERIFY|CERT_PATH|TLS)$/.test(name)))
  return execFileSync('docker', args, {env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
}

/** The stderr of a docker CLI run that must fail. */
function refusal(args: string[]): string {
  try {
    dockerAt(args)
  } catch (error) {
    return String((error as {stderr?: string}).stderr)
  }
  assert.fail(`docker ${args.join(' ')} succeeded`)
}

const mainEngineSwarmState = () => docker('info', '--format', '{{.Swarm.LocalNodeState}}').trim()

function writeStack(replicas: number): string {
  const file = path.join(tempDir('kedge-stack-'), 'stack.yaml')
  writeFileSync(
    file,
    [
      'version: "3.8"',
      'services:',
      '  app:',
      '    image: kedge-test/busybox:1',
      `    command: ${STOPPABLE_COMMAND}`,
      '    stop_grace_period: 1s',
      '    deploy:',
      `      replicas: ${replicas}`,
      '',
    ].join('\n'),
  )
  return file
}

/** The running tasks of a service, as the manager sees them. */
function runningTasks(manager: PrivateEngine, service: string): Array<{nodeId: string; containerId: string}> {
  const ids = manager.docker('service', 'ps', '--quiet', '--filter', 'desired-state=running', service).split('\n').filter(Boolean)
  if (ids.length === 0) return []
  return manager
    .docker('inspect', '--format', '{{.Status.State}} {{.NodeID}} {{.Status.ContainerStatus.ContainerID}}', ...ids)
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' '))
    .filter(([state]) => state === 'running')
    .map(([, nodeId, containerId]) => ({nodeId: nodeId!, containerId: containerId!}))
}

describe('the test bed for remote engines and Swarm', {skip: NOT_ROOT, timeout: 180_000}, () => {
  it('a node engine answers over its unix socket, over tcp with TLS (refusing a wrong CA or no client certificate), and over an ssh tunnel', {timeout: 60_000}, async () => {
    const network = createNetwork()
    const node = network.addNode()
    const certs = createTlsCertificates({ipAddresses: [node.address]})
    const engine = createEngine({netns: node, tls: certs})
    await engine.start()

    const mainId = docker('info', '--format', '{{.ID}}').trim()
    const engineId = engine.docker('info', '--format', '{{.ID}}').trim()
    assert.notEqual(engineId, mainId)
    assert.equal(engine.docker('info', '--format', '{{.DockerRootDir}}').trim(), path.join(engine.root, 'data'))

    const tlsFlags = (ca: string) => ['--tlsverify', '--tlscacert', ca, '--tlscert', certs.client.certFile, '--tlskey', certs.client.keyFile, '-H', engine.tcpHost]
    assert.equal(dockerAt([...tlsFlags(certs.ca.certFile), 'info', '--format', '{{.ID}}']).trim(), engineId)
    assert.match(engine.tcpHost, new RegExp(`^tcp://${node.address.replaceAll('.', '\\.')}:2376$`))
    const otherCa = createTlsCertificates({ipAddresses: [node.address]})
    assert.match(refusal([...tlsFlags(otherCa.ca.certFile), 'version']), /certificate signed by unknown authority/)
    assert.match(refusal(['--tlsverify', '--tlscacert', certs.ca.certFile, '-H', engine.tcpHost, 'version']), /bad certificate|certificate required/)

    const sshd = await EngineSshServer.start(node, engine.socket)
    // A docker run in an ssh session reaches the node's engine: the server sets DOCKER_HOST for it.
    const remoteId = execFileSync('ssh', [...sshd.clientOptions, sshd.destination, "docker info --format '{{.ID}}'"], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
    assert.equal(remoteId.trim(), engineId)

    const localSocket = path.join(tempDir('kedge-tunnel-'), 'e.sock')
    const tunnel = spawn(
      'ssh',
      [...sshd.clientOptions, '-o', 'ExitOnForwardFailure=yes', '-o', 'StreamLocalBindUnlink=yes', '-N', '-L', `${localSocket}:${engine.socket}`, sshd.destination],
      {stdio: ['ignore', 'ignore', 'pipe']},
    )
    let tunnelLog = ''
    tunnel.stderr.on('data', (chunk: Buffer) => (tunnelLog += chunk.toString()))
    const tunnelExited = new Promise((resolve) => tunnel.once('exit', resolve))
    after(async () => {
      if (tunnel.exitCode === null && tunnel.signalCode === null) tunnel.kill('SIGTERM')
      await tunnelExited
    })
    // Ready once the engine answers through it: the socket file appears before ssh forwards anything, and a stale one would not.
    const throughTunnel = (...args: string[]) => dockerAt(['-H', `unix://${localSocket}`, ...args])
    await waitFor('the engine to answer through the ssh tunnel', () => {
      if (tunnel.exitCode !== null || tunnel.signalCode !== null) throw new Error(`ssh exited with ${tunnel.exitCode ?? tunnel.signalCode}: ${tunnelLog}`)
      try {
        return throughTunnel('version', '--format', '{{.Server.Version}}').trim()
      } catch (error) {
        throw new Error(`${String((error as {stderr?: string}).stderr).trim()} (ssh: ${tunnelLog.trim()}; sshd: ${sshd.log.trim()})`)
      }
    }, 15_000, 50)
    assert.equal(throughTunnel('info', '--format', '{{.ID}}').trim(), engineId)
  })

  it('a single-node swarm on a private engine deploys a stack and runs its task', {timeout: 60_000}, async () => {
    const engine = createEngine()
    await engine.start()
    engine.loadImagesFrom('1')
    await engine.swarmInit()
    assert.equal(mainEngineSwarmState(), 'inactive')

    // No registry answers here: the image is the one loaded, not resolved to a digest.
    engine.docker('stack', 'deploy', '--resolve-image', 'never', '--compose-file', writeStack(1), 'bed')
    const [task] = await waitFor('the stack task to run', () => {
      const tasks = runningTasks(engine, 'bed_app')
      return tasks.length === 1 && tasks
    }, 30_000, 200)
    const container = engine.docker('inspect', '--format', '{{.State.Status}} {{.Config.Image}}', task!.containerId).trim()
    assert.match(container, /^running kedge-test\/busybox:1(@sha256:[0-9a-f]+)?$/)
    assert.equal(task!.nodeId, engine.swarmNodeId)
    // The task is the private engine's: the main engine knows nothing of it.
    assert.equal(docker('ps', '--all', '--quiet', '--filter', 'label=com.docker.swarm.service.name=bed_app').trim(), '')
  })

  it('three nodes form a swarm, and a 3-replica service runs one task on each node, reaching each other over the overlay', {timeout: 90_000}, async () => {
    const network = createNetwork()
    const engines = [network.addNode(), network.addNode(), network.addNode()].map((node) => createEngine({netns: node}))
    await Promise.all(engines.map((engine) => engine.start()))
    for (const engine of engines) engine.loadImagesFrom('1')
    const [manager, ...workers] = engines as [PrivateEngine, PrivateEngine, PrivateEngine]
    await manager.swarmInit()
    for (const worker of workers) await worker.swarmJoin(manager)
    const nodeIds = engines.map((engine) => engine.swarmNodeId)
    assert.equal(new Set(nodeIds).size, 3)
    assert.deepEqual(manager.docker('node', 'ls', '--format', '{{.ID}} {{.Status}}').split('\n').filter(Boolean).sort(), nodeIds.map((id) => `${id} Ready`).sort())
    assert.equal(mainEngineSwarmState(), 'inactive')

    manager.docker('stack', 'deploy', '--resolve-image', 'never', '--compose-file', writeStack(3), 'spread')
    const tasks = await waitFor('three running tasks', () => {
      const running = runningTasks(manager, 'spread_app')
      return running.length === 3 && running
    }, 45_000, 200)
    assert.deepEqual(tasks.map((task) => task.nodeId).sort(), [...nodeIds].sort())
    // Each engine runs the one container its node's task says.
    for (const [index, engine] of engines.entries()) {
      const local = engine.docker('ps', '--quiet', '--no-trunc', '--filter', 'label=com.docker.swarm.service.name=spread_app').split('\n').filter(Boolean)
      assert.deepEqual(local, [tasks.find((task) => task.nodeId === nodeIds[index])!.containerId])
    }

    // The stack's overlay carries traffic between nodes: the manager's task pings a worker's.
    const containerOn = (engine: PrivateEngine) => tasks.find((task) => task.nodeId === engine.swarmNodeId)!.containerId
    const workerAddress = workers[1].docker('inspect', '--format', '{{(index .NetworkSettings.Networks "spread_default").IPAddress}}', containerOn(workers[1])).trim()
    assert.match(workerAddress, /^\d+\.\d+\.\d+\.\d+$/)
    await waitFor(`the manager's task to ping ${workerAddress} across the overlay`, () => {
      manager.docker('exec', containerOn(manager), 'ping', '-c', '1', '-W', '2', workerAddress)
      return true
    }, 20_000, 200)
  })

  it('leaves no namespace, link, mount or daemon behind, and the main engine out of swarm mode', (t) => {
    if (made.prefixes.length === 0 && made.engineRoots.length === 0) {
      t.skip('no test of this file that makes them ran')
      return
    }
    const ours = (text: string) => [...made.prefixes, ...made.engineRoots].some((name) => text.includes(name))
    const namespaces = existsSync('/run/netns') ? readdirSync('/run/netns') : []
    assert.deepEqual(namespaces.filter(ours), [])
    const links = execFileSync('ip', ['-o', 'link', 'show'], {encoding: 'utf8'}).split('\n').map((line) => line.split(':')[1]?.trim() ?? '')
    assert.deepEqual(links.filter(ours), [])
    assert.deepEqual(readFileSync('/proc/mounts', 'utf8').split('\n').filter(ours), [])
    const commandLines = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
        } catch {
          return ''
        }
      })
    assert.deepEqual(commandLines.filter(ours), [])
    assert.deepEqual(made.engineRoots.filter((root) => existsSync(root)), [])
    assert.equal(mainEngineSwarmState(), 'inactive')
  })
})
