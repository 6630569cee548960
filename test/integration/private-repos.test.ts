import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {existsSync, readFileSync, renameSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {AddRepositoryResult} from '../../src/usecases/repositories/add-repository.js'
import type {RepositoryStatus} from '../../src/usecases/repositories/repository-status.js'
import {closeDatabase, openDatabase} from '../../src/store/database.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {containerIds, kedgeContainers, removeComposeProject} from '../helpers/docker.js'
import {GitHttpServer} from '../helpers/git-http-server.js'
import {GitRemote, SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {homeState} from '../helpers/home-state.js'
import {PrivateRegistry} from '../helpers/registry.js'
import {filesContaining, ProcessListSampler} from '../helpers/secret-scan.js'
import {ServeProcess} from '../helpers/serve.js'
import {generateKeyPair, SshGitServer} from '../helpers/ssh-server.js'
import {uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'

const FAST = {'docker-compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': 'reconciliation:\n  interval: 1s\n'}

/** A stack name removed from the engine when the file ends. */
function stackName(prefix: string): string {
  const name = uniqueName(prefix)
  after(() => removeComposeProject(name))
  return name
}

function assertOneLineError(stderr: string, pattern: RegExp): void {
  const errorLines = stderr.split('\n').filter((line) => line.startsWith('Error:'))
  assert.equal(errorLines.length, 1, stderr)
  assert.match(errorLines[0]!, pattern)
}

const deployed = (serve: ServeProcess, name: string, commit: string) =>
  serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === name && commit.startsWith(String(line.commit)), 60_000)

/** The lines of a key that would give it away (not its BEGIN/END markers). */
function keyMaterial(privateKey: string): string[] {
  return privateKey.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'))
}

describe('private repositories over SSH with a deploy key', {timeout: 240_000}, () => {
  // Started while the suite is defined, not in a hook: the temp directories it makes must live as long as the suite.
  const starting = SshGitServer.start()
  let sshd: SshGitServer
  const remote = GitRemote.create(FAST)
  const deployKey = generateKeyPair()
  const otherKey = generateKeyPair()

  before(async () => {
    sshd = await starting
    sshd.authorize(deployKey.publicKey)
  })
  after(() => sshd?.stop())

  it('clones, polls and deploys over ssh://, accepting the host key on first use and recording its fingerprint', async () => {
    const home = tempDir()
    const name = stackName('kt-ssh')
    const added = await runKedgeJson<AddRepositoryResult>(['repo', 'add', sshd.url(remote.bareDir), '--name', name, '--ssh-key', deployKey.privateKeyFile], {home})
    assert.equal(added.code, 0, added.stderr)
    assert.deepEqual(added.json.warnings, [])
    assert.equal(added.json.repository.auth.kind, 'ssh_key')
    assert.equal(added.json.repository.auth.keyFingerprint, deployKey.fingerprint)
    assert.deepEqual(added.json.repository.auth.hostKeys?.map((key) => key.fingerprint), [sshd.hostKeyFingerprint])
    assert.equal(statSync(path.join(home, 'secret.key')).mode & 0o777, 0o600)

    const listed = await runKedge(['repo', 'list'], {home})
    assert.match(listed.stdout, /ssh key/)

    const sampler = new ProcessListSampler()
    const serve = new ServeProcess(home)
    await deployed(serve, name, remote.head())
    const next = remote.commit({'docker-compose.yaml': SIMPLE_COMPOSE.replace('busybox:1', 'busybox:2')}, 'new image')
    await deployed(serve, name, next)
    assert.equal(await serve.stop(), 0)
    const processes = await sampler.stop(keyMaterial(deployKey.privateKey))
    assert.deepEqual(kedgeContainers(name).map((container) => container.image), ['kedge-test/busybox:2'])

    const secrets = keyMaterial(deployKey.privateKey)
    assert.deepEqual(filesContaining(home, secrets), [])
    assert.deepEqual(secrets.filter((secret) => JSON.stringify(serve.lines).includes(secret) || serve.stderr.includes(secret)), [])
    assert.ok(processes.samples > 0)
    assert.deepEqual(processes.matches, [])
  })

  it('accepts and records the host key on the first contact serve makes, when the server was down at repo add', async () => {
    const home = tempDir()
    const name = stackName('kt-ssh')
    const added = await runKedge(['repo', 'add', sshd.url(remote.bareDir), '--name', name, '--ssh-key', deployKey.privateKeyFile], {home})
    assert.equal(added.code, 0, added.stderr)
    // As registered while the server did not answer: no host key known yet.
    const db = openDatabase(path.join(home, 'kedge.db'))
    db.$client.prepare('UPDATE repositories SET known_hosts = NULL WHERE name = ?').run(name)
    closeDatabase(db)

    const serve = new ServeProcess(home)
    const accepted = await serve.waitForLog((line) => line.event === 'host_key.accepted' && line.repo === name)
    assert.equal(accepted.fingerprint, sshd.hostKeyFingerprint)
    await deployed(serve, name, remote.head())
    assert.equal(await serve.stop(), 0)
    const listed = await runKedgeJson<Array<{name: string; auth: {hostKeys?: Array<{fingerprint: string}>}}>>(['repo', 'list'], {home})
    assert.deepEqual(listed.json.find((repo) => repo.name === name)?.auth.hostKeys?.map((key) => key.fingerprint), [sshd.hostKeyFingerprint])
  })

  it('checks the host key strictly against --known-hosts', async () => {
    const knownHosts = path.join(tempDir(), 'known_hosts')
    writeFileSync(knownHosts, `${sshd.hostKnownHostsLine}\n`)
    const home = tempDir()
    const name = stackName('kt-ssh')
    const added = await runKedgeJson<AddRepositoryResult>(['repo', 'add', sshd.url(remote.bareDir), '--name', name, '--ssh-key', deployKey.privateKeyFile, '--known-hosts', knownHosts], {home})
    assert.equal(added.code, 0, added.stderr)
    assert.deepEqual(added.json.repository.auth.hostKeys?.map((key) => key.fingerprint), [sshd.hostKeyFingerprint])
    const synced = await runKedge(['sync', '--repo', name], {home})
    assert.equal(synced.code, 0, synced.stderr)
  })

  it('refuses a key the server does not accept, a changed host key and an unknown host, each in one line, registering nothing', async () => {
    const home = tempDir()
    const url = sshd.url(remote.bareDir)
    const before = await homeState(home)

    const wrongKey = await runKedge(['repo', 'add', url, '--ssh-key', otherKey.privateKeyFile], {home})
    assert.equal(wrongKey.code, 1)
    assertOneLineError(wrongKey.stderr, new RegExp(`refused the deploy key ${otherKey.fingerprint.replace(/[+/]/g, '\\$&')}`))

    const impostor = path.join(tempDir(), 'known_hosts')
    writeFileSync(impostor, `[127.0.0.1]:${sshd.port} ${otherKey.publicKey.split(' ').slice(0, 2).join(' ')}\n`)
    const changed = await runKedgeJson(['repo', 'add', url, '--ssh-key', deployKey.privateKeyFile, '--known-hosts', impostor], {home})
    assert.equal(changed.code, 1)
    assert.equal((changed.json as {error: {code: string}}).error.code, 'host_key_changed')

    const elsewhere = path.join(tempDir(), 'known_hosts')
    writeFileSync(elsewhere, `git.example.invalid ${otherKey.publicKey.split(' ').slice(0, 2).join(' ')}\n`)
    const unknown = await runKedge(['repo', 'add', url, '--ssh-key', deployKey.privateKeyFile, '--known-hosts', elsewhere], {home})
    assert.equal(unknown.code, 1)
    assertOneLineError(unknown.stderr, /SSH host key of 127\.0\.0\.1:\d+ is not one kedge trusts/)

    assert.deepEqual(await homeState(home), before)
    assert.equal(existsSync(path.join(home, 'secret.key')), false, 'no secret key is created for a refused repository')
  })
})

describe('private repositories over HTTP with a token', {timeout: 240_000}, () => {
  const token = `tok_${randomBytes(16).toString('hex')}`
  const variable = `TEST_GIT_TOKEN_${randomBytes(3).toString('hex').toUpperCase()}`
  const remote = GitRemote.create(FAST)
  let server: GitHttpServer
  let url: string

  const starting = GitHttpServer.start({projectRoot: path.dirname(remote.bareDir), username: 'x-access-token', token})

  before(async () => {
    server = await starting
    url = server.url(path.basename(remote.bareDir))
  })
  after(() => server?.stop())

  it('--token-env: clones, polls and deploys; a revoked token is recorded on the repository and the stack left as it was', async () => {
    const home = tempDir()
    const name = stackName('kt-token')
    const env = {[variable]: token}
    const added = await runKedgeJson<AddRepositoryResult>(['repo', 'add', url, '--name', name, '--token-env', variable], {home, env})
    assert.equal(added.code, 0, added.stderr)
    assert.deepEqual(added.json.repository.auth, {kind: 'token_env', tokenEnv: variable})
    assert.match(added.json.warnings.join('\n'), /unencrypted over http:\/\//)

    const sampler = new ProcessListSampler()
    const serve = new ServeProcess(home, [], env)
    await deployed(serve, name, remote.head())
    const ids = containerIds(name)
    assert.ok(server.requests.length > 0 && server.requests.every((request) => request.authorized), 'every request carried the token')

    server.setToken(`tok_${randomBytes(16).toString('hex')}`)
    remote.commit({'docker-compose.yaml': SIMPLE_COMPOSE.replace('busybox:1', 'busybox:2')}, 'not reachable without a token')
    const failed = await serve.waitForLog((line) => line.event === 'poll.failed' && line.repo === name, 30_000)
    assert.match(String(failed.error), new RegExp(`refused the token \\(\\$${variable}\\)`))
    assert.equal(await serve.stop(), 0)
    const processes = await sampler.stop([token])
    assert.ok(processes.samples > 0)

    const status = await runKedgeJson<RepositoryStatus[]>(['status', '--repo', name], {home, env})
    assert.match(status.json[0]!.lastError?.message ?? '', /refused the token/)
    assert.deepEqual(containerIds(name), ids, 'the stack is left as it was')

    assert.deepEqual(filesContaining(home, [token]), [])
    assert.ok(!JSON.stringify(serve.lines).includes(token) && !serve.stderr.includes(token))
    assert.deepEqual(processes.matches, [])
    assert.ok(readFileSync(path.join(home, 'repos', name, '.git', 'config'), 'utf8').includes(url), 'the clone keeps the plain URL')
    server.setToken(token)
  })

  it('--token-stdin: stores the token encrypted; a missing or wrong secret key is a clear error', async () => {
    const home = tempDir()
    const name = stackName('kt-token')
    const added = await runKedgeJson<AddRepositoryResult>(['repo', 'add', url, '--name', name, '--token-stdin'], {home, input: `${token}\n`})
    assert.equal(added.code, 0, added.stderr)
    assert.deepEqual(added.json.repository.auth, {kind: 'token'})
    const synced = await runKedge(['sync', '--repo', name], {home})
    assert.equal(synced.code, 0, synced.stderr)
    assert.deepEqual(filesContaining(home, [token]), [])

    const keyFile = path.join(home, 'secret.key')
    renameSync(keyFile, `${keyFile}.away`)
    const missing = await runKedgeJson(['sync', '--repo', name], {home})
    assert.equal(missing.code, 1)
    assert.equal((missing.json as {error: {code: string}}).error.code, 'secret_key_missing')
    const wrong = await runKedge(['sync', '--repo', name], {home, env: {KEDGE_SECRET_KEY: randomBytes(32).toString('base64')}})
    assert.equal(wrong.code, 1)
    assertOneLineError(wrong.stderr, /was encrypted with secret key \w{8}, but KEDGE_SECRET_KEY holds key \w{8}/)
    renameSync(`${keyFile}.away`, keyFile)
    const again = await runKedge(['sync', '--repo', name], {home, env: {KEDGE_SECRET_KEY: readFileSync(keyFile, 'utf8').trim()}})
    assert.equal(again.code, 0, again.stderr)
  })

  it('refuses a wrong token and a remote that asks for credentials, registering nothing', async () => {
    const home = tempDir()
    const before = await homeState(home)
    const wrong = await runKedge(['repo', 'add', url, '--token-stdin'], {home, input: 'tok_wrong_0123456789'})
    assert.equal(wrong.code, 1)
    assertOneLineError(wrong.stderr, /refused the token \(stored token\)/)
    assert.ok(!wrong.stderr.includes('tok_wrong_0123456789'))
    const none = await runKedge(['repo', 'add', url], {home})
    assert.equal(none.code, 1)
    assertOneLineError(none.stderr, /asks for credentials/)
    assert.deepEqual(await homeState(home), before)
  })
})

describe('a token and a redirect', {timeout: 60_000}, () => {
  it('does not follow a remote that redirects elsewhere, so the token never reaches the other address', async () => {
    const remote = GitRemote.create(FAST)
    const token = `tok_${randomBytes(16).toString('hex')}`
    const target = await GitHttpServer.start({projectRoot: path.dirname(remote.bareDir), username: 'x-access-token', token})
    after(() => target.stop())
    const redirector = http.createServer((request, response) => {
      response.writeHead(301, {location: `${target.url(path.basename(remote.bareDir))}${request.url!.replace(/^\/[^/?]+/, '')}`})
      response.end()
    })
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve))
    after(() => redirector.close())
    const url = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/moved.git`
    const home = tempDir()
    const result = await runKedge(['repo', 'add', url, '--token-stdin'], {home, input: token})
    assert.equal(result.code, 1)
    assertOneLineError(result.stderr, /redirects the repository elsewhere, and kedge does not send the token to another address/)
    assert.deepEqual(target.requests, [])
  })
})

describe('bad credential input', {timeout: 60_000}, () => {
  it('is refused with one line and exit code 2, changing nothing', async () => {
    const home = tempDir()
    const dir = tempDir()
    const notAKey = path.join(dir, 'not-a-key')
    writeFileSync(notAKey, 'hello\n')
    const locked = generateKeyPair(dir)
    const lockedKey = path.join(dir, 'locked')
    writeFileSync(lockedKey, locked.privateKey, {mode: 0o600})
    execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'a passphrase', '-f', lockedKey])
    const ssh = 'ssh://git@127.0.0.1:9/x.git'
    const https = 'https://127.0.0.1:9/x.git'
    const cases: Array<[string[], RegExp, NodeJS.ProcessEnv?, string?]> = [
      [['repo', 'add', https, '--ssh-key', locked.privateKeyFile], /is not an SSH URL/],
      [['repo', 'add', ssh, '--token-env', 'SOME_TOKEN'], /is not an https:\/\/ URL/, {SOME_TOKEN: 'abcdefgh'}],
      [['repo', 'add', https, '--token-env', 'UNSET_TOKEN_VAR_OF_A_TEST'], /environment variable UNSET_TOKEN_VAR_OF_A_TEST is not set/],
      [['repo', 'add', https, '--token-env', 'not a name'], /takes an environment variable name/],
      [['repo', 'add', https, '--token-env', 'PATH'], /PATH configures the host/],
      [['repo', 'add', https, '--token-env', 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB'], /looks like the secret itself/],
      [['repo', 'add', 'https://ghp_0123456789abcdefghijklmnopqrstuvwxyzAB@127.0.0.1:9/x.git'], /user name looks like a token/],
      [['repo', 'add', https, '--token-stdin'], /no token was given/, undefined, '\n'],
      [['repo', 'add', https, '--token-stdin'], /white space/, undefined, 'two tokens\n'],
      [['repo', 'add', ssh, '--ssh-key', path.join(dir, 'missing')], /cannot read the SSH key/],
      [['repo', 'add', ssh, '--ssh-key', notAKey], /not an OpenSSH private key/],
      [['repo', 'add', ssh, '--ssh-key', lockedKey], /protected by a passphrase/],
      [['repo', 'add', ssh, '--ssh-key', locked.privateKeyFile, '--known-hosts', notAKey], /holds no host key/],
      [['repo', 'add', ssh, '--known-hosts', notAKey], /--ssh-key/],
      [['repo', 'add', https, '--token-stdin', '--token-env', 'X'], /cannot also be provided|--token-env/, undefined, 'tok'],
    ]
    const before = await homeState(home)
    for (const [args, pattern, env, input] of cases) {
      const result = await runKedge(args, {home, env, input})
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
      assertOneLineError(result.stderr, pattern)
      assert.ok(!result.stderr.includes('ghp_0123'), 'a token given by mistake is not printed back')
    }
    assert.deepEqual(await homeState(home), before)
    assert.equal(existsSync(path.join(home, 'secret.key')), false)
  })
})

describe('private image registries', {timeout: 180_000}, () => {
  it('pulls with the host\'s Docker credentials (DOCKER_CONFIG), and fails clearly without them', async () => {
    const registry = await PrivateRegistry.start()
    after(() => registry.stop())
    const image = registry.reference(`kedge-private/${uniqueName('app')}:1`)
    registry.push('kedge-test/busybox:1', image)
    const name = stackName('kt-registry')
    const remote = GitRemote.create({'docker-compose.yaml': `services:\n  web:\n    image: ${image}\n`})
    const home = tempDir()
    assert.equal((await runKedge(['repo', 'add', remote.fileUrl, '--name', name], {home})).code, 0)
    after(() => execFileSync('docker', ['rmi', '--force', image], {stdio: 'ignore'}))

    const emptyConfig = tempDir()
    const denied = await runKedge(['sync', '--repo', name], {home, env: {DOCKER_CONFIG: emptyConfig}})
    assert.equal(denied.code, 1)
    assertOneLineError(denied.stderr, /compose could not pull images/)
    assert.deepEqual(kedgeContainers(name), [])

    const synced = await runKedge(['sync', '--repo', name], {home, env: {DOCKER_CONFIG: registry.dockerConfigDir}})
    assert.equal(synced.code, 0, synced.stderr)
    assert.deepEqual(kedgeContainers(name).map((container) => container.image), [image])
    assert.ok(!synced.stdout.includes(registry.password) && !denied.stderr.includes(registry.password))
  })
})
