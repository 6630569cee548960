import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {ServiceChange} from '../../src/model/stack/plan.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {docker, kedgeContainers} from '../helpers/docker.js'
import {registeredStack} from '../helpers/stack.js'
import {waitFor} from '../helpers/wait.js'

interface SyncJson {
  deployment: {commit: string; status: string}
  changes: ServiceChange[]
}

/** A process that reloads on SIGHUP: it prints the config it sees, at start and on each HUP, to its stdout. */
const RELOADER = `["sh", "-c", "trap 'exit 0' TERM; trap 'echo reloaded $$(cat /conf/app.conf) $$(cat /static.conf)' HUP; echo started $$(cat /conf/app.conf) $$(cat /static.conf); while true; do sleep 1 & wait $$!; done"]`
const SLEEPER = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $$!; done"]`

// The extension of three services is in a second compose file: Compose v1 drops it when it merges files.
const COMPOSE = `services:
  proxy:
    image: kedge-test/busybox:1
    command: ${RELOADER}
    environment: [MODE=one]
    volumes:
      - ./conf:/conf:ro
      - ./static.conf:/static.conf:ro
  app:
    image: kedge-test/busybox:1
    command: ${SLEEPER}
    volumes: ["./conf:/conf:ro"]
  quiet:
    image: kedge-test/busybox:1
    command: ${SLEEPER}
    volumes: ["./conf:/conf:ro"]
  plain:
    image: kedge-test/busybox:1
    command: ${SLEEPER}
    volumes: ["./conf:/conf:ro"]
`
const RELOAD = `services:
  proxy:
    x-kedge:
      on_file_change: signal:SIGHUP
  app:
    x-kedge: {on_file_change: restart}
  quiet:
    x-kedge: {on_file_change: none}
`
const FILES = {
  'kedge.yaml': 'docker:\n  compose_file: [compose.yaml, compose.reload.yaml]\n',
  'compose.yaml': COMPOSE,
  'compose.reload.yaml': RELOAD,
  'conf/app.conf': 'version=1\n',
  'static.conf': 'static=1\n',
}

function inspect(id: string, format: string): string {
  return docker('inspect', '--format', format, id).trim()
}

function containersByService(project: string): Record<string, string> {
  return Object.fromEntries(kedgeContainers(project).map((container) => [container.service, container.id]))
}

function logsOf(id: string): string {
  return docker('logs', id)
}

describe('x-kedge on_file_change', () => {
  it('signals, restarts or leaves alone a service whose mounted files alone changed, recreates the others, and still recreates on a configuration change', async () => {
    const stack = await registeredStack(FILES)
    const first = await runKedgeJson<SyncJson>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(first.code, 0, first.stdout + first.stderr)
    const before = containersByService(stack.name)
    await waitFor('the reloader to start', () => logsOf(before.proxy!).includes('started version=1 static=1'))
    const appStartedAt = inspect(before.app!, '{{.State.StartedAt}}')
    const quietStartedAt = inspect(before.quiet!, '{{.State.StartedAt}}')

    stack.remote.commit({'conf/app.conf': 'version=2\n', 'static.conf': 'static=2\n'}, 'change only the mounted files')
    const diff = await runKedgeJson<{head?: {changes: ServiceChange[]}}>(['diff', '--repo', stack.name], {home: stack.home})
    const planned = diff.json.head?.changes.map((change) => [change.service, change.action, change.signal ?? null])
    assert.deepEqual(planned, [['app', 'restart', null], ['plain', 'recreate', null], ['proxy', 'reload', 'SIGHUP'], ['quiet', 'files', null]], diff.stdout)
    assert.match((await runKedge(['diff', '--repo', stack.name], {home: stack.home})).stdout, /^ {2}reload {4}proxy \(signal SIGHUP\) /m)

    const second = await runKedgeJson<SyncJson>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(second.code, 0, second.stdout + second.stderr)
    assert.equal(second.json.deployment.status, 'success')
    assert.deepEqual(second.json.changes.map((change) => [change.service, change.action]), [['app', 'restart'], ['plain', 'recreate'], ['proxy', 'reload'], ['quiet', 'files']])
    const after = containersByService(stack.name)

    // signal: the same container got the signal and reads the new content, of the directory and of the single file.
    assert.equal(after.proxy, before.proxy)
    await waitFor('the reloader to reload', () => logsOf(after.proxy!).includes('reloaded version=2 static=2'), 10_000)
    assert.equal(docker('exec', after.proxy!, 'cat', '/static.conf'), 'static=2\n')
    assert.equal(inspect(after.proxy!, '{{.RestartCount}} {{.State.Running}}'), '0 true')
    // restart: the same container, started again.
    assert.equal(after.app, before.app)
    assert.notEqual(inspect(after.app!, '{{.State.StartedAt}}'), appStartedAt)
    assert.equal(docker('exec', after.app!, 'cat', '/conf/app.conf'), 'version=2\n')
    // none: the same container, untouched, the new files in place.
    assert.equal(after.quiet, before.quiet)
    assert.equal(inspect(after.quiet!, '{{.State.StartedAt}}'), quietStartedAt)
    assert.equal(docker('exec', after.quiet!, 'cat', '/conf/app.conf'), 'version=2\n')
    // default: recreated.
    assert.notEqual(after.plain, before.plain)

    // A rollback places the old files again, and signals and restarts for them as well.
    const rollback = await runKedge(['rollback', '--repo', stack.name, first.json.deployment.commit], {home: stack.home})
    assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr)
    assert.equal(containersByService(stack.name).proxy, after.proxy)
    await waitFor('the reloader to reload the old files', () => logsOf(after.proxy!).includes('reloaded version=1 static=1'), 10_000)
    assert.equal(docker('exec', after.app!, 'cat', '/conf/app.conf'), 'version=1\n')

    stack.remote.commit({'compose.yaml': COMPOSE.replace('MODE=one', 'MODE=two')}, 'change the configuration')
    const third = await runKedgeJson<SyncJson>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(third.code, 0, third.stdout + third.stderr)
    assert.deepEqual(third.json.changes.find((change) => change.service === 'proxy')?.action, 'recreate')
    assert.notEqual(containersByService(stack.name).proxy, after.proxy)

    const unchanged = containersByService(stack.name)
    stack.remote.commit({'compose.reload.yaml': RELOAD.replace('restart}', 'bounce}')}, 'an unknown action')
    const refused = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /compose\.reload\.yaml: services\.app\.x-kedge\.on_file_change: "bounce" is not a known action/)
    assert.deepEqual(containersByService(stack.name), unchanged, 'a refused commit changes nothing')
  })
})
