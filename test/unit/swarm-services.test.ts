import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {ExternalError} from '../../src/model/errors.js'
import {normalTime} from '../../src/model/swarm/engine-json.js'
import {
  imageDigest,
  imageWithoutDigest,
  parseStackServices,
  parseStackTasks,
  parseSwarmNodes,
  specDigest,
  templateDigest,
  type StackService,
} from '../../src/model/swarm/swarm-services.js'

// The fixtures are the answers of a dockerd 20.10.24 (API 1.41) in a single-node swarm to GET
// /services?status=true, /tasks and /nodes, trimmed to the stack's objects (tasks keep only their image of
// their spec, nodes lose their plugin list). A stack `demo` (web: 2 replicas with a healthcheck, worker,
// agent: global) in these states: normal; drifted (web scaled to 1, `service update --env-add X=1` on
// worker, `--image kedge-test/busybox:2` on agent, an unlabelled demo_extra created by hand); paused (web's
// command exits 3, update paused; agent still updating); redeployed (the good files again); rollback
// (worker exits 3 with failure_action rollback: rollback_completed); drained (the node drained); forced
// (`service update --force` on worker). And a stack `fail` (failing): a service that exits 3, one whose
// image does not exist, one no node satisfies.
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/swarm/${name}.json`, import.meta.url), 'utf8'))
const services = (state: string): StackService[] => parseStackServices(fixture(`${state}.services`))
const named = (state: string, service: string): StackService => services(state).find((candidate) => candidate.service === service)!

describe('parseStackServices', () => {
  it("reads a replicated service of a stack: its name without the namespace, labels, image, replicas and the engine's counts", () => {
    const {specDigest: digest, templateDigest: template, ...web} = named('normal', 'web')
    assert.match(digest, /^[0-9a-f]{64}$/)
    assert.match(template, /^[0-9a-f]{64}$/)
    assert.deepEqual(web, {
      id: 'ayd2trsz87yf5hcb14gzehp60',
      name: 'demo_web',
      namespace: 'demo',
      service: 'web',
      labels: {
        'com.docker.stack.image': 'kedge-test/busybox:1',
        'com.docker.stack.namespace': 'demo',
        'io.kedge.commit': 'c1',
        'io.kedge.config-hash': 'hweb1',
        'io.kedge.managed': 'true',
        'io.kedge.project': 'demo',
        'io.kedge.repo': 'demo',
        'io.kedge.service': 'web',
      },
      managedByKedge: true,
      image: 'kedge-test/busybox:1',
      mode: 'replicated',
      replicas: 2,
      taskCounts: {running: 2, desired: 2},
      updateStatus: null,
      version: web.version,
      createdAt: '2026-12-06T12:43:00.103850054Z',
      updatedAt: '2026-12-06T12:43:00.109768048Z',
    })
    assert.ok(Number.isInteger(web.version) && web.version > 0)
  })

  it('reads a global service without replicas, and sorts services by name', () => {
    const all = services('normal')
    assert.deepEqual(all.map((service) => service.name), ['demo_agent', 'demo_web', 'demo_worker'])
    const agent = all[0]!
    assert.equal(agent.mode, 'global')
    assert.equal(agent.replicas, null)
    assert.deepEqual(agent.taskCounts, {running: 1, desired: 1})
  })

  it('reads a service created by hand in the namespace as not kedge\'s', () => {
    const extra = named('drifted', 'extra')
    assert.equal(extra.managedByKedge, false)
    assert.equal(extra.namespace, 'demo')
    assert.equal(extra.name, 'demo_extra')
  })

  it('reads the update status of a paused update, an update under way and a rollback Swarm completed', () => {
    assert.deepEqual(named('paused', 'web').updateStatus, {
      state: 'paused',
      message: 'update paused due to failure or early termination of task k96u2b2nfdrmoqc74ui808m1p',
      startedAt: '2026-12-06T12:43:30.402493446Z',
      completedAt: null,
    })
    assert.equal(named('paused', 'agent').updateStatus?.state, 'updating')
    assert.deepEqual(named('rollback', 'worker').updateStatus, {
      state: 'rollback_completed',
      message: 'rollback completed',
      startedAt: '2026-12-06T12:44:04.913717783Z',
      completedAt: '2026-12-06T12:44:16.797337249Z',
    })
    // A redeploy that changed the task template completes; one that left it alone leaves no status at all.
    assert.equal(named('redeployed', 'web').updateStatus?.state, 'completed')
    assert.equal(named('redeployed', 'worker').updateStatus, null)
  })

  it('keeps the namespace in the service name of a service outside any stack', () => {
    const [service] = parseStackServices([{...(fixture('normal.services') as object[])[1]!, Spec: {...((fixture('normal.services') as Array<{Spec: object}>)[1]!.Spec), Labels: {}}}])
    assert.equal(service!.namespace, null)
    assert.equal(service!.service, 'demo_web')
  })
})

describe('templateDigest', () => {
  it('changes with what the tasks are made from, and not with the replicas, the labels or the placement alone', () => {
    assert.equal(named('drifted', 'web').templateDigest, named('normal', 'web').templateDigest, 'web was scaled from 2 to 1')
    assert.notEqual(named('drifted', 'worker').templateDigest, named('normal', 'worker').templateDigest, '--env-add X=1')
    assert.notEqual(named('forced', 'worker').templateDigest, named('normal', 'worker').templateDigest, '--force restarts the tasks')
    const spec = {Labels: {a: '1'}, TaskTemplate: {ContainerSpec: {Image: 'img:1'}, Placement: {}}, Mode: {Replicated: {Replicas: 2}}}
    const digest = templateDigest(spec)
    assert.equal(templateDigest({...spec, Labels: {a: '2'}, Mode: {Replicated: {Replicas: 3}}}), digest)
    assert.equal(templateDigest({...spec, TaskTemplate: {...spec.TaskTemplate, Placement: {Constraints: ['node.role==manager']}}}), digest)
    assert.notEqual(templateDigest({...spec, TaskTemplate: {...spec.TaskTemplate, ContainerSpec: {Image: 'img:2'}}}), digest)
  })
})

describe('specDigest', () => {
  it('is the same after a hand scale and after `service update --force`: both are left out of it', () => {
    assert.equal(named('drifted', 'web').specDigest, named('normal', 'web').specDigest, 'web was scaled from 2 to 1')
    assert.equal(named('forced', 'worker').specDigest, named('normal', 'worker').specDigest, 'worker was restarted with --force')
  })

  it('changes with the task template: an added variable, another image; and returns with a rollback', () => {
    assert.notEqual(named('drifted', 'worker').specDigest, named('normal', 'worker').specDigest, '--env-add X=1')
    assert.notEqual(named('drifted', 'agent').specDigest, named('normal', 'agent').specDigest, '--image kedge-test/busybox:2')
    assert.notEqual(named('paused', 'web').specDigest, named('normal', 'web').specDigest, 'a command that exits 3')
    assert.equal(named('rollback', 'worker').specDigest, named('normal', 'worker').specDigest, "Swarm's rollback puts the previous spec back")
  })

  it('covers the mode, update, rollback and endpoint settings but not the labels', () => {
    const spec = {
      Name: 'demo_web',
      Labels: {a: '1'},
      TaskTemplate: {ContainerSpec: {Image: 'img:1'}, ForceUpdate: 0},
      Mode: {Replicated: {Replicas: 2}},
      UpdateConfig: {Parallelism: 1},
      EndpointSpec: {Mode: 'vip'},
    }
    const digest = specDigest(spec)
    assert.equal(specDigest({...spec, Labels: {a: '2'}}), digest)
    assert.equal(specDigest({...spec, TaskTemplate: {...spec.TaskTemplate, ForceUpdate: 3}}), digest)
    assert.equal(specDigest({...spec, Mode: {Replicated: {Replicas: 5}}}), digest)
    assert.notEqual(specDigest({...spec, Mode: {Global: {}}}), digest)
    assert.notEqual(specDigest({...spec, UpdateConfig: {Parallelism: 2}}), digest)
    assert.notEqual(specDigest({...spec, RollbackConfig: {Parallelism: 2}}), digest)
    assert.notEqual(specDigest({...spec, EndpointSpec: {Mode: 'dnsrr'}}), digest)
    // Key order is the JSON's, not the spec's.
    assert.equal(specDigest({EndpointSpec: spec.EndpointSpec, UpdateConfig: spec.UpdateConfig, Mode: spec.Mode, TaskTemplate: {ForceUpdate: 0, ContainerSpec: {Image: 'img:1'}}}), digest)
  })
})

describe('parseStackTasks', () => {
  it("reads a task not placed yet without a node, with the scheduler's reason", () => {
    const tasks = parseStackTasks(fixture('failing.tasks'))
    const pending = tasks.find((task) => task.id === 'n9sj9ig656ja509cf3r1o0npg')
    assert.deepEqual(pending, {
      id: 'n9sj9ig656ja509cf3r1o0npg',
      serviceId: 'vpvte3zm2jpy56r136dubj4el',
      slot: 1,
      nodeId: null,
      state: 'pending',
      desiredState: 'running',
      err: 'no suitable node (scheduling constraints not satisfied on 1 node)',
      message: 'pending task scheduling',
      image: 'kedge-test/busybox:1',
      createdAt: '2026-12-06T12:44:31.804703718Z',
      statusAt: '2026-12-06T12:44:31.861515993Z',
    })
    const rejected = tasks.filter((task) => task.state === 'rejected')
    assert.equal(rejected.length, 5)
    assert.ok(rejected.every((task) => task.err === 'No such image: kedge-test/nosuch:1' && task.nodeId === 'um16rz37qoa760nngmd6zvqz6'))
  })

  it("reads a global service's tasks without a slot, and a failed task's error", () => {
    const tasks = parseStackTasks(fixture('paused.tasks'))
    const agent = tasks.filter((task) => task.serviceId === '44sc8p5qrsx88s1io3wg9bwxn')
    assert.ok(agent.length > 0 && agent.every((task) => task.slot === null))
    const failed = tasks.filter((task) => task.state === 'failed')
    assert.deepEqual(failed.map((task) => [task.slot, task.desiredState, task.err]), [
      [2, 'shutdown', 'task: non-zero exit (3)'],
      [1, 'shutdown', 'task: non-zero exit (3)'],
    ])
  })
})

describe('parseSwarmNodes', () => {
  it('reads the state, availability and role of each node', () => {
    assert.deepEqual(parseSwarmNodes(fixture('nodes')), [{id: 'um16rz37qoa760nngmd6zvqz6', hostname: 'vm', state: 'ready', availability: 'active', role: 'manager'}])
    assert.equal(parseSwarmNodes(fixture('drained.nodes'))[0]!.availability, 'drain')
  })
})

describe('malformed answers', () => {
  const web = () => structuredClone((fixture('normal.services') as Array<Record<string, unknown>>)[1]!)
  const refusal = (detail: RegExp) => (error: unknown) => error instanceof ExternalError && error.code === 'engine_error' && detail.test(error.message)

  it('refuses what is not a list, or an item that is not an object', () => {
    assert.throws(() => parseStackServices({message: 'page not found'}), refusal(/^the engine's service list is malformed: expected a list, got an object$/))
    assert.throws(() => parseStackTasks([null]), refusal(/^the engine's task list, item 1 is malformed: expected an object, got null$/))
    assert.throws(() => parseSwarmNodes('ok'), refusal(/expected a list, got the text "ok"/))
  })

  it('names the item and the field that is missing or of the wrong type', () => {
    const noName = web()
    delete (noName.Spec as Record<string, unknown>).Name
    assert.throws(() => parseStackServices([noName]), refusal(/^the engine's service list, item 1 \(ID ayd2trsz87yf5hcb14gzehp60\) is malformed: Spec\.Name is missing$/))
    const badLabel = web()
    ;(badLabel.Spec as {Labels: Record<string, unknown>}).Labels.x = 5
    assert.throws(() => parseStackServices([web(), badLabel]), refusal(/item 2 \(ID ayd2trsz87yf5hcb14gzehp60\) is malformed: Spec\.Labels\.x is number 5, not a string/))
    const badReplicas = web()
    ;(badReplicas.Spec as {Mode: unknown}).Mode = {Replicated: {Replicas: -1}}
    assert.throws(() => parseStackServices([badReplicas]), refusal(/Spec\.Mode\.Replicated\.Replicas is number -1, not a count/))
    const badTime = web()
    badTime.UpdatedAt = 'yesterday'
    assert.throws(() => parseStackServices([badTime]), refusal(/UpdatedAt is the text "yesterday", not a timestamp/))
    const task = (fixture('normal.tasks') as Array<Record<string, unknown>>)[0]!
    assert.throws(() => parseStackTasks([{...task, Status: {...(task.Status as object), State: 7}}]), refusal(/Status\.State is number 7, not a string/))
    assert.throws(() => parseStackTasks([{...task, Slot: '1'}]), refusal(/Slot is the text "1", not a count/))
  })

  it('refuses a job, which kedge does not read', () => {
    const job = web()
    ;(job.Spec as {Mode: unknown}).Mode = {ReplicatedJob: {MaxConcurrent: 1, TotalCompletions: 1}}
    assert.throws(() => parseStackServices([job]), refusal(/Spec\.Mode is ReplicatedJob: kedge reads replicated and global services only/))
  })
})

describe('engine timestamps', () => {
  it('pads the fraction to nanoseconds, so that timestamps order as text', () => {
    assert.equal(normalTime('2026-12-06T12:44:50.1214Z'), '2026-12-06T12:44:50.121400000Z')
    assert.ok(normalTime('2026-12-06T12:44:50.1214Z')! < normalTime('2026-12-06T12:44:50.12148Z')!)
    assert.equal(normalTime('2026-12-06T12:44:50Z'), '2026-12-06T12:44:50.000000000Z')
  })

  it('brings an offset to UTC and refuses what is no RFC 3339 time', () => {
    assert.equal(normalTime('2026-12-06T13:44:50.5+01:00'), '2026-12-06T12:44:50.500000000Z')
    assert.equal(normalTime('2026-12-06 12:44:50'), null)
    assert.equal(normalTime('2026-12-06T12:44:50.1234567890Z'), null)
  })
})

describe('image references', () => {
  it('splits the digest `--resolve-image` pins from the reference', () => {
    const pinned = 'registry.example/app:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
    assert.equal(imageWithoutDigest(pinned), 'registry.example/app:1')
    assert.equal(imageDigest(pinned), 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef')
    assert.equal(imageWithoutDigest('busybox:1'), 'busybox:1')
    assert.equal(imageDigest('busybox:1'), null)
  })
})
