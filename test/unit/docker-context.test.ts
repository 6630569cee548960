import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {readDockerContext} from '../../src/adapters/engine/docker-context-reader.js'
import {dockerConfigDirectory, dockerContextFiles, parseDockerContextMeta} from '../../src/model/engine/docker-context.js'
import {InvalidInputError, NotFoundError} from '../../src/model/errors.js'
import {redact} from '../../src/model/secrets/redaction.js'
import {tempDir} from '../helpers/temp.js'

/** sha256 of "web2", as `printf web2 | sha256sum` prints it: the directory the Docker CLI names the context's files by. */
const WEB2_HASH = '146d3146edc9c8f1640fdac0e4919b013daf8f409d1900ecc89f65d51b45a9f3'

function sha256Hex(text: string): string {
  return execFileSync('sha256sum', {input: text, encoding: 'utf8'}).split(' ')[0]!
}

const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgkedgeContextKeyOnly\n-----END PRIVATE KEY-----\n'

/** A context laid out as `docker context create NAME --docker host=…,ca=…,cert=…,key=…` lays it out. */
function writeContext(dockerConfig: string, name: string, host: string, options: {skipTlsVerify?: boolean; tls?: Partial<Record<'ca' | 'cert' | 'key', string>>} = {}): void {
  const hash = sha256Hex(name)
  const metaDir = path.join(dockerConfig, 'contexts', 'meta', hash)
  mkdirSync(metaDir, {recursive: true})
  writeFileSync(path.join(metaDir, 'meta.json'), JSON.stringify({Name: name, Metadata: {}, Endpoints: {docker: {Host: host, SkipTLSVerify: options.skipTlsVerify ?? false}}}))
  if (!options.tls) return
  const tlsDir = path.join(dockerConfig, 'contexts', 'tls', hash, 'docker')
  mkdirSync(tlsDir, {recursive: true})
  for (const [file, content] of Object.entries(options.tls)) writeFileSync(path.join(tlsDir, `${file}.pem`), content, {mode: 0o600})
}

describe('a Docker context\'s files', () => {
  it('are named by the sha256 of the context\'s name, under DOCKER_CONFIG', () => {
    const files = dockerContextFiles('/home/me/.docker', 'web2')
    assert.equal(files.meta, `/home/me/.docker/contexts/meta/${WEB2_HASH}/meta.json`)
    assert.equal(files.tlsDirectory, `/home/me/.docker/contexts/tls/${WEB2_HASH}/docker`)
    assert.deepEqual([files.ca, files.cert, files.key], ['ca.pem', 'cert.pem', 'key.pem'].map((file) => `/home/me/.docker/contexts/tls/${WEB2_HASH}/docker/${file}`))
  })

  it('are under DOCKER_CONFIG when it is set, else ~/.docker', () => {
    assert.equal(dockerConfigDirectory({DOCKER_CONFIG: '/etc/kedge/docker'}, '/root'), '/etc/kedge/docker')
    assert.equal(dockerConfigDirectory({}, '/root'), '/root/.docker')
  })

  it('do not exist for "default", nor for a name the CLI refuses', () => {
    for (const name of ['default', 'x', '-web', 'web 2', '../web', '']) {
      assert.throws(() => dockerContextFiles('/d', name), (error: unknown) => error instanceof InvalidInputError && error.code === 'invalid_docker_context' && !error.message.includes('\n'), name)
    }
  })

  it('match what the Docker CLI writes', {skip: !hasDockerCli()}, () => {
    const dockerConfig = tempDir('kedge-docker-config-')
    const tls = tempDir('kedge-context-tls-')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=kedge-test', '-keyout', path.join(tls, 'key.pem'), '-out', path.join(tls, 'ca.pem')], {stdio: 'ignore'})
    writeFileSync(path.join(tls, 'cert.pem'), readFileSync(path.join(tls, 'ca.pem')))
    const docker = (...args: string[]) => execFileSync('docker', args, {env: {...process.env, DOCKER_CONFIG: dockerConfig}, stdio: 'ignore'})
    docker('context', 'create', 'web2', '--docker', `host=tcp://10.0.0.12:2376,ca=${tls}/ca.pem,cert=${tls}/cert.pem,key=${tls}/key.pem`)
    docker('context', 'create', 'web3.ssh', '--docker', 'host=ssh://deploy@10.0.0.13:2222', '--description', 'the third')

    const web2 = dockerContextFiles(dockerConfig, 'web2')
    assert.deepEqual(parseDockerContextMeta(readFileSync(web2.meta, 'utf8'), 'web2'), {host: 'tcp://10.0.0.12:2376', skipTlsVerify: false})
    assert.equal(readFileSync(web2.key, 'utf8'), readFileSync(path.join(tls, 'key.pem'), 'utf8'))
    assert.equal(readFileSync(web2.ca, 'utf8'), readFileSync(path.join(tls, 'ca.pem'), 'utf8'))
    const web3 = dockerContextFiles(dockerConfig, 'web3.ssh')
    assert.deepEqual(parseDockerContextMeta(readFileSync(web3.meta, 'utf8'), 'web3.ssh'), {host: 'ssh://deploy@10.0.0.13:2222', skipTlsVerify: false})
  })
})

