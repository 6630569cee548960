import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {DriftCheckGate, FULL_CHECK_MS, SETTLED_AFTER_MS, type CheckedStack} from '../../src/drivers/daemon/drift-check-gate.js'
import {changeOf} from '../../src/drivers/daemon/engine-watcher.js'

const web = {id: 1, engine: null, project: 'shop-web', stamp: '7||[]'}
const api = {id: 2, engine: null, project: 'shop-api', stamp: '8||[]'}
/** A stack of another repository on the registered engine 4, whose Compose project has web's name. */
const remoteWeb = {id: 3, engine: 4, project: 'shop-web', stamp: '9||[]'}

/** A gate whose clock and event stream the test sets. */
function gate() {
  const world = {now: 1_000_000, live: true, remoteLive: true}
  const checks = new DriftCheckGate(
    (engine) => (engine === null ? world.live : world.remoteLive),
    () => world.now,
  )
  /** One whole check: begin, the listing, end. */
  const check = (stack: CheckedStack, inSync = true) => {
    checks.begin(stack)
    checks.end(stack.id, inSync)
  }
  return {world, checks, check}
}

describe('the drift-check gate', () => {
  it('lists a stack it never checked, and skips one found in sync until something could have changed', () => {
    const {checks, check} = gate()
    assert.equal(checks.needsCheck(web), true)
    check(web)
    assert.equal(checks.needsCheck(web), false)
    assert.equal(checks.needsCheck(api), true, 'another stack is not covered by the first one’s check')
  })

  it('lists again a stack whose project an event touched, and only that one', () => {
    const {checks, check} = gate()
    check(web)
    check(api)
    checks.touched(null, ['shop-api', 'unrelated'])
    assert.equal(checks.needsCheck(api), true)
    assert.equal(checks.needsCheck(web), false)
  })

  it('does not trust a check an event arrived during', () => {
    const {checks} = gate()
    checks.begin(web)
    checks.touched(null, ['shop-web'])
    checks.end(web.id, true)
    assert.equal(checks.needsCheck(web), true)
  })

  it('does not trust a listing made soon after an event: the engine’s listing can lag its events', () => {
    const {world, checks, check} = gate()
    check(web)
    checks.touched(null, ['shop-web'])
    world.now += SETTLED_AFTER_MS - 1
    check(web)
    assert.equal(checks.needsCheck(web), true, 'listed again at the next round')
    world.now += 1
    check(web)
    assert.equal(checks.needsCheck(web), false)
  })

  it('keeps listing a stack found drifted, or whose check failed', () => {
    const {checks, check} = gate()
    check(web, false)
    assert.equal(checks.needsCheck(web), true)
    check(web, false)
    assert.equal(checks.needsCheck(web), true)
  })

  it('lists again when the stamp or the project changes (a new deployment, a hold, recorded drift)', () => {
    const {checks, check} = gate()
    check(web)
    assert.equal(checks.needsCheck({...web, stamp: '9||[]'}), true)
    assert.equal(checks.needsCheck({...web, project: 'shop-web-2'}), true)
    assert.equal(checks.needsCheck(web), false)
  })

  it('lists every stack once FULL_CHECK_MS has passed since its last listing', () => {
    const {world, checks, check} = gate()
    check(web)
    world.now += FULL_CHECK_MS - 1
    assert.equal(checks.needsCheck(web), false)
    world.now += 1
    assert.equal(checks.needsCheck(web), true)
  })

  it('skips nothing while the event stream is down, nor after it, until a check with the stream live', () => {
    const {world, checks, check} = gate()
    check(web)
    world.live = false
    assert.equal(checks.needsCheck(web), true)
    check(web)
    world.live = true
    // The check ran while events could not be heard: it says nothing of now.
    assert.equal(checks.needsCheck(web), true)
    checks.begin(web)
    world.live = false
    checks.end(web.id, true)
    world.live = true
    assert.equal(checks.needsCheck(web), true, 'the stream broke during the check')
    check(web)
    assert.equal(checks.needsCheck(web), false)
  })

  it('forgets every stack of an engine at once (an image moved, the stream came back), including one being checked', () => {
    const {checks, check} = gate()
    check(web)
    checks.begin(api)
    checks.forgetEngine(null)
    checks.end(api.id, true)
    assert.equal(checks.needsCheck(web), true)
    assert.equal(checks.needsCheck(api), true)
  })

  it('keeps two engines apart: an event, an image or a break of one says nothing of the other’s stacks, of the same project name or not', () => {
    const {world, checks, check} = gate()
    check(web)
    check(remoteWeb)
    checks.touched(4, ['shop-web'])
    assert.equal(checks.needsCheck(remoteWeb), true, 'the remote stack the event was of')
    assert.equal(checks.needsCheck(web), false, 'the local project of the same name')
    check(remoteWeb)
    world.now += SETTLED_AFTER_MS
    check(remoteWeb)
    checks.forgetEngine(null)
    assert.equal(checks.needsCheck(web), true)
    assert.equal(checks.needsCheck(remoteWeb), false)
    world.remoteLive = false
    check(web)
    assert.equal(checks.needsCheck(remoteWeb), true, 'its engine’s stream is down')
    assert.equal(checks.needsCheck(web), false, 'the local stream is live')
  })

  it('lists again a stack whose engine changed', () => {
    const {checks, check} = gate()
    check(web)
    assert.equal(checks.needsCheck({...web, engine: 4}), true)
  })

  it('forgets a stack the repository no longer holds', () => {
    const {checks, check} = gate()
    check(web)
    checks.forget(web.id)
    assert.equal(checks.needsCheck(web), true)
  })
})

describe('what an engine event may have changed', () => {
  const event = (action: string, labels: Record<string, string>, type = 'container') => ({type, action, actorId: 'abc', labels, timeNano: 0n})
  const kedgeLabels = {'io.kedge.repo': 'shop', 'io.kedge.project': 'shop-web', 'com.docker.compose.project': 'shop-web'}

  it('names the projects of a kedge container, and asks for a check at once when it may have drifted', () => {
    assert.deepEqual(changeOf(event('die', kedgeLabels)), {kind: 'containers', projects: ['shop-web'], repository: 'shop', mayDrift: true})
    assert.deepEqual(changeOf(event('start', kedgeLabels)), {kind: 'containers', projects: ['shop-web'], repository: 'shop', mayDrift: false})
  })

  it('names the project of a container Compose made without kedge’s labels, without a check at once', () => {
    assert.deepEqual(changeOf(event('create', {'com.docker.compose.project': 'shop-web'})), {kind: 'containers', projects: ['shop-web'], repository: null, mayDrift: false})
  })

  it('ignores what changes nothing a check reads: healthcheck execs, attaches, containers of no project', () => {
    assert.equal(changeOf(event('exec_start: /bin/sh -c true', kedgeLabels)), null)
    assert.equal(changeOf(event('exec_die', kedgeLabels)), null)
    assert.equal(changeOf(event('attach', kedgeLabels)), null)
    assert.equal(changeOf(event('die', {})), null)
    assert.equal(changeOf(event('create', {}, 'network')), null)
  })

  it('takes an image event that can move a reference as a change to every stack, and ignores the others', () => {
    for (const action of ['tag', 'untag', 'pull', 'load', 'import', 'delete']) assert.deepEqual(changeOf(event(action, {name: 'kedge-test/busybox:2'}, 'image')), {kind: 'images'}, action)
    assert.equal(changeOf(event('push', {name: 'kedge-test/busybox:2'}, 'image')), null)
    assert.equal(changeOf(event('save', {name: 'kedge-test/busybox:2'}, 'image')), null)
  })
})
