import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'

import {DEFAULT_ENDPOINTS} from '../../src/model/notify/channel-message.js'
import type {OutgoingRequest} from '../../src/model/notify/outgoing-message.js'
import type {DeploymentRow} from '../../src/model/rows.js'
import type {Drift} from '../../src/model/stack/drift.js'
import {addChannel} from '../../src/usecases/notifying/channels.js'
import {sealBinding} from '../../src/usecases/repositories/credentials.js'
import {Notifier, type NotifierSettings} from '../../src/usecases/notifying/notifier.js'
import {fakeWorld, registerRepository} from '../helpers/fake-ports.js'
import {waitFor} from '../helpers/wait.js'

const STOPPED: Drift = {service: 'web', type: 'stopped', expected: 'running', actual: 'exited (0)', container: 'web-1', containerId: 'abc'}

function setUp(settings: Partial<NotifierSettings> = {}) {
  const world = fakeWorld()
  after(() => world.cleanup())
  const logged: Array<{event: string; fields: Record<string, string>}> = []
  const notifier = new Notifier(world.context, {
    foldWindowMs: 60_000,
    errorAfterMs: 5 * 60_000,
    sendTimeoutMs: 1000,
    retryDelaysMs: [],
    publicUrl: null,
    host: 'host-1',
    endpoints: DEFAULT_ENDPOINTS,
    log: (_level, event, fields) => logged.push({event, fields}),
    ...settings,
  })
  const {repository, target} = registerRepository(world.store, {name: 'web', url: 'https://git.example/acme/web.git', branch: 'main', createdAt: new Date()})
  addChannel(world.context, {url: 'json://receiver.example/kedge'})
  const bodies = () => world.messenger.sent.map((message) => JSON.parse((message as OutgoingRequest).body) as Record<string, unknown>)
  return {world, notifier, repository, target, logged, bodies}
}

function finished(target: ReturnType<typeof setUp>['target'], fields: Partial<DeploymentRow>): DeploymentRow {
  const startedAt = new Date(1_700_000_000_000)
  return {
    id: 1, repositoryId: target.repository.id, stackId: target.stack.id, commit: 'a'.repeat(40), trigger: 'git', status: 'success', startedAt,
    finishedAt: new Date(startedAt.getTime() + 4000), error: null, snapshot: null, replacedCommit: null, note: null, project: 'web',
    interrupted: false, leftFailed: false, reason: JSON.stringify({source: 'webhook', files: ['compose.yaml'], services: [{service: 'web', action: 'recreate'}]}), hooks: null, buildOutput: null, engineId: null,
    ...fields,
  }
}