describe('parseDockerContextMeta', () => {
  it('reads the docker endpoint, SkipTLSVerify false when left out', () => {
    assert.deepEqual(parseDockerContextMeta('{"Name":"web2","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://h:2376","SkipTLSVerify":true}}}', 'web2'), {host: 'tcp://h:2376', skipTlsVerify: true})
    assert.deepEqual(parseDockerContextMeta('{"Name":"web2","Endpoints":{"docker":{"Host":"unix:///s.sock"}}}', 'web2'), {host: 'unix:///s.sock', skipTlsVerify: false})
  })

  it('refuses, in one line, what the CLI never writes', () => {
    const cases: Array<[string, RegExp]> = [
      ['not json', /is not JSON/],
      ['[]', /not a JSON object/],
      ['{"Name":"web3","Endpoints":{"docker":{"Host":"tcp://h"}}}', /names another context, "web3"/],
      ['{"Name":"web2","Endpoints":{"kubernetes":{}}}', /no docker endpoint/],
      ['{"Name":"web2","Endpoints":{"docker":{"Host":""}}}', /has no Host/],
      ['{"Name":"web2","Endpoints":{"docker":{"Host":"tcp://h","SkipTLSVerify":"yes"}}}', /SkipTLSVerify/],
    ]
    for (const [text, why] of cases) {
      assert.throws(
        () => parseDockerContextMeta(text, 'web2'),
        (error: unknown) => error instanceof InvalidInputError && error.code === 'invalid_docker_context' && why.test(error.message) && !error.message.includes('\n'),
        text,
      )
    }
  })
})

describe('readDockerContext', () => {
  it('reads a tcp:// context with its TLS files, and registers the key as a secret', async () => {
    const dockerConfig = tempDir('kedge-docker-config-')
    writeContext(dockerConfig, 'web2', 'tcp://10.0.0.12:2376', {tls: {ca: 'CA PEM', cert: 'CERT PEM', key: KEY_PEM}})
    const context = await readDockerContext('web2', {dockerConfig})
    assert.deepEqual(context, {endpoint: {kind: 'tcp', host: '10.0.0.12', port: 2376}, tls: {ca: 'CA PEM', cert: 'CERT PEM', key: KEY_PEM}})
    assert.ok(!redact(`the key: ${KEY_PEM}`).includes('kedgeContextKeyOnly'))
  })

  it('reads ssh:// and unix:// contexts, which have no TLS files', async () => {
    const dockerConfig = tempDir('kedge-docker-config-')
    writeContext(dockerConfig, 'web3', 'ssh://deploy@10.0.0.13')
    writeContext(dockerConfig, 'rootless', 'unix:///run/user/1000/docker.sock')
    assert.deepEqual(await readDockerContext('web3', {dockerConfig}), {endpoint: {kind: 'ssh', user: 'deploy', host: '10.0.0.13', port: 22, socket: '/var/run/docker.sock'}, tls: null})
    assert.deepEqual(await readDockerContext('rootless', {dockerConfig}), {endpoint: {kind: 'unix', path: '/run/user/1000/docker.sock'}, tls: null})
  })

  it('takes a loopback tcp:// context without TLS, and no other', async () => {
    const dockerConfig = tempDir('kedge-docker-config-')
    writeContext(dockerConfig, 'here', 'tcp://127.0.0.1:2375')
    writeContext(dockerConfig, 'there', 'tcp://10.0.0.12:2375')
    writeContext(dockerConfig, 'half', 'tcp://10.0.0.12:2376', {tls: {ca: 'CA PEM'}})
    assert.deepEqual(await readDockerContext('here', {dockerConfig}), {endpoint: {kind: 'tcp', host: '127.0.0.1', port: 2375}, tls: null})
    for (const name of ['there', 'half']) {
      await assert.rejects(readDockerContext(name, {dockerConfig}), (error: unknown) => error instanceof InvalidInputError && error.code === 'invalid_docker_context' && /does not hold the engine's CA, a client certificate and its key/.test(error.message))
    }
  })

  it('refuses a context that skips the TLS check', async () => {
    const dockerConfig = tempDir('kedge-docker-config-')
    writeContext(dockerConfig, 'lax', 'tcp://10.0.0.12:2376', {skipTlsVerify: true, tls: {ca: 'CA', cert: 'CERT', key: KEY_PEM}})
    await assert.rejects(readDockerContext('lax', {dockerConfig}), (error: unknown) => error instanceof InvalidInputError && error.code === 'invalid_docker_context' && /skips the check/.test(error.message))
  })

  it('says which context holds an address kedge cannot reach', async () => {
    const dockerConfig = tempDir('kedge-docker-config-')
    writeContext(dockerConfig, 'windows', 'npipe:////./pipe/docker_engine')
    await assert.rejects(readDockerContext('windows', {dockerConfig}), (error: unknown) => error instanceof InvalidInputError && error.code === 'invalid_engine_host' && /^the Docker context "windows": .*named pipe/.test(error.message))
  })

  it('names a missing context and "default" as such', async () => {
    const dockerConfig = tempDir('kedge-docker-config-')
    await assert.rejects(readDockerContext('web9', {dockerConfig}), (error: unknown) => error instanceof NotFoundError && error.message === `there is no Docker context named "web9" in ${dockerConfig}` && /docker context ls/.test(error.hint ?? ''))
    await assert.rejects(readDockerContext('default', {dockerConfig}), (error: unknown) => error instanceof InvalidInputError && error.code === 'invalid_docker_context' && /"default" is not a context kedge can read/.test(error.message))
  })

  it('says so when it cannot read a context\'s files', {skip: process.getuid?.() === 0 ? 'root reads any file' : false}, async () => {
    const dockerConfig = tempDir('kedge-docker-config-')
    writeContext(dockerConfig, 'web2', 'tcp://10.0.0.12:2376')
    chmodSync(dockerContextFiles(dockerConfig, 'web2').meta, 0)
    await assert.rejects(readDockerContext('web2', {dockerConfig}), (error: unknown) => error instanceof InvalidInputError && error.code === 'invalid_docker_context')
  })
})

function hasDockerCli(): boolean {
  try {
    execFileSync('docker', ['context', '--help'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}
