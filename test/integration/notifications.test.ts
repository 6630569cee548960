import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {hostname} from 'node:os'
import {readFileSync, renameSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {kedgeContext} from '../../src/drivers/composition.js'
import {resolveHome} from '../../src/model/home.js'
import {closeDatabase, openDatabase} from '../../src/store/database.js'
import {addChannel as addChannelTo, type ChannelView} from '../../src/usecases/notifying/channels.js'

import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {docker, kedgeContainers, removeComposeProject} from '../helpers/docker.js'
import {startForgeStatusServer, type ForgeStatusServer} from '../helpers/forge-status-server.js'
import {GitHttpServer} from '../helpers/git-http-server.js'
import {GitRemote, SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {request} from '../helpers/http.js'
import {parseMetrics, sampleValue} from '../helpers/prometheus.js'
import {blackHole, startReceiver, unreachablePort, type Receiver} from '../helpers/receivers.js'
import {filesContaining} from '../helpers/secret-scan.js'
import {ServeProcess} from '../helpers/serve.js'
import {startSmtpReceiver} from '../helpers/smtp-receiver.js'
import {registeredStack, uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'
import {waitFor} from '../helpers/wait.js'

const BROKEN_COMPOSE = 'services:\n  web:\n    image: kedge-test/busybox:1\n    ports: "not a list"\n'

async function receiver(): Promise<Receiver> {
  const started = await startReceiver()
  after(() => started.close())
  return started
}

async function addChannel(home: string, args: string[]): Promise<ChannelView> {
  const added = await runKedgeJson<ChannelView>(['notify', 'add', ...args], {home})
  assert.equal(added.code, 0, added.stderr)
  return added.json
}

async function serveWithHttp(home: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{serve: ServeProcess; base: string}> {
  const serve = new ServeProcess(home, args, env)
  const listening = await serve.waitForLog((line) => line.event === 'http.listening', 30_000)
  return {serve, base: String(listening.address)}
}

describe('notifications', {timeout: 240_000}, () => {
  it("tells a json:// receiver of a deploy and of a failed one, with kedge's fields, Apprise's, and the reason", async () => {
    const hook = await receiver()
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE})
    const channel = await addChannel(stack.home, [`json://127.0.0.1:${hook.port}/kedge`])
    assert.equal(channel.url, `json://127.0.0.1:${hook.port}/kedge`)
    assert.equal(channel.events, 'all')

    const first = stack.remote.head()
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    const [succeeded] = await hook.waitFor(1)
    assert.equal(succeeded!.method, 'POST')
    assert.equal(succeeded!.path, '/kedge')
    assert.match(String(succeeded!.headers['content-type']), /^application\/json/)
    const body = succeeded!.json
    assert.equal(body.event, 'deploy_succeeded')
    assert.equal(body.repository, stack.name)
    assert.equal(body.stack, stack.name)
    assert.equal(body.commit, first)
    assert.equal(body.previous_commit, null)
    assert.equal(body.status, 'success')
    assert.equal(body.type, 'success')
    assert.equal(body.title, `${stack.name}: ${first.slice(0, 7)} deployed`)
    assert.match(body.message, /deployed in \d/)
    assert.equal(body.reason, 'sync: files changed: not known; create web')
    assert.ok(!Number.isNaN(Date.parse(body.time)))

    const broken = stack.remote.commit({'compose.yaml': BROKEN_COMPOSE})
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 1)
    const failed = (await hook.waitFor(2))[1]!.json
    assert.equal(failed.event, 'deploy_failed')
    assert.equal(failed.type, 'failure')
    assert.equal(failed.commit, broken)
    assert.equal(failed.previous_commit, first)
    assert.match(failed.message, /ports/)
    assert.equal(failed.reason, 'sync: compose.yaml changed')
  })

  it('never fails or holds up a deploy for a receiver that refuses, cannot be reached or never answers', async () => {
    const silent = await blackHole()
    after(() => silent.close())
    const refusing = await startReceiver({status: 500})
    after(() => refusing.close())
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE})
    for (const url of [`json://127.0.0.1:${await unreachablePort()}/`, `json://127.0.0.1:${silent.port}/`, `${refusing.url.replace('http', 'json')}/`]) await addChannel(stack.home, [url])

    const started = Date.now()
    const sync = await runKedgeJson<{deployment: {status: string; startedAt: string; finishedAt: string}}>(['sync', '--repo', stack.name], {home: stack.home})
    const took = Date.now() - started
    assert.equal(sync.code, 0, sync.stderr)
    assert.equal(sync.json.deployment.status, 'success')
    assert.equal(kedgeContainers(stack.name)[0]?.state, 'running')
    // The deploy itself does not wait for them; the command gives them one send timeout (10 s) before it exits.
    assert.ok(Date.parse(sync.json.deployment.finishedAt) - Date.parse(sync.json.deployment.startedAt) < 8000)
    assert.ok(took < 30_000, `sync took ${took} ms`)
    assert.match(sync.stderr, /notification not delivered \(json channel 1\): could not deliver to 127\.0\.0\.1:\d+: connection refused/)
    assert.match(sync.stderr, /HTTP 500/)
    assert.match(sync.stderr, /1 notification was not delivered before kedge exited/)
    assert.equal(refusing.requests.length, 2, 'one retry')
  })

  it('keeps a secret of a notification URL out of the output, the database, --json and the log', async () => {
    const password = `pw${randomBytes(12).toString('hex')}`
    const slackToken = randomBytes(12).toString('hex')
    const hook = await receiver()
    hook.setStatus(500)
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE})
    const added = await runKedge(['notify', 'add', `json://kedge:${password}@127.0.0.1:${hook.port}/kedge`], {home: stack.home})
    assert.equal(added.code, 0, added.stderr)
    const slack = await runKedgeJson<ChannelView>(['notify', 'add', `slack://T0KEDGE01/B0KEDGE01/${slackToken}/#ops`], {home: stack.home})
    const list = await runKedgeJson<ChannelView[]>(['notify', 'list'], {home: stack.home})
    // The user too: kedge masks whatever stands before the password in any URL it prints.
    assert.deepEqual(list.json.map((channel) => channel.url), [`json://***@127.0.0.1:${hook.port}/kedge`, 'slack://***/***/***/#ops'])
    assert.ok(!slack.json.url.includes(slackToken))

    const env = {KEDGE_SLACK_URL: hook.url}
    const {serve, base} = await serveWithHttp(stack.home, ['--interval', '1h'], env)
    await serve.waitForLog((line) => line.event === 'notify.failed' && line.channel === 'slack channel 2', 60_000)
    await serve.waitForLog((line) => line.event === 'notify.failed' && line.channel === 'json channel 1', 60_000)
    const token = readFileSync(path.join(stack.home, 'admin.token'), 'utf8').trim()
    const api = await request(base, 'GET', '/api/v1/notifications', {token})
    assert.equal(api.status, 200)
    assert.equal(await serve.stop(), 0)

    const basic = Buffer.from(`kedge:${password}`).toString('base64')
    assert.equal(hook.requests[0]?.headers.authorization, `Basic ${basic}`, 'the password was used')
    for (const secret of [password, slackToken, basic]) {
      for (const [where, text] of <Array<[string, string]>>[['notify add', added.stdout + added.stderr], ['--json', list.stdout + slack.stdout], ['the API', api.text], ['the log', JSON.stringify(serve.lines) + serve.stderr]]) {
        assert.ok(!text.includes(secret), `${where} holds a secret`)
      }
    }
    assert.deepEqual(filesContaining(stack.home, [password, slackToken]), [])
  })

  it('sends 50 identical drift events in a minute as exactly one message, then one with the count', async () => {
    const hook = await receiver()
    const home = resolveHome(tempDir())
    const db = openDatabase(home.databaseFile)
    after(() => closeDatabase(db))
    const context = kedgeContext(home, db, {log: () => undefined, foldWindowMs: 5000})
    const repository = context.store.insertRepository({name: 'flapping', url: 'https://git.example/acme/flapping.git', branch: 'main', createdAt: new Date()})
    const stack = context.store.insertStack({repositoryId: repository.id, name: 'flapping', path: '', createdAt: new Date()})
    addChannelTo(context, {url: `json://127.0.0.1:${hook.port}/`})
    const stopped = {service: 'web', type: 'stopped' as const, expected: 'running', actual: 'exited (137)', container: 'flapping-web-1', containerId: 'c1'}
    const started = Date.now()
    for (let event = 0; event < 50; event++) {
      context.announcer.announce({kind: 'drift_checked', target: {repository, stack}, drift: [stopped], mode: 'notify'})
      context.announcer.announce({kind: 'drift_checked', target: {repository, stack}, drift: [], mode: 'notify'})
    }
    await context.notifier.drain(5000)
    assert.ok(Date.now() - started < 60_000)
    assert.equal(hook.requests.length, 1)
    assert.equal(hook.requests[0]!.json.folded, 0)
    const [, summary] = await hook.waitFor(2, 15_000)
    assert.equal(summary!.json.event, 'drift_detected')
    assert.equal(summary!.json.folded, 49)
    assert.match(summary!.json.message, /49 more like this in the last 5s/)
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.equal(hook.requests.length, 2)
  })

  it('tells of drift in notify mode once per window, then how often it came back', async () => {
    const hook = await receiver()
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': 'reconciliation:\n  mode: notify\n'})
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    await addChannel(stack.home, [`json://127.0.0.1:${hook.port}/`, '--events', 'drift_detected'])
    // Rounds every second: a container started by hand is no event kedge checks at once, the next round sees it.
    const {serve, base} = await serveWithHttp(stack.home, ['--interval', '1s', '--notify-fold-window', '20s'])
    await serve.waitForLog((line) => line.event === 'events.connected')
    await serve.waitForLog((line) => line.event === 'poll.unchanged' && line.repo === stack.name)
    const web = () => kedgeContainers(stack.name)[0]!.id
    const cycles = 3
    for (let cycle = 0; cycle < cycles; cycle++) {
      const from = serve.lines.length
      docker('stop', '--time', '0', web())
      await serve.waitForLog((line) => line.event === 'drift.detected' && line.repo === stack.name, 30_000, from)
      if (cycle === cycles - 1) break
      const resolved = serve.lines.length
      docker('start', web())
      await serve.waitForLog((line) => line.event === 'drift.resolved' && line.repo === stack.name, 30_000, resolved)
    }
    const [first] = await hook.waitFor(1)
    assert.equal(first!.json.event, 'drift_detected')
    assert.match(first!.json.message, /web stopped: expected/)
    assert.equal(hook.requests.length, 1, 'the same drift again within the window is folded')
    const [, summary] = await hook.waitFor(2, 40_000)
    assert.equal(summary!.json.folded, cycles - 1)
    assert.match(summary!.json.message, new RegExp(`${cycles - 1} more like this in the last 20s`))
    const metrics = parseMetrics((await request(base, 'GET', '/metrics')).text)
    assert.equal(sampleValue(metrics, 'kedge_notifications_total', {channel: 'json', result: 'sent'}), 2)
    assert.equal(sampleValue(metrics, 'kedge_notifications_total', {channel: 'json', result: 'folded'}), cycles - 1)
    assert.equal(await serve.stop(), 0)
  })

  it('tells of a remote that cannot be reached once it has lasted, and of its recovery once', async () => {
    const hook = await receiver()
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE})
    await addChannel(stack.home, [`json://127.0.0.1:${hook.port}/`, '--events', 'repository_unreachable,repository_recovered'])
    const {serve} = await serveWithHttp(stack.home, ['--interval', '1s', '--notify-error-after', '3s'])
    await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === stack.name, 60_000)
    const moved = `${stack.remote.bareDir}.away`
    renameSync(stack.remote.bareDir, moved)
    const [unreachable] = await hook.waitFor(1, 30_000)
    assert.equal(unreachable!.json.event, 'repository_unreachable')
    assert.equal(unreachable!.json.repository, stack.name)
    assert.match(unreachable!.json.message, /^for \d+s: /)
    const failedPolls = serve.events('poll.failed', stack.name).length
    assert.ok(failedPolls >= 3, `${failedPolls} failed polls`)
    renameSync(moved, stack.remote.bareDir)
    const [, recovered] = await hook.waitFor(2, 30_000)
    assert.equal(recovered!.json.event, 'repository_recovered')
    await serve.waitForLog((line) => line.event === 'poll.unchanged' && line.repo === stack.name, 30_000, serve.lines.length)
    assert.equal(hook.requests.length, 2)
    assert.equal(await serve.stop(), 0)
  })

  it('sends mail to an SMTP server', async () => {
    const smtp = await startSmtpReceiver()
    after(() => smtp.close())
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE})
    await addChannel(stack.home, [`mailto://127.0.0.1:${smtp.port}?from=kedge@example.com&to=ops@example.com`])
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    const [mail] = await smtp.waitFor(1, 15_000)
    assert.equal(mail!.from, 'kedge@example.com')
    assert.deepEqual(mail!.to, ['ops@example.com'])
    assert.match(mail!.data, new RegExp(`^Subject: ${stack.name}: [0-9a-f]{7} deployed`, 'm'))
    assert.match(mail!.data, /Event: deploy_succeeded/)
  })

  it('notify test says what the receiver answered; bad input changes nothing', async () => {
    const hook = await receiver()
    const home = tempDir()
    const channel = await addChannel(home, [`json://127.0.0.1:${hook.port}/t`])
    const tested = await runKedge(['notify', 'test', String(channel.id)], {home})
    assert.equal(tested.code, 0, tested.stderr)
    assert.match(tested.stdout, /answer\s+200 answer to POST \/t/)
    assert.equal(hook.requests[0]!.json.event, 'test')
    hook.setStatus(503)
    const refused = await runKedge(['notify', 'test', String(channel.id)], {home})
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /^Error: could not deliver to 127\.0\.0\.1:\d+: HTTP 503/)

    for (const [args, pattern] of [
      [['notify', 'add', 'irc://example.com/kedge'], /^Error: .*irc/],
      [['notify', 'add', 'json://127.0.0.1/', '--events', 'deploy_exploded'], /^Error: unknown event "deploy_exploded"/],
      [['notify', 'add', 'json://127.0.0.1/', '--repo', 'nope'], /^Error: repository "nope" is not registered/],
      [['notify', 'remove', '99'], /^Error: no notification channel has id 99/],
      [['notify', 'test', '0'], /^Error: invalid channel id "0"/],
    ] as const) {
      const result = await runKedge([...args], {home})
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, pattern)
    }
    const list = await runKedgeJson<ChannelView[]>(['notify', 'list'], {home})
    assert.deepEqual(list.json.map((entry) => entry.id), [channel.id])
    assert.equal((await runKedge(['notify', 'remove', String(channel.id)], {home})).code, 0)
    assert.deepEqual((await runKedgeJson<ChannelView[]>(['notify', 'list'], {home})).json, [])
  })
})