describe('the notifier', () => {
  it('sends 50 identical drift events in a minute as one message, then one with the count of the 49 it folded', async () => {
    const {notifier, target, world, bodies} = setUp({foldWindowMs: 300})
    // A container that keeps stopping: each check finds it stopped, the next one running again.
    for (let i = 0; i < 50; i++) {
      notifier.announce({kind: 'drift_checked', target, drift: [STOPPED], mode: 'notify'})
      notifier.announce({kind: 'drift_checked', target, drift: [], mode: 'notify'})
    }
    await notifier.drain(1000)
    assert.equal(world.messenger.sent.length, 1)
    assert.equal(bodies()[0]!.event, 'drift_detected')
    assert.equal(bodies()[0]!.folded, 0)
    await waitFor('the window to close', () => world.messenger.sent.length === 2, 5000)
    assert.equal(bodies()[1]!.folded, 49)
    assert.match(String(bodies()[1]!.message), /49 more like this in the last 300ms/)
    assert.deepEqual(notifier.totals().sort((a, b) => a.result.localeCompare(b.result)), [
      {channel: 'json', result: 'folded', total: 49},
      {channel: 'json', result: 'sent', total: 2},
    ])
  })

  it('does not fold deploys of different commits, nor another stack\'s event', async () => {
    const {notifier, target, world} = setUp()
    notifier.announce({kind: 'deployment_finished', target, deployment: finished(target, {commit: 'a'.repeat(40)}), previousCommit: null})
    notifier.announce({kind: 'deployment_finished', target, deployment: finished(target, {commit: 'b'.repeat(40)}), previousCommit: 'a'.repeat(40)})
    notifier.announce({kind: 'drift_checked', target, drift: [STOPPED], mode: 'notify'})
    notifier.announce({kind: 'drift_checked', target: {...target, stack: {...target.stack, id: target.stack.id + 1, name: 'other'}}, drift: [STOPPED], mode: 'notify'})
    await notifier.drain(1000)
    assert.equal(world.messenger.sent.length, 4)
  })

  it('carries the deploy and its reason in one line, with Apprise\'s title, message and type', async () => {
    const {notifier, target, bodies} = setUp()
    notifier.announce({kind: 'deployment_finished', target, deployment: finished(target, {status: 'failed', error: 'compose could not up: boom'}), previousCommit: 'b'.repeat(40)})
    await notifier.drain(1000)
    const [body] = bodies()
    assert.equal(body!.event, 'deploy_failed')
    assert.equal(body!.type, 'failure')
    assert.equal(body!.title, 'web: deploy of aaaaaaa failed')
    assert.equal(body!.previous_commit, 'b'.repeat(40))
    assert.equal(body!.reason, 'webhook: compose.yaml changed; recreate web')
    assert.match(String(body!.message), /compose could not up: boom/)
  })

  it('tells in auto mode of a swarm service kedge leaves to Swarm, saying it will not redeploy for it', async () => {
    const {notifier, target, bodies} = setUp({foldWindowMs: 0})
    const degraded = {service: 'web', type: 'degraded' as const, expected: '3 running tasks', actual: '2 running tasks', container: 'shop_web', containerId: null}
    notifier.announce({kind: 'drift_checked', target, drift: [degraded], mode: 'auto'})
    await notifier.drain(1000)
    const [body] = bodies()
    assert.equal(body!.event, 'drift_detected')
    assert.equal(body!.title, 'web: drift detected (auto mode)')
    assert.match(String(body!.message), /kedge does not redeploy for it: Swarm places the tasks of a degraded service itself/)
  })

  it('tells of drift a check finds again only once, until a check finds none', async () => {
    const {notifier, target, world} = setUp({foldWindowMs: 0})
    for (let i = 0; i < 5; i++) notifier.announce({kind: 'drift_checked', target, drift: [STOPPED], mode: 'manual'})
    notifier.announce({kind: 'drift_checked', target, drift: [STOPPED, {...STOPPED, service: 'db'}], mode: 'manual'})
    await notifier.drain(1000)
    assert.equal(world.messenger.sent.length, 2)
  })

  it('tells of new images pending in notify mode, each digest once, with the sync that applies them', async () => {
    const {notifier, target, world, bodies} = setUp({foldWindowMs: 0})
    const update = {image: '127.0.0.1:5000/shop/web:1', from: `sha256:${'1'.repeat(64)}`, to: `sha256:${'2'.repeat(64)}`, services: ['web', 'worker']}
    for (let i = 0; i < 3; i++) notifier.announce({kind: 'images_pending', target, updates: [update], mode: 'notify'})
    notifier.announce({kind: 'images_pending', target, updates: [{...update, to: `sha256:${'3'.repeat(64)}`}], mode: 'notify'})
    await notifier.drain(1000)
    assert.equal(world.messenger.sent.length, 2)
    const [first, second] = bodies()
    assert.equal(first!.event, 'images_pending')
    assert.equal(first!.type, 'info')
    assert.equal(first!.title, 'web: new images behind a tag (notify mode)')
    assert.equal(
      String(first!.message).split('\n').slice(0, 2).join('\n'),
      '127.0.0.1:5000/shop/web:1 (web, worker): 111111111111 → 222222222222\nkedge leaves them to you in notify mode: "kedge sync --repo web" pulls them and recreates the services that use them.',
    )
    assert.equal(first!.reason, 'images: 127.0.0.1:5000/shop/web:1 → 222222222222')
    assert.match(String(second!.message), /→ 333333333333/)
  })

  it('sends a repository\'s error only once it has lasted, once, and its recovery once', async () => {
    const {notifier, repository, world, bodies} = setUp({errorAfterMs: 120_000})
    const failing = () => notifier.announce({kind: 'repository_failed', repository, error: 'git could not reach the remote: connection refused'})
    failing()
    world.clock.advance(60_000)
    failing()
    await notifier.drain(1000)
    assert.equal(world.messenger.sent.length, 0, 'a transient error is not sent')
    world.clock.advance(61_000)
    failing()
    world.clock.advance(60_000)
    failing()
    notifier.announce({kind: 'repository_answered', repository})
    notifier.announce({kind: 'repository_answered', repository})
    await notifier.drain(1000)
    assert.deepEqual(bodies().map((body) => body.event), ['repository_unreachable', 'repository_recovered'])
    assert.match(String(bodies()[0]!.message), /^for 2m1s: git could not reach the remote: connection refused/)
  })

  it('retries a delivery that failed, then logs and counts it; announcing never throws', async () => {
    const {notifier, target, world, logged} = setUp({retryDelaysMs: [10, 10]})
    world.messenger.failure = new Error('connection refused')
    assert.doesNotThrow(() => notifier.announce({kind: 'deployment_finished', target, deployment: finished(target, {}), previousCommit: null}))
    assert.equal(await notifier.drain(2000), 0)
    assert.equal(world.messenger.sent.length, 3)
    assert.deepEqual(logged.map((entry) => [entry.event, entry.fields.channel]), [['notify.failed', 'json channel 1']])
    assert.deepEqual(notifier.totals().map(({result, total}) => [result, total]).sort(), [['failed', 1], ['retried', 2]])
  })

  it('sends a channel only the events it takes, of the repository it names', async () => {
    const {notifier, target, world} = setUp()
    world.store.channels.length = 0
    addChannel(world.context, {url: 'json://failures.example/', events: ['deploy_failed']})
    addChannel(world.context, {url: 'json://other.example/', repository: undefined})
    world.store.channels[1]!.repositoryId = target.repository.id + 1
    notifier.announce({kind: 'deployment_finished', target, deployment: finished(target, {}), previousCommit: null})
    notifier.announce({kind: 'deployment_finished', target, deployment: finished(target, {commit: 'c'.repeat(40), status: 'failed', error: 'x'}), previousCommit: null})
    await notifier.drain(1000)
    assert.deepEqual(world.messenger.sent.map((message) => (message as OutgoingRequest).url), ['http://failures.example/'])
  })

  it('posts a pending commit status when a deploy starts and its outcome when it ends, for a repository that asked', async () => {
    const {notifier, target, world} = setUp()
    world.store.channels.length = 0
    const repository = {...target.repository, commitStatus: 'gitea' as const, authKind: 'token' as const, authSecret: world.context.secrets.seal('tok-123456', sealBinding('web', 'token'))}
    const statusTarget = {...target, repository}
    notifier.announce({kind: 'deploy_started', target: statusTarget, deployment: finished(statusTarget, {status: 'pending', finishedAt: null})})
    await notifier.drain(1000)
    notifier.announce({kind: 'deployment_finished', target: statusTarget, deployment: finished(statusTarget, {}), previousCommit: null})
    // A heal re-applies a commit: no status.
    notifier.announce({kind: 'deployment_finished', target: statusTarget, deployment: finished(statusTarget, {trigger: 'drift'}), previousCommit: null})
    await notifier.drain(1000)
    const sent = world.messenger.sent as OutgoingRequest[]
    assert.deepEqual(sent.map((request) => [request.url, JSON.parse(request.body).state, JSON.parse(request.body).context]), [
      [`https://git.example/api/v1/repos/acme/web/statuses/${'a'.repeat(40)}`, 'pending', 'kedge/host-1/web'],
      [`https://git.example/api/v1/repos/acme/web/statuses/${'a'.repeat(40)}`, 'success', 'kedge/host-1/web'],
    ])
    assert.equal(sent[0]!.headers.authorization, 'token tok-123456')

    // A deploy over before its pending status was posted: the outcome alone, never a pending after it.
    world.messenger.sent.length = 0
    const next = {...statusTarget.stack}
    notifier.announce({kind: 'deploy_started', target: {...statusTarget, stack: next}, deployment: finished(statusTarget, {commit: 'd'.repeat(40), status: 'pending', finishedAt: null})})
    notifier.announce({kind: 'deployment_finished', target: {...statusTarget, stack: next}, deployment: finished(statusTarget, {commit: 'd'.repeat(40), status: 'failed', error: 'boom'}), previousCommit: null})
    await notifier.drain(1000)
    assert.deepEqual((world.messenger.sent as OutgoingRequest[]).map((request) => JSON.parse(request.body).state), ['failure'])
  })
})
