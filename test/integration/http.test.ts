import assert from 'node:assert/strict'
import {createHmac, randomBytes} from 'node:crypto'
import {readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {currentProcess} from '../../src/adapters/process/process-identity.js'
import {closeDatabase, openDatabase} from '../../src/store/database.js'
import {tryTakeLock} from '../../src/store/locks.js'
import {runKedgeJson} from '../helpers/cli.js'
import {docker, kedgeContainers, removeComposeProject} from '../helpers/docker.js'
import {GitRemote, SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {postDeclaringSize, request} from '../helpers/http.js'
import {parseMetrics, sampleValue} from '../helpers/prometheus.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack, uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'
import {waitFor} from '../helpers/wait.js'

const HOOK_SECRET = `hook-${randomBytes(8).toString('hex')}`
const HOOK_ENV = {KEDGE_TEST_HOOK_SECRET: HOOK_SECRET}

async function serveWithHttp(home: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{serve: ServeProcess; base: string}> {
  const serve = new ServeProcess(home, args, {...HOOK_ENV, ...env})
  const listening = await serve.waitForLog((line) => line.event === 'http.listening', 30_000)
  return {serve, base: String(listening.address)}
}

/** The repository's poll count once it has not changed for a second and a half: no round running or queued. */
async function settledPolls(base: string, repo: string): Promise<number> {
  const polls = async () => sampleValue(parseMetrics((await request(base, 'GET', '/metrics')).text), 'kedge_git_polls_total', {repo, success: 'true'}) ?? 0
  let last = await polls()
  let stableSince = Date.now()
  return waitFor('the polls to settle', async () => {
    const now = await polls()
    if (now !== last) {
      last = now
      stableSince = Date.now()
    }
    return Date.now() - stableSince >= 1500 ? now : undefined
  }, 30_000, 250)
}

function signed0() {
  return githubHook({ref: 'refs/heads/main'})
}

function githubHook(body: object, secret = HOOK_SECRET): {raw: string; headers: Record<string, string>} {
  const raw = JSON.stringify(body)
  const signature = createHmac('sha256', secret).update(raw).digest('hex')
  return {raw, headers: {'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${signature}`}}
}

describe('the HTTP side of kedge serve', {timeout: 300_000}, () => {
  it('answers /health at once, and /ready only once every repository was reconciled', async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {args: ['--interval', '1s']})
    const db = openDatabase(path.join(stack.home, 'kedge.db'))
    const me = {...currentProcess(), purpose: 'a test holding the lock', acquiredAt: new Date()}
    try {
      assert.ok(tryTakeLock(db, `repository:${stack.name}`, me, () => false).taken)
      const {serve, base} = await serveWithHttp(stack.home)
      assert.deepEqual((await request(base, 'GET', '/health')).json, {status: 'ok'})
      await serve.waitForLog((line) => line.event === 'poll.busy' && line.repo === stack.name)
      const notReady = await request(base, 'GET', '/ready')
      assert.equal(notReady.status, 503)
      const {engines, ...readiness} = notReady.json as {engines: Array<{name: string; up: boolean}>}
      assert.deepEqual(readiness, {ready: false, pending: [stack.name]})
      assert.deepEqual(engines.map((engine) => [engine.name, engine.up]), [['local', true]])
      db.$client.prepare('DELETE FROM locks').run()
      await waitFor('/ready', async () => (await request(base, 'GET', '/ready')).status === 200, 90_000, 250)
      assert.equal(await serve.stop(), 0)
    } finally {
      closeDatabase(db)
    }
  })

  it('exposes Prometheus metrics under the Go kedge\'s names after a deploy and a drift', async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {args: ['--interval', '1h']})
    const {serve, base} = await serveWithHttp(stack.home)
    await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === stack.name)
    docker('stop', '--time', '1', kedgeContainers(stack.name)[0]!.id)
    await serve.waitForLog((line) => line.event === 'drift.healed' && line.repo === stack.name)

    const metrics = await request(base, 'GET', '/metrics')
    assert.equal(metrics.status, 200)
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/)
    const samples = parseMetrics(metrics.text)
    const repo = stack.name
    assert.equal(sampleValue(samples, 'kedge_info'), 1)
    assert.equal(sampleValue(samples, 'kedge_deployments_total', {repo, status: 'success'}), 2, 'the startup deploy and the heal')
    assert.equal(sampleValue(samples, 'kedge_drift_detected_total', {repo, service: 'web'}), 1)
    assert.equal(sampleValue(samples, 'kedge_git_polls_total', {repo, success: 'true'}), 1)
    assert.equal(sampleValue(samples, 'kedge_git_poll_duration_seconds_count', {repo, success: 'true'}), 1)
    assert.equal(sampleValue(samples, 'kedge_reconciliation_duration_seconds_count', {repo, success: 'true'}), 1)
    assert.equal(sampleValue(samples, 'kedge_services_total', {repo, state: 'running'}), 1)
    assert.equal(sampleValue(samples, 'kedge_commit_to_running_seconds_count', {repo}), 1)
    const toRunning = sampleValue(samples, 'kedge_commit_to_running_seconds_sum', {repo})!
    assert.ok(toRunning > 0 && toRunning < 120, `commit to running: ${toRunning} s`)
    const last = sampleValue(samples, 'kedge_last_deployment_timestamp_seconds', {repo})!
    assert.ok(Math.abs(last - Date.now() / 1000) < 120)

    // The dashboard shipped in contrib/ asks only for metrics kedge exports.
    const exported = new Set(samples.map((sample) => sample.name.replace(/_(bucket|sum|count)$/, '')))
    const dashboard = readFileSync(new URL('../../contrib/grafana/kedge.json', import.meta.url), 'utf8')
    const asked = new Set([...dashboard.matchAll(/\b(kedge_[a-z_]+)/g)].map((match) => match[1]!.replace(/_(bucket|sum|count)$/, '')))
    assert.deepEqual([...asked].filter((name) => !exported.has(name)), [])
    assert.equal(await serve.stop(), 0)
  })

  it('serves every API route to the admin token only, calling what the CLI calls', async () => {
    const home = tempDir()
    const {serve, base} = await serveWithHttp(home)
    const token = readFileSync(path.join(home, 'admin.token'), 'utf8').trim()
    assert.equal(statSync(path.join(home, 'admin.token')).mode & 0o777, 0o600)
    const remote = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE})
    const name = uniqueName('kt-api')
    after(() => removeComposeProject(name))

    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/v1/repos'],
      ['POST', '/api/v1/repos', {url: remote.fileUrl, name}],
      ['GET', `/api/v1/repos/${name}`],
      ['PATCH', `/api/v1/repos/${name}`, {interval: '1h'}],
      ['GET', `/api/v1/repos/${name}/status`],
      ['GET', `/api/v1/repos/${name}/diff`],
      ['GET', `/api/v1/repos/${name}/history`],
      ['POST', `/api/v1/repos/${name}/sync`],
      ['POST', `/api/v1/repos/${name}/rollback`, {commit: remote.head()}],
      ['DELETE', `/api/v1/repos/${name}?down=true`],
    ]
    for (const [method, route, body] of routes) {
      for (const wrong of [undefined, 'not-the-token']) {
        const refused = await request(base, method, route, {token: wrong, body})
        assert.equal(refused.status, 401, `${method} ${route} without the token`)
        assert.equal(refused.json.error.code, 'unauthorized')
        assert.equal(refused.headers.get('www-authenticate'), 'Bearer')
      }
    }
    assert.equal((await runKedgeJson<unknown[]>(['repo', 'list'], {home})).json.length, 0, 'nothing was done without the token')

    const call = (method: string, route: string, body?: unknown) => request(base, method, route, {token, body})
    const added = await call('POST', '/api/v1/repos', {url: remote.fileUrl, name})
    assert.equal(added.status, 201, added.text)
    assert.equal(added.json.repository.name, name)
    assert.equal(added.headers.get('access-control-allow-origin'), null, 'no CORS')
    assert.deepEqual((await call('GET', '/api/v1/repos')).json.map((repo: {name: string}) => repo.name), [name])
    assert.equal((await call('GET', `/api/v1/repos/${name}`)).json.url, remote.fileUrl)
    assert.equal((await call('PATCH', `/api/v1/repos/${name}`, {interval: '1h'})).json.interval, '1h')
    // A POST with no body, though it says JSON, as many clients send it.
    const synced = await request(base, 'POST', `/api/v1/repos/${name}/sync`, {token, headers: {'content-type': 'application/json'}})
    assert.equal(synced.status, 200, synced.text)
    assert.equal(synced.json.deployment.status, 'success')
    assert.equal((await call('GET', `/api/v1/repos/${name}/status`)).json.inSync, true)
    assert.deepEqual((await call('GET', `/api/v1/repos/${name}/diff`)).json.drift, [])
    const cliHistory = (await runKedgeJson<unknown[]>(['history', '--repo', name], {home})).json
    assert.deepEqual((await call('GET', `/api/v1/repos/${name}/history`)).json, cliHistory, 'the same as the CLI says')
    const rolledBack = await call('POST', `/api/v1/repos/${name}/rollback`, {commit: remote.head().slice(0, 8)})
    assert.equal(rolledBack.status, 200, rolledBack.text)
    assert.equal(rolledBack.json.deployment.trigger, 'rollback')

    const refusals: Array<[string, string, unknown, number, string]> = [
      ['POST', '/api/v1/repos', {name: 'x'}, 400, 'invalid_request'],
      ['POST', '/api/v1/repos', {url: remote.fileUrl, unknown: 1}, 400, 'invalid_request'],
      ['POST', '/api/v1/repos', {url: 'ftp://x/y.git'}, 400, 'invalid_url'],
      ['POST', '/api/v1/repos', {url: remote.fileUrl, name}, 409, 'conflict'],
      ['GET', '/api/v1/repos/nope', undefined, 404, 'not_found'],
      ['PATCH', `/api/v1/repos/${name}`, {interval: 'soon'}, 400, 'invalid_interval'],
      ['POST', `/api/v1/repos/${name}/rollback`, {commit: 'f'.repeat(12)}, 404, 'not_found'],
      ['GET', `/api/v1/repos/${name}/history?limit=0`, undefined, 400, 'invalid_request'],
      ['PATCH', `/api/v1/repos/${name}`, {interval: 5}, 400, 'invalid_request'],
      ['POST', `/api/v1/repos/${name}/rollback`, {commit: ['abc1234']}, 400, 'invalid_request'],
    ]
    for (const [method, route, body, status, code] of refusals) {
      const response = await call(method, route, body)
      assert.equal(response.status, status, `${method} ${route}: ${response.text}`)
      assert.equal(response.json.error.code, code, `${method} ${route}`)
    }
    assert.equal(await postDeclaringSize(`${base}/api/v1/repos`, 400_000, {'content-type': 'application/json', authorization: `Bearer ${token}`}), 413)
    assert.equal((await request(base, 'HEAD', `/api/v1/repos/${name}/diff`, {token})).status, 404, 'HEAD does not run a GET route')

    const removed = await call('DELETE', `/api/v1/repos/${name}?down=true`)
    assert.equal(removed.status, 200, removed.text)
    assert.deepEqual(kedgeContainers(name), [])
    assert.equal(await serve.stop(), 0)
  })

  it('takes the admin token from KEDGE_ADMIN_TOKEN when it is set', async () => {
    const home = tempDir()
    const token = `admin-${randomBytes(12).toString('hex')}`
    const {serve, base} = await serveWithHttp(home, [], {KEDGE_ADMIN_TOKEN: token})
    assert.equal((await request(base, 'GET', '/api/v1/repos', {token})).status, 200)
    assert.ok(!JSON.stringify(serve.lines).includes(token))
    assert.equal(await serve.stop(), 0)
  })

  it('deploys on a signed push webhook long before the poll interval; refuses bad signatures, other branches and big bodies; folds a burst', async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {args: ['--interval', '1h', '--webhook-secret-env', 'KEDGE_TEST_HOOK_SECRET'], env: HOOK_ENV})
    const {serve, base} = await serveWithHttp(stack.home)
    await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === stack.name)
    const hook = `/hooks/${stack.name}`

    const next = stack.remote.commit({'docker-compose.yaml': SIMPLE_COMPOSE.replace('busybox:1', 'busybox:2')}, 'new image')
    const forged = githubHook({ref: 'refs/heads/main', after: next}, 'not-the-secret')
    const refused = await request(base, 'POST', hook, {raw: forged.raw, headers: forged.headers})
    assert.equal(refused.status, 401)
    assert.equal(refused.json.error.code, 'bad_signature')
    const otherBranch = githubHook({ref: 'refs/heads/feature', after: next})
    const ignored = await request(base, 'POST', hook, {raw: otherBranch.raw, headers: otherBranch.headers})
    assert.equal(ignored.status, 202)
    assert.equal(ignored.json.status, 'ignored')
    const oversized = await postDeclaringSize(`${base}${hook}`, 26 * 1024 * 1024, {'content-type': 'application/json', 'x-gitlab-token': HOOK_SECRET})
    assert.equal(oversized, 413)
    assert.deepEqual(serve.events('deploy.succeeded', stack.name).length, 1, 'none of those deployed anything')
    // An unverified caller cannot tell an unknown repository from a wrong signature.
    const unknown = await request(base, 'POST', '/hooks/no-such-repo', {raw: signed0().raw, headers: signed0().headers})
    assert.deepEqual([unknown.status, unknown.text], [401, refused.text])

    // A push while another deploy holds the repository's lock is polled as soon as the lock is free.
    const db = openDatabase(path.join(stack.home, 'kedge.db'))
    const me = {...currentProcess(), purpose: 'a test holding the lock', acquiredAt: new Date()}
    assert.ok(tryTakeLock(db, `repository:${stack.name}`, me, () => false).taken)
    const signed = githubHook({ref: 'refs/heads/main', after: next})
    const accepted = await request(base, 'POST', hook, {raw: signed.raw, headers: signed.headers})
    assert.equal(accepted.status, 202, accepted.text)
    await serve.waitForLog((line) => line.event === 'poll.busy' && line.repo === stack.name)
    const sent = Date.now()
    db.$client.prepare('DELETE FROM locks').run()
    closeDatabase(db)
    await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === stack.name && next.startsWith(String(line.commit)), 30_000)
    const took = Date.now() - sent
    assert.ok(took < 20_000, `deployed ${took} ms after the webhook, with a poll interval of an hour`)

    // Gitea and GitLab sign differently; both are accepted.
    const body = JSON.stringify({ref: 'refs/heads/main'})
    const gitea = await request(base, 'POST', hook, {raw: body, headers: {'content-type': 'application/json', 'x-gitea-event': 'push', 'x-gitea-signature': createHmac('sha256', HOOK_SECRET).update(body).digest('hex')}})
    assert.equal(gitea.json.status, 'queued')
    const gitlab = await request(base, 'POST', hook, {raw: body, headers: {'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': HOOK_SECRET}})
    assert.equal(gitlab.json.status, 'queued')

    // A burst: ten pushes within a second give one round in flight and one queued, not ten.
    const pollsBefore = await settledPolls(base, stack.name)
    const third = stack.remote.commit({'docker-compose.yaml': SIMPLE_COMPOSE.replace('busybox:1', 'busybox:3')}, 'third image')
    const burst = githubHook({ref: 'refs/heads/main', after: third})
    const answers = await Promise.all(Array.from({length: 10}, () => request(base, 'POST', hook, {raw: burst.raw, headers: burst.headers})))
    assert.deepEqual(answers.map((answer) => answer.status), Array(10).fill(202))
    await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === stack.name && third.startsWith(String(line.commit)), 30_000)
    const pollsAfter = await settledPolls(base, stack.name)
    assert.ok(pollsAfter - pollsBefore >= 1 && pollsAfter - pollsBefore <= 2, `${pollsAfter - pollsBefore} polls for a burst of ten`)
    assert.equal(serve.events('deploy.succeeded', stack.name).length, 3, 'startup, the first push, the burst')
    assert.equal(await serve.stop(), 0)
  })
})