describe('commit status', {timeout: 120_000}, () => {
  const token = `tok_${randomBytes(16).toString('hex')}`
  const owner = 'acme'
  const remote = GitRemote.create({'compose.yaml': SIMPLE_COMPOSE}, {name: owner})
  const repositoryPath = `${owner}/remote`
  let git: GitHttpServer
  let forge: ForgeStatusServer

  before(async () => {
    git = await GitHttpServer.start({projectRoot: path.dirname(path.dirname(remote.bareDir)), username: 'x-access-token', token})
    forge = await startForgeStatusServer({token, repositoryPath})
  })
  after(async () => {
    await git?.stop()
    await forge?.close()
  })

  for (const kind of ['gitea', 'github', 'gitlab'] as const) {
    it(`posts pending, then success or failure, to ${kind}`, async () => {
      const home = tempDir()
      const name = uniqueName('kt-status')
      after(() => removeComposeProject(name))
      const added = await runKedge(['repo', 'add', git.url(`${owner}/remote.git`), '--name', name, '--token-stdin', '--commit-status', kind, '--commit-status-api', forge.apiBase(kind)], {home, input: token})
      assert.equal(added.code, 0, added.stderr)
      const env = {KEDGE_PUBLIC_URL: 'https://kedge.example.com/'}
      const from = forge.calls.length
      assert.equal((await runKedge(['sync', '--repo', name], {home, env})).code, 0)
      const head = remote.head()
      await forge.waitFor((calls) => calls.length >= from + 2, 10_000)
      const context = `kedge/${hostname()}/${name}`
      assert.deepEqual(forge.calls.slice(from).map((call) => [call.forge, call.commit, call.state, call.context]), [
        [kind, head, 'pending', context],
        [kind, head, 'success', context],
      ])
      assert.equal(forge.calls[from + 1]!.targetUrl, `https://kedge.example.com/#/stack/${name}`)
      assert.equal(forge.calls[from + 1]!.description, `deployed ${name}`)

      const broken = remote.commit({'compose.yaml': BROKEN_COMPOSE})
      try {
        assert.equal((await runKedge(['sync', '--repo', name], {home})).code, 1)
        await forge.waitFor((calls) => calls.length >= from + 4, 10_000)
        const failed = forge.calls[from + 3]!
        assert.deepEqual([failed.commit, failed.state], [broken, kind === 'gitlab' ? 'failed' : 'failure'])
        assert.match(failed.description, new RegExp(`^${name} failed: `))
        assert.equal(failed.targetUrl, null)
      } finally {
        remote.commit({'compose.yaml': SIMPLE_COMPOSE})
      }
    })
  }

  it('a forge that refuses never fails the deploy', async () => {
    const home = tempDir()
    const name = uniqueName('kt-status')
    after(() => removeComposeProject(name))
    assert.equal((await runKedge(['repo', 'add', git.url(`${owner}/remote.git`), '--name', name, '--token-stdin', '--commit-status', 'gitea', '--commit-status-api', forge.apiBase('gitea')], {home, input: token})).code, 0)
    forge.setFailing(502)
    try {
      const sync = await runKedge(['sync', '--repo', name], {home})
      assert.equal(sync.code, 0, sync.stderr)
      assert.match(sync.stderr, /notification not delivered \(commit status of kt-status-[0-9a-f]+\): could not deliver to 127\.0\.0\.1:\d+: HTTP 502/)
      assert.ok(!sync.stderr.includes(token))
    } finally {
      forge.setFailing(null)
    }
    await waitFor('the container', () => kedgeContainers(name)[0]?.state === 'running')
  })
})
