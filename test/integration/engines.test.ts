import assert from 'node:assert/strict'
import {before, describe, it} from 'node:test'

import {closeDatabase, openDatabase} from '../../src/store/database.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {docker} from '../helpers/docker.js'
import {GitRemote} from '../helpers/git-remote.js'
import {homeContents} from '../helpers/home-state.js'
import {PrivateEngine} from '../helpers/private-engine.js'
import {uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'

const COMPOSE = `services:
  web:
    image: kedge-test/busybox:1
  worker:
    image: kedge-test/busybox:1
`

const isRoot = process.getuid?.() === 0

/** kedge's labelled containers of a project on one engine, by service: [service, state, commit]. */
function containersOn(engine: {docker(...args: string[]): string} | null, project: string): Array<[string, string, string]> {
  const run = engine ? (...args: string[]) => engine.docker(...args) : docker
  const format = '{{.Label "io.kedge.service"}}\t{{.State}}\t{{.Label "io.kedge.commit"}}'
  return run('ps', '--all', '--filter', 'label=io.kedge.managed=true', '--filter', `label=io.kedge.project=${project}`, '--format', format)
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t') as [string, string, string])
    .sort()
}

describe('a repository on a registered engine', {skip: isRoot ? false : 'starts a Docker daemon of its own, which needs root'}, () => {
  const engine = new PrivateEngine()
  const home = tempDir()
  // kedge's own environment names the main engine: the registered one must win for everything it does there.
  const env = {DOCKER_HOST: 'unix:///var/run/docker.sock'}

  before(async () => {
    await engine.start()
    engine.loadImagesFrom('kedge-test/busybox:1', 'kedge-test/busybox:2')
  })

  it('registers the engine, learning who it is; refuses what it cannot use and writes nothing', async () => {
    const added = await runKedgeJson<{engine: {name: string; identity: string}; reached: {id: string}}>(['engine', 'add', 'e2', '--host', `unix://${engine.socket}`], {home, env})
    assert.equal(added.code, 0, added.stderr)
    const id = engine.docker('info', '--format', '{{.ID}}').trim()
    assert.equal(added.json.reached.id, id)
    assert.equal(added.json.engine.identity, id)
    assert.notEqual(id, docker('info', '--format', '{{.ID}}').trim(), 'the test engine answers as an engine of its own')

    const before = homeContents(home)
    for (const [args, message] of [
      [['engine', 'add', 'e3', '--host', 'tcp://192.0.2.7:2375'], /unencrypted and unauthenticated/],
      [['engine', 'add', 'local', '--host', `unix://${engine.socket}`], /"local" names the engine kedge runs beside/],
      [['engine', 'add', 'e2', '--host', `unix://${engine.socket}`], /already registered/],
      [['engine', 'add', 'E_3', '--host', `unix://${engine.socket}`], /is not an engine name/],
      [['engine', 'add', 'e3', '--host', 'http://192.0.2.7:2375'], /tcp:\/\/, not http:\/\//],
      [['engine', 'add', 'e3', '--host', 'unix:///nonexistent/d.sock'], /./],
      [['repo', 'add', GitRemote.create({'compose.yaml': COMPOSE}).fileUrl, '--engine', 'nope'], /no engine named nope/],
    ] as const) {
      const refused = await runKedge([...args], {home, env})
      assert.notEqual(refused.code, 0, `${args.join(' ')} was refused`)
      assert.match(refused.stderr, message)
      assert.equal(refused.stderr.trim().split('\n').filter((line) => line.startsWith('Error')).length <= 1, true, refused.stderr)
      assert.deepEqual(homeContents(home), before, `${args.join(' ')} changed nothing`)
    }
  })

  it('deploys, diffs, heals, rolls back and takes down there, and never on the local engine', async () => {
    const name = uniqueName()
    const remote = GitRemote.create({'compose.yaml': COMPOSE})
    assert.equal((await runKedge(['repo', 'add', remote.fileUrl, '--name', name, '--engine', 'e2'], {home, env})).code, 0)
    const first = remote.head()
    const synced = await runKedge(['sync', '--repo', name], {home, env})
    assert.equal(synced.code, 0, synced.stderr)
    assert.deepEqual(containersOn(engine, name), [['web', 'running', first], ['worker', 'running', first]])
    assert.deepEqual(containersOn(null, name), [], 'nothing of the stack on the local engine')

    const status = await runKedgeJson<Array<{engine: string; services: Array<{service: string; containers: Array<{state: string}>}>}>>(['status', '--repo', name], {home, env})
    assert.equal(status.json[0]!.engine, 'e2')
    assert.deepEqual(status.json[0]!.services.map((service) => [service.service, service.containers.map((container) => container.state)]), [['web', ['running']], ['worker', ['running']]])

    // Drift on the registered engine: seen there, and healed there.
    engine.docker('stop', '--time', '1', `${name}-worker-1`)
    const diff = await runKedgeJson<{drift: Array<{service: string; type: string}>}>(['diff', '--repo', name], {home, env})
    assert.deepEqual(diff.json.drift.map((item) => [item.service, item.type]), [['worker', 'stopped']])
    const healed = await runKedge(['heal', name], {home, env})
    assert.equal(healed.code, 0, healed.stderr)
    assert.deepEqual(containersOn(engine, name), [['web', 'running', first], ['worker', 'running', first]])

    const second = remote.commit({'compose.yaml': COMPOSE.replace('busybox:1\n  worker', 'busybox:2\n  worker')}, 'web 2')
    assert.equal((await runKedge(['sync', '--repo', name], {home, env})).code, 0)
    assert.deepEqual(containersOn(engine, name), [['web', 'running', second], ['worker', 'running', first]])
    const rolledBack = await runKedge(['rollback', '--repo', name, first.slice(0, 8)], {home, env})
    assert.equal(rolledBack.code, 0, rolledBack.stderr)
    assert.deepEqual(containersOn(engine, name), [['web', 'running', first], ['worker', 'running', first]])
    assert.deepEqual(containersOn(null, name), [])

    // The registered engine is in use: neither it nor the repository's setting can move under the running stack.
    const removeRefused = await runKedge(['engine', 'remove', 'e2'], {home, env})
    assert.equal(removeRefused.code, 2)
    assert.match(removeRefused.stderr, new RegExp(`still used by repository ${name}`))
    const moveRefused = await runKedge(['repo', 'set', name, '--engine', 'local'], {home, env})
    assert.equal(moveRefused.code, 2)
    assert.match(moveRefused.stderr, /runs on engine e2: kedge will not move it while it runs/)

    assert.equal((await runKedge(['down', name], {home, env})).code, 0)
    assert.deepEqual(containersOn(engine, name), [])
    assert.equal((await runKedge(['repo', 'set', name, '--engine', 'local'], {home, env})).code, 0)
    assert.equal((await runKedge(['repo', 'remove', name], {home, env})).code, 0)
  })

  it('refuses to act on another engine answering at the registered address', async () => {
    const name = uniqueName()
    const remote = GitRemote.create({'compose.yaml': COMPOSE})
    assert.equal((await runKedge(['repo', 'add', remote.fileUrl, '--name', name, '--engine', 'e2'], {home, env})).code, 0)
    // What a reinstall, or a reused address, looks like to kedge: the engine there has another ID than the one recorded.
    const database = openDatabase(`${home}/kedge.db`)
    database.$client.prepare("UPDATE engines SET identity = 'ANOTHER:ENGINE' WHERE name = 'e2'").run()
    closeDatabase(database)
    const refused = await runKedgeJson<{error: {code: string; message: string}}>(['sync', '--repo', name], {home, env})
    assert.equal(refused.code, 1)
    assert.equal(refused.json.error.code, 'engine_changed')
    assert.deepEqual(containersOn(engine, name), [], 'nothing deployed on an engine that is not the one registered')
    const accepted = await runKedge(['engine', 'check', 'e2', '--accept-new-identity'], {home, env})
    assert.equal(accepted.code, 0, accepted.stderr)
    const synced = await runKedge(['sync', '--repo', name], {home, env})
    assert.equal(synced.code, 0, synced.stderr)
    assert.equal(containersOn(engine, name).length, 2)
    assert.equal((await runKedge(['repo', 'remove', name, '--down'], {home, env})).code, 0)
    assert.deepEqual(containersOn(engine, name), [])
  })
})
