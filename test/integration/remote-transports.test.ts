import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {docker} from '../helpers/docker.js'
import {EngineSshServer} from '../helpers/engine-ssh-server.js'
import {GitRemote} from '../helpers/git-remote.js'
import {homeContents} from '../helpers/home-state.js'
import {PrivateEngine} from '../helpers/private-engine.js'
import {filesContaining} from '../helpers/secret-scan.js'
import {uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'
import {TestNetwork} from '../helpers/test-network.js'
import {createTlsCertificates} from '../helpers/tls-certs.js'

const NOT_ROOT = process.getuid?.() !== 0 && 'needs root: it creates network namespaces, veth links and Docker daemons'

const COMPOSE = `services:
  web:
    image: kedge-test/busybox:1
`

/** kedge's containers of a project on an engine: [service, state]. */
function containersOn(engine: PrivateEngine, project: string): string[][] {
  return engine
    .docker('ps', '--all', '--filter', 'label=io.kedge.managed=true', '--filter', `label=io.kedge.project=${project}`, '--format', '{{.Label "io.kedge.service"}} {{.State}}')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' '))
}

/** A node of its own on a test network, with an engine listening on TLS: made inside the test that uses it, and torn down with it. */
async function remoteEngine(): Promise<{engine: PrivateEngine; certs: ReturnType<typeof createTlsCertificates>; node: ReturnType<TestNetwork['addNode']>}> {
  const network = TestNetwork.create()
  const node = network.addNode()
  const certs = createTlsCertificates({ipAddresses: [node.address]})
  const engine = new PrivateEngine({netns: node, tls: certs})
  await engine.start()
  engine.loadImagesFrom('kedge-test/busybox:1')
  return {engine, certs, node}
}

/** Registers a repository on `engineName`, deploys it, and checks it runs there and nowhere on the local engine. */
async function deploysThere(home: string, engine: PrivateEngine, engineName: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const name = uniqueName()
  const remote = GitRemote.create({'compose.yaml': COMPOSE})
  const added = await runKedge(['repo', 'add', remote.fileUrl, '--name', name, '--engine', engineName], {home, env})
  assert.equal(added.code, 0, added.stderr)
  const synced = await runKedge(['sync', '--repo', name], {home, env})
  assert.equal(synced.code, 0, synced.stderr)
  assert.deepEqual(containersOn(engine, name), [['web', 'running']])
  assert.equal(docker('ps', '--all', '--quiet', '--filter', `label=io.kedge.project=${name}`).trim(), '', 'nothing on the local engine')
  const status = await runKedgeJson<Array<{engine: string; services: Array<{containers: Array<{state: string}>}>}>>(['status', '--repo', name], {home, env})
  assert.equal(status.json[0]!.engine, engineName)
  assert.deepEqual(status.json[0]!.services[0]!.containers.map((container) => container.state), ['running'])
  const text = await runKedge(['status'], {home, env})
  assert.match(text.stdout, new RegExp(`engine ${engineName}\\n\\n${name} `))
  assert.equal((await runKedge(['repo', 'remove', name, '--down'], {home, env})).code, 0)
  assert.deepEqual(containersOn(engine, name), [])
  return name
}

describe('reaching a registered engine', {skip: NOT_ROOT, timeout: 300_000}, () => {
  it('over tcp:// with TLS: the client key sealed, a wrong CA refused with nothing written', {timeout: 120_000}, async () => {
    const {engine, certs, node} = await remoteEngine()
    const home = tempDir()
    const added = await runKedge(['engine', 'add', 'tls1', '--host', engine.tcpHost, '--tls-dir', certs.dir], {home})
    assert.equal(added.code, 0, added.stderr)

    // A CA the engine's certificate is not signed by: refused, and nothing written.
    const other = createTlsCertificates({ipAddresses: [node.address]})
    const wrongDir = tempDir()
    for (const [file, text] of [['ca.pem', other.ca.cert], ['cert.pem', certs.client.cert], ['key.pem', certs.client.key]] as const) writeFileSync(path.join(wrongDir, file), text)
    const before = homeContents(home)
    const refused = await runKedgeJson<{error: {code: string; message: string}}>(['engine', 'add', 'tls2', '--host', engine.tcpHost, '--tls-dir', wrongDir], {home})
    assert.equal(refused.code, 1)
    assert.equal(refused.json.error.code, 'engine_untrusted')
    assert.doesNotMatch(refused.json.error.message, /\n/)
    assert.deepEqual(homeContents(home), before, 'a refused engine leaves nothing')

    const listed = await runKedgeJson<Array<{name: string; tls: {subject: string}}>>(['engine', 'list'], {home})
    assert.equal(listed.json[0]!.name, 'tls1')
    assert.ok(listed.json[0]!.tls.subject.length > 0)
    await deploysThere(home, engine, 'tls1')
    const keyBody = certs.client.key.split('\n')[1]!
    assert.deepEqual(filesContaining(home, [keyBody]), [], 'the client key is only ever stored sealed')
  })

  it('over ssh:// through kedge\'s tunnel: the host key learned on first use and pinned', {timeout: 120_000}, async () => {
    const {engine, node} = await remoteEngine()
    const sshd = await EngineSshServer.start(node, engine.socket)
    const home = tempDir()
    const added = await runKedge(['engine', 'add', 'ssh1', '--host', `ssh://root@${node.address}${engine.socket}`, '--ssh-key', sshd.privateKeyFile], {home})
    assert.equal(added.code, 0, added.stderr)
    const listed = await runKedgeJson<Array<{knownHosts: boolean; sshKeyFingerprint: string}>>(['engine', 'list'], {home})
    assert.equal(listed.json[0]!.knownHosts, true, 'the host key seen at add is pinned')
    assert.match(listed.json[0]!.sshKeyFingerprint, /^SHA256:/)
    await deploysThere(home, engine, 'ssh1')
    const keyBody = sshd.privateKey.split('\n')[1]!
    assert.deepEqual(filesContaining(home, [keyBody]), [], 'the ssh key is only ever stored sealed')
  })

  it('through a Docker context, whatever DOCKER_HOST kedge itself runs with', {timeout: 120_000}, async () => {
    const {engine, certs} = await remoteEngine()
    const dockerConfig = tempDir()
    execFileSync('docker', ['context', 'create', 'remote1', '--docker', `host=${engine.tcpHost},ca=${certs.ca.certFile},cert=${certs.client.certFile},key=${certs.client.keyFile}`], {
      env: {...process.env, DOCKER_CONFIG: dockerConfig},
      stdio: 'ignore',
    })
    const home = tempDir()
    // kedge's own environment names the main engine: the context's engine must win for what kedge does there.
    const env = {DOCKER_HOST: 'unix:///var/run/docker.sock'}
    const added = await runKedge(['engine', 'add', 'ctx1', '--context', 'remote1', '--docker-config', dockerConfig], {home, env})
    assert.equal(added.code, 0, added.stderr)
    await deploysThere(home, engine, 'ctx1', env)
  })
})
