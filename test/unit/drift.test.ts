import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {StackContainer} from '../../src/model/stack/containers.js'
import {containersToReplace, detectDrift, driftBaseline, driftToRepair} from '../../src/model/stack/drift.js'
import type {DesiredService} from '../../src/model/stack/plan.js'
import {fakeContainer} from '../helpers/fake-container.js'

const IMAGE_IDS = new Map([['img:1', 'sha256:1111111111111111'], ['img:2', 'sha256:2222222222222222']])

function container(service: string, index = 1, overrides: Partial<StackContainer> = {}): StackContainer {
  return fakeContainer(service, {id: `${service}${index}`.padEnd(16, '0'), name: `app_${service}_${index}`, ...overrides})
}
const service = (name: string, overrides: Partial<DesiredService> = {}): DesiredService => ({name, image: 'img:1', replicas: 1, hash: `h-${name}`, ...overrides})

describe('detectDrift', () => {
  it('finds none when every container runs as deployed', () => {
    assert.deepEqual(detectDrift([service('web'), service('db', {replicas: 2})], [container('web'), container('db', 1), container('db', 2)], IMAGE_IDS), [])
  })

  it('reports each kind of drift per service', () => {
    const drift = detectDrift(
      [
        service('gone'),
        service('scaled', {replicas: 2}),
        service('stopped'),
        service('image'),
        service('retagged'),
        service('config'),
        service('sick'),
        service('crowd'),
      ],
      [
        container('scaled', 1),
        container('stopped', 1, {state: 'exited', exitCode: 137}),
        container('image', 1, {image: 'img:2', imageId: 'sha256:2222222222222222'}),
        container('retagged', 1, {imageId: 'sha256:0000000000000000'}),
        container('config', 1, {labels: {'io.kedge.config-hash': 'older', 'com.docker.compose.project': 'app'}}),
        container('sick', 1, {health: 'unhealthy'}),
        container('crowd', 1),
        container('crowd', 2),
        container('ghost', 1),
      ],
      IMAGE_IDS,
    )
    assert.deepEqual(
      drift.map(({service: name, type, expected, actual, container: where}) => [name, type, expected, actual, where]),
      [
        ['gone', 'missing', '1 running container', '0', null],
        ['scaled', 'missing', '2 running containers', '1', null],
        ['stopped', 'stopped', 'running', 'exited (exit code 137)', 'app_stopped_1'],
        ['image', 'wrong_image', 'img:1', 'img:2', 'app_image_1'],
        ['retagged', 'wrong_image', 'img:1 (111111111111)', 'img:1 (000000000000)', 'app_retagged_1'],
        ['config', 'wrong_config', 'config h-config', 'config older', 'app_config_1'],
        ['sick', 'unhealthy', 'healthy', 'unhealthy', 'app_sick_1'],
        ['crowd', 'extra', '1 container', 'surplus replica app_crowd_2', 'app_crowd_2'],
        ['ghost', 'extra', 'no such service', 'app_ghost_1 (running)', 'app_ghost_1'],
      ],
    )
  })

  it('does not count a job that completed as stopped, but does a service stopped by hand (which exits 0 too)', () => {
    const completed = container('migrate', 1, {state: 'exited', exitCode: 0})
    assert.deepEqual(detectDrift([service('migrate', {oneShot: true})], [completed], IMAGE_IDS), [])
    assert.deepEqual(detectDrift([service('migrate')], [completed], IMAGE_IDS).map((entry) => entry.type), ['stopped'])
    assert.deepEqual(detectDrift([service('migrate', {oneShot: true})], [{...completed, exitCode: 1}], IMAGE_IDS).map((entry) => entry.type), ['stopped'])
  })

  it('accepts another spelling of the same image', () => {
    assert.deepEqual(detectDrift([service('web')], [container('web', 1, {image: 'docker.io/library/img:1'})], IMAGE_IDS), [])
  })
})

describe('driftBaseline', () => {
  it('measures a container a cut-short deploy already brought to the new commit against that commit, the others against the running one', () => {
    const running = [service('web'), service('db'), service('old')]
    const next = [service('web', {image: 'img:2', hash: 'h-web-2'}), service('db', {image: 'img:2', hash: 'h-db-2'})]
    const actual = [
      container('web', 1, {image: 'img:2', imageId: 'sha256:2222222222222222', labels: {'io.kedge.config-hash': 'h-web-2', 'com.docker.compose.project': 'app'}}),
      container('db'),
      container('old'),
    ]
    const baseline = driftBaseline(running, next, actual)
    assert.deepEqual(baseline.map((entry) => [entry.name, entry.hash]).sort(), [['db', 'h-db'], ['old', 'h-old'], ['web', 'h-web-2']])
    assert.deepEqual(detectDrift(baseline, actual, IMAGE_IDS), [], 'nothing to repair: compose up brings db to the new commit')
    assert.equal(detectDrift(running, actual, IMAGE_IDS).length, 1, 'against the running commit alone, web would look drifted and be replaced')
  })
})

describe('foreign containers and the drift a deploy repairs', () => {
  it("reports a container without kedge's labels in kedge's project as foreign, and leaves it to up", () => {
    const handmade = container('web', 1, {labels: {'com.docker.compose.project': 'app', 'com.docker.compose.service': 'web'}, managedByKedge: false})
    const drift = detectDrift([service('web')], [handmade], IMAGE_IDS)
    assert.deepEqual(drift.map((entry) => [entry.service, entry.type, entry.container]), [['web', 'foreign', 'app_web_1']])
    assert.deepEqual(containersToReplace(drift, [handmade], true), [], 'Compose recreates it, keeping its anonymous volumes')
  })

  it('after a first deploy that failed, measures only what runs the new commit, and takes no wanted service as surplus', () => {
    const next = [service('web', {hash: 'new-web'}), service('db', {hash: 'new-db'})]
    const actual = [container('web', 1, {health: 'unhealthy', labels: {'io.kedge.config-hash': 'new-web', 'com.docker.compose.project': 'app'}}), container('db', 1)]
    const baseline = driftBaseline([], next, actual)
    const drift = driftToRepair(baseline, next, actual, IMAGE_IDS)
    assert.deepEqual(drift.map((entry) => [entry.service, entry.type]), [['web', 'unhealthy']], 'db runs an older configuration: up recreates it, it is not surplus')
  })
})

describe('containersToReplace', () => {
  it('replaces what up cannot fix, removes extras only when pruning, and leaves stopped and missing to up', () => {
    const actual = [
      container('image', 1, {image: 'img:2', imageId: 'sha256:2222222222222222'}),
      container('stopped', 1, {state: 'exited', exitCode: 1}),
      container('ghost', 1),
      container('handmade', 1, {labels: {'io.kedge.config-hash': 'h-handmade'}}),
    ]
    const drift = detectDrift([service('image'), service('stopped'), service('missing'), service('handmade')], actual, IMAGE_IDS)
    assert.deepEqual(containersToReplace(drift, actual, true).sort(), [actual[0]!.id, actual[2]!.id, actual[3]!.id].sort())
    assert.deepEqual(containersToReplace(drift, actual, false).sort(), [actual[0]!.id, actual[3]!.id].sort())
  })
})
