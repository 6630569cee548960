import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {endpointText, isLoopback, parseEngineHost, withoutDockerEndpoint, type EngineEndpoint} from '../../src/model/engine/engine-endpoint.js'
import {InvalidInputError} from '../../src/model/errors.js'

describe('parseEngineHost', () => {
  const accepted: Array<[string, EngineEndpoint]> = [
    ['unix:///var/run/docker.sock', {kind: 'unix', path: '/var/run/docker.sock'}],
    ['  unix:///run/user/1000/docker.sock\n', {kind: 'unix', path: '/run/user/1000/docker.sock'}],
    ['tcp://10.0.0.12', {kind: 'tcp', host: '10.0.0.12', port: 2376}],
    ['tcp://10.0.0.12:2375', {kind: 'tcp', host: '10.0.0.12', port: 2375}],
    ['TCP://docker.example.com:2376/', {kind: 'tcp', host: 'docker.example.com', port: 2376}],
    ['tcp://[::1]:2376', {kind: 'tcp', host: '::1', port: 2376}],
    ['ssh://web2.example.com', {kind: 'ssh', user: null, host: 'web2.example.com', port: 22, socket: '/var/run/docker.sock'}],
    ['ssh://deploy@10.0.0.12:2222', {kind: 'ssh', user: 'deploy', host: '10.0.0.12', port: 2222, socket: '/var/run/docker.sock'}],
    ['ssh://deploy@10.0.0.12/run/user/1000/docker.sock', {kind: 'ssh', user: 'deploy', host: '10.0.0.12', port: 22, socket: '/run/user/1000/docker.sock'}],
    ['ssh://root@[fe80::1]:22/', {kind: 'ssh', user: 'root', host: 'fe80::1', port: 22, socket: '/var/run/docker.sock'}],
  ]
  for (const [text, endpoint] of accepted) {
    it(`reads ${JSON.stringify(text)}`, () => assert.deepEqual(parseEngineHost(text), endpoint))
  }

  const refused: Array<[string, RegExp]> = [
    ['npipe:////./pipe/docker_engine', /Windows named pipe/],
    ['http://10.0.0.12:2375', /tcp:\/\/, not http:\/\//],
    ['https://10.0.0.12:2376', /tcp:\/\/, not https:\/\//],
    ['fd://', /not an engine address kedge can reach \(fd:\/\/\)/],
    ['10.0.0.12:2376', /has no unix:\/\/, tcp:\/\/ or ssh:\/\/ in front/],
    ['', /has no unix:\/\//],
    ['unix://', /absolute path/],
    ['unix://docker.sock', /absolute path/],
    ['tcp://', /names no host|not a valid tcp/],
    ['tcp://:2376', /names no host|not a valid tcp/],
    ['ssh://', /names no host|not a valid ssh/],
    ['tcp://10.0.0.12:0', /port 0/],
    ['tcp://10.0.0.12:70000', /not a valid tcp:\/\/ address/],
    ['tcp://10.0.0.12:port', /not a valid tcp:\/\/ address/],
    ['tcp://10.0.0.12:2376/v1.41', /has a path/],
    ['tcp://10.0.0.12:2376?tls=1', /query or fragment/],
    ['ssh://-oProxyCommand=touch%20x@host', /user name kedge does not pass to ssh/],
    ['ssh://deploy@host/run/a:b.sock', /colon/],
  ]
  for (const [text, why] of refused) {
    it(`refuses ${JSON.stringify(text)} with one line and a hint`, () => {
      assert.throws(
        () => parseEngineHost(text),
        (error: unknown) => {
          assert.ok(error instanceof InvalidInputError, String(error))
          assert.equal(error.code, 'invalid_engine_host')
          assert.match(error.message, why)
          assert.ok(!error.message.includes('\n'), error.message)
          assert.ok(error.hint && error.hint.length > 0)
          return true
        },
      )
    })
  }

  it('refuses credentials in a tcp:// or ssh:// address without repeating them', () => {
    for (const text of ['tcp://admin:s3cret-pass@10.0.0.12:2376', 'tcp://admin@10.0.0.12:2376', 'ssh://deploy:s3cret-pass@10.0.0.12', 'tcp://admin:s3cret-pass@10.0.0.12:bad']) {
      assert.throws(
        () => parseEngineHost(text),
        (error: unknown) => {
          assert.ok(error instanceof InvalidInputError)
          assert.equal(error.code, 'invalid_engine_host')
          assert.ok(!error.message.includes('s3cret-pass'), error.message)
          return true
        },
      )
    }
    assert.match(errorOf('tcp://admin:s3cret-pass@10.0.0.12:2376'), /holds credentials/)
  })
})

describe('endpointText', () => {
  it('writes each engine one way, which reads back as the same engine', () => {
    const cases: Array<[string, string]> = [
      ['unix:///var/run/docker.sock', 'unix:///var/run/docker.sock'],
      ['tcp://10.0.0.12', 'tcp://10.0.0.12:2376'],
      ['tcp://[::1]:2375/', 'tcp://[::1]:2375'],
      ['ssh://deploy@web2', 'ssh://deploy@web2:22'],
      ['ssh://web2:2222/var/run/docker.sock', 'ssh://web2:2222'],
      ['ssh://deploy@web2/run/docker.sock', 'ssh://deploy@web2:22/run/docker.sock'],
    ]
    for (const [given, canonical] of cases) {
      assert.equal(endpointText(parseEngineHost(given)), canonical)
      assert.deepEqual(parseEngineHost(canonical), parseEngineHost(given))
    }
  })
})

describe('isLoopback', () => {
  it('is this machine: a unix socket, localhost, 127/8 and ::1', () => {
    for (const text of ['unix:///var/run/docker.sock', 'tcp://localhost:2375', 'tcp://127.0.0.1:2375', 'tcp://127.3.4.5', 'tcp://[::1]:2375', 'ssh://me@127.0.0.1']) {
      assert.equal(isLoopback(parseEngineHost(text)), true, text)
    }
  })

  it('is not any other address', () => {
    for (const text of ['tcp://10.0.0.12', 'tcp://localhost.example.com', 'tcp://128.0.0.1', 'tcp://[fe80::1]', 'ssh://me@web2']) {
      assert.equal(isLoopback(parseEngineHost(text)), false, text)
    }
  })
})

describe('withoutDockerEndpoint', () => {
  it('drops the variables that choose an engine, and keeps every other', () => {
    const env = {
      PATH: '/usr/bin',
      DOCKER_HOST: 'unix:///var/run/docker.sock',
      DOCKER_CONTEXT: 'web2',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: '/certs',
      DOCKER_TLS: '1',
      DOCKER_CONFIG: '/home/me/.docker',
      COMPOSE_PROJECT_NAME: 'x',
    }
    assert.deepEqual(withoutDockerEndpoint(env), {PATH: '/usr/bin', DOCKER_CONFIG: '/home/me/.docker', COMPOSE_PROJECT_NAME: 'x'})
    assert.equal(env.DOCKER_HOST, 'unix:///var/run/docker.sock', 'the given environment is left as it was')
  })
})

function errorOf(text: string): string {
  try {
    parseEngineHost(text)
  } catch (error) {
    return (error as Error).message
  }
  return assert.fail(`${text} was accepted`)
}
