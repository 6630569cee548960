import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {docker} from '../helpers/docker.js'
import {GitRemote} from '../helpers/git-remote.js'
import {PrivateEngine} from '../helpers/private-engine.js'
import {ServeProcess} from '../helpers/serve.js'
import {uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'
import {TestNetwork} from '../helpers/test-network.js'
import {waitFor} from '../helpers/wait.js'

const NOT_ROOT = process.getuid?.() !== 0 && 'needs root: it creates network namespaces, veth links and Docker daemons in Swarm mode'

/**
 * Three replicas, one per node while all three are up. The tasks stop at once on SIGTERM (a shell as
 * PID 1 ignores it), and an update moves on after a second. No published port and no VIP is needed.
 */
const COMPOSE = `services:
  app:
    image: kedge-test/busybox:1
    command: ["sh", "-c", "trap exit TERM; sleep 100000 & wait"]
    stop_grace_period: 1s
    deploy:
      replicas: 3
      update_config: {monitor: 1s, parallelism: 0}
      restart_policy: {delay: 1s}
`

/** A round every 5 s: serve's drift checks come with its rounds. */
const KEDGE_YAML = 'docker:\n  target: swarm\nreconciliation:\n  interval: 5s\n  health_timeout: 60s\n'

/**
 * Swarm declares a node whose daemon stopped down after about 15 s and starts its tasks elsewhere within a
 * second more (docs/multi-host.md); the rest is room for a loaded machine.
 */
const RESCHEDULED_WITHIN_MS = 45_000

interface HistoryRow {
  commit: string
  trigger: string
  status: string
}

/** The service's tasks that run: desired running, running, on a node the manager sees ready (as kedge counts them). */
function runningTaskNodes(manager: PrivateEngine, service: string): string[] {
  const ready = new Set(manager.docker('node', 'ls', '--format', '{{.ID}} {{.Status}}').split('\n').filter((line) => line.endsWith(' Ready')).map((line) => line.split(' ')[0]!))
  const ids = manager.docker('service', 'ps', '--quiet', '--filter', 'desired-state=running', service).split('\n').filter(Boolean)
  if (ids.length === 0) return []
  return manager
    .docker('inspect', '--format', '{{.Status.State}} {{.NodeID}}', ...ids)
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ') as [string, string])
    .filter(([state, node]) => state === 'running' && ready.has(node))
    .map(([, node]) => node)
    .sort()
}

function nodeState(manager: PrivateEngine, nodeId: string): string {
  return manager.docker('node', 'inspect', '--format', '{{.Status.State}}', nodeId).trim()
}

/** What the test made, for the last test to check that nothing of it is left. */
const made = {prefixes: [] as string[], engineRoots: [] as string[], servePid: 0}

describe('a swarm stack over three nodes, under kedge serve', {skip: NOT_ROOT, timeout: 300_000}, () => {
  it('spreads the replicas, leaves a failover to Swarm without redeploying, and heals a scale made by hand', {timeout: 240_000}, async (t) => {
    const network = TestNetwork.create()
    made.prefixes.push(network.prefix)
    const engines = [network.addNode(), network.addNode(), network.addNode()].map((node) => new PrivateEngine({netns: node}))
    made.engineRoots.push(...engines.map((engine) => engine.root))
    const [manager, ...workers] = engines as [PrivateEngine, PrivateEngine, PrivateEngine]
    const [, stopped] = workers
    await Promise.all(engines.map((engine) => engine.start()))
    // No node reaches a registry: each has the image loaded, with the same id everywhere.
    for (const engine of engines) engine.loadImagesFrom('1')
    await manager.swarmInit()
    for (const worker of workers) await worker.swarmJoin(manager)
    const nodeIds = engines.map((engine) => engine.swarmNodeId)

    const home = tempDir()
    const added = await runKedge(['engine', 'add', 'cluster', '--host', `unix://${manager.socket}`], {home})
    assert.equal(added.code, 0, added.stderr)
    const name = uniqueName()
    const service = `${name}_app`
    const remote = GitRemote.create({'compose.yaml': COMPOSE, 'kedge.yaml': KEDGE_YAML})
    const registered = await runKedge(['repo', 'add', remote.fileUrl, '--name', name, '--engine', 'cluster'], {home})
    assert.equal(registered.code, 0, registered.stderr)
    const history = async () => (await runKedgeJson<HistoryRow[]>(['history', name, '--limit', '100'], {home})).json
    /** Serve's drift check of the stack that began after `since`, as it recorded it: read before any `kedge diff`, which records one too. */
    const driftCheckAfter = (since: Date) =>
      waitFor(`a drift check of serve after ${since.toISOString()}`, async () => {
        const [stack] = (await runKedgeJson<Array<{drift: {entries: unknown[]; checkedAt: string | null}}>>(['status', name], {home})).json
        return stack!.drift.checkedAt !== null && new Date(stack!.drift.checkedAt) > since && stack!.drift
      }, 30_000, 500)

    const serve = new ServeProcess(home)
    made.servePid = serve.pid

    await t.test('serve deploys the stack: one replica on each node', async () => {
      await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === name, 60_000)
      assert.deepEqual((await history()).map((row) => [row.commit, row.status]), [[remote.head(), 'success']])
      assert.deepEqual(runningTaskNodes(manager, service), [...nodeIds].sort())
    })

    const rowsBeforeFailover = await history()
    await t.test('a worker whose daemon stops: Swarm starts its task on the other nodes, and serve deploys nothing', async () => {
      const lostNode = stopped.swarmNodeId
      const logFrom = serve.lines.length
      await stopped.stop()
      const survivors = nodeIds.filter((id) => id !== lostNode).sort()
      // Until the manager declares the node down, it counts the task there as running.
      const nodes = await waitFor('three tasks running on the two nodes left', () => {
        const running = runningTaskNodes(manager, service)
        return running.length === 3 && !running.includes(lostNode) && running
      }, RESCHEDULED_WITHIN_MS, 250)
      assert.deepEqual([...new Set(nodes)].sort(), survivors)
      assert.equal(nodeState(manager, lostNode), 'down')
      // Serve checks the stack after the failover, finds it as the commit wants it, and has deployed nothing.
      assert.deepEqual((await driftCheckAfter(new Date())).entries, [])
      assert.deepEqual(await history(), rowsBeforeFailover)
      assert.deepEqual(serve.lines.slice(logFrom).filter((line) => /^(deploy|drift)\.(succeeded|failed|healed|heal_failed)$/.test(line.event)), [])
      const diff = await runKedgeJson<{drift: unknown[]}>(['diff', '--repo', name], {home})
      assert.deepEqual(diff.json.drift, [])
    })

    await t.test('the worker back: it rejoins, no task moves back, and serve deploys nothing', async () => {
      const logFrom = serve.lines.length
      const before = runningTaskNodes(manager, service)
      await stopped.start()
      await waitFor('the worker to be ready again', () => nodeState(manager, stopped.swarmNodeId) === 'ready', 30_000)
      assert.deepEqual((await driftCheckAfter(new Date())).entries, [])
      assert.deepEqual(serve.lines.slice(logFrom).filter((line) => /^(deploy|drift)\.(succeeded|failed|healed|heal_failed)$/.test(line.event)), [])
      // Swarm does not rebalance, and kedge does not force it to.
      assert.deepEqual(runningTaskNodes(manager, service), before)
      assert.equal(stopped.docker('ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${service}`).trim(), '')
      assert.deepEqual(await history(), rowsBeforeFailover)
    })

    await t.test('a scale to one by hand: serve heals it back to three replicas, one drift row', async () => {
      const logFrom = serve.lines.length
      manager.docker('service', 'scale', '--detach', `${service}=1`)
      const healed = await serve.waitForLog((line) => line.event === 'drift.healed' && line.repo === name, 60_000, logFrom)
      assert.equal(healed.commit, remote.head().slice(0, 12))
      const rows = await history()
      assert.deepEqual(rows.map((row) => [row.trigger, row.status]), [['drift', 'success'], ...rowsBeforeFailover.map((row) => [row.trigger, row.status])])
      assert.equal(manager.docker('service', 'inspect', '--format', '{{.Spec.Mode.Replicated.Replicas}}', service).trim(), '3')
      await waitFor('three tasks running', () => runningTaskNodes(manager, service).length === 3, 30_000, 250)
    })

    assert.equal(await serve.stop(), 0)
    await network.destroy()
  })

  it('leaves no namespace, link, mount, daemon or serve behind, and the main engine out of swarm mode', (t) => {
    if (made.prefixes.length === 0) {
      t.skip('the test that makes them did not run')
      return
    }
    const ours = (text: string) => [...made.prefixes, ...made.engineRoots].some((name) => text.includes(name))
    assert.deepEqual((existsSync('/run/netns') ? readdirSync('/run/netns') : []).filter(ours), [])
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
    assert.equal(existsSync(`/proc/${made.servePid}`), false)
    assert.deepEqual(made.engineRoots.filter((root) => existsSync(root)), [])
    assert.equal(docker('info', '--format', '{{.Swarm.LocalNodeState}}').trim(), 'inactive')
  })
})
