import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {createDockerEngine} from '../../src/adapters/engine/docker-engine.js'
import {connectEngine, identifyEngine} from '../../src/adapters/engine/engine-connection.js'
import {LOCAL_ENGINE} from '../../src/adapters/engine/engine-errors.js'
import {EngineTimeoutError} from '../../src/adapters/engine/engine-request.js'
import {tcpTransport, type TcpTarget} from '../../src/adapters/engine/tcp-transport.js'
import {ExternalError, InvalidInputError, isKedgeError, type KedgeError} from '../../src/model/errors.js'
import type {Engine} from '../../src/ports/engine.js'
import {redact} from '../../src/model/secrets/redaction.js'
import {freePort} from '../helpers/ports.js'
import {tempDir} from '../helpers/temp.js'
import {waitFor} from '../helpers/wait.js'

/** PEM files made by openssl: the engine's CA and server certificate (for 127.0.0.1), kedge's client certificate, and a second CA with a client certificate of its own. */
interface Pki {
  ca: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
  otherCa: string
  otherClientCert: string
  otherClientKey: string
}

function makePki(): Pki {
  const dir = tempDir('kedge-pki-')
  const file = (name: string) => path.join(dir, name)
  const openssl = (...args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: 'ignore'})
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  for (const ca of ['ca', 'other-ca']) openssl('req', '-x509', ...newKey, '-days', '1', '-subj', `/CN=kedge-test-${ca}`, '-keyout', `${ca}-key.pem`, '-out', `${ca}.pem`)
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  writeFileSync(file('client.ext'), 'extendedKeyUsage=clientAuth\n')
  const signed = (name: string, ca: string, ext: string) => {
    openssl('req', ...newKey, '-subj', `/CN=${name}`, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`)
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`, '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', `${name}.pem`)
  }
  signed('server', 'ca', 'server.ext')
  signed('client', 'ca', 'client.ext')
  signed('other-client', 'other-ca', 'client.ext')
  const read = (name: string) => readFileSync(file(name), 'utf8')
  return {
    ca: read('ca.pem'),
    serverCert: read('server.pem'),
    serverKey: read('server-key.pem'),
    clientCert: read('client.pem'),
    clientKey: read('client-key.pem'),
    otherCa: read('other-ca.pem'),
    otherClientCert: read('other-client.pem'),
    otherClientKey: read('other-client-key.pem'),
  }
}

const CONTAINER = {
  Id: 'c1',
  Names: ['/web-app-1'],
  Image: 'kedge-test/busybox:1',
  ImageID: 'sha256:1',
  State: 'running',
  Status: 'Up 2 minutes',
  Labels: {'io.kedge.managed': 'true', 'io.kedge.project': 'web', 'io.kedge.service': 'app'},
}

/** An HTTPS server that answers like a Docker engine started with --tlsverify: only clients with a certificate from its CA. */
async function tlsEngine(pki: Pki): Promise<{port: number; connections: () => number; close: () => Promise<void>}> {
  let connections = 0
  const server = https.createServer({key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true, rejectUnauthorized: true}, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://engine')
    if (url.pathname === '/_ping') {
      response.writeHead(200, {'content-type': 'text/plain'}).end('OK')
    } else if (url.pathname === '/containers/json') {
      const filters = JSON.parse(url.searchParams.get('filters') ?? '{}') as {label?: string[]}
      const wanted = (filters.label ?? []).every((filter) => {
        const [name, value] = filter.split('=')
        return (CONTAINER.Labels as Record<string, string>)[name!] === value
      })
      response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(wanted ? [CONTAINER] : []))
    } else if (url.pathname === '/info') {
      response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({ID: 'ABCD:EFGH', Name: 'web2', ServerVersion: '20.10.24', Swarm: {LocalNodeState: 'active', ControlAvailable: true, Cluster: {ID: 'cluster-1'}}}))
    } else {
      response.writeHead(404, {'content-type': 'application/json'}).end(JSON.stringify({message: `page not found: ${url.pathname}`}))
    }
  })
  server.on('secureConnection', () => connections++)
  // A refused handshake is the client's error to see; the server has nothing to log.
  server.on('tlsClientError', () => undefined)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

/** A TCP port that takes connections and never says a word: the handshake never ends. */
async function silentPort(): Promise<{port: number; close: () => Promise<void>}> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.resume()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** `openssl s_server` requiring a client certificate from the CA, and refusing any other with a TLS alert. */
async function opensslServer(pki: Pki): Promise<{port: number}> {
  const dir = tempDir('kedge-s-server-')
  for (const [name, content] of [['ca.pem', pki.ca], ['server.pem', pki.serverCert], ['server-key.pem', pki.serverKey]] as const) writeFileSync(path.join(dir, name), content)
  let lastError: unknown
  // The free port found may be taken again before openssl binds it; another one will do.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const server = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-Verify', '1', '-verify_return_error', '-CAfile', 'ca.pem', '-cert', 'server.pem', '-key', 'server-key.pem', '-www'], {cwd: dir, stdio: ['pipe', 'pipe', 'pipe']})
    const stop = () => server.kill('SIGTERM')
    after(stop)
    process.once('exit', stop)
    let output = ''
    const started = await new Promise<boolean>((resolve) => {
      const take = (chunk: Buffer) => {
        output += chunk.toString()
        if (/^ACCEPT$/m.test(output)) resolve(true)
      }
      server.stdout.on('data', take)
      server.stderr.on('data', take)
      server.once('exit', () => resolve(false))
    })
    if (started) return {port}
    lastError = new Error(`openssl s_server did not start: ${output}`)
  }
  throw lastError
}

const SUBJECT = 'the Docker engine web2 (tcp://127.0.0.1:PORT)'

function engineOver(target: TcpTarget) {
  const transport = tcpTransport(target)
  after(() => transport.close())
  return {transport, engine: createDockerEngine(transport, {...LOCAL_ENGINE, subject: target.subject})}
}

/** The error `work` fails with, asserted to be a kedge error of one line that names the engine. */
async function kedgeErrorOf(work: Promise<unknown>, code: string): Promise<KedgeError> {
  const error = await work.then(
    () => assert.fail('it succeeded'),
    (caught: unknown) => caught,
  )
  assert.ok(isKedgeError(error), String(error))
  assert.equal(error.code, code, error.message)
  assert.ok(!error.message.includes('\n'), error.message)
  assert.ok(error.message.includes('the Docker engine web2 (tcp://127.0.0.1:'), error.message)
  assert.ok(error.hint, 'a hint')
  return error
}

describe('the TLS transport', () => {
  let pki: Pki
  let engine: Awaited<ReturnType<typeof tlsEngine>>
  let subject: string
  before(async () => {
    pki = makePki()
    engine = await tlsEngine(pki)
    subject = SUBJECT.replace('PORT', String(engine.port))
  })
  after(() => engine.close())

  it('reaches the engine with a client certificate from its CA, over one kept connection', async () => {
    const {engine: docker, transport} = engineOver({host: '127.0.0.1', port: engine.port, tls: {ca: pki.ca, cert: pki.clientCert, key: pki.clientKey}, subject})
    const before = engine.connections()
    const containers = await docker.listKedgeContainers('web')
    assert.deepEqual(containers.map((container) => [container.name, container.service, container.state]), [['web-app-1', 'app', 'running']])
    assert.deepEqual(await docker.listKedgeContainers('other'), [])
    assert.equal(await transport.call({method: 'GET', path: '/_ping', timeoutMs: 5000}), 'OK')
    assert.equal(engine.connections() - before, 1, 'one TLS handshake for every request')
  })

  it('pings over a connection of its own each time, with the same certificate', async () => {
    const {engine: docker} = engineOver({host: '127.0.0.1', port: engine.port, tls: {ca: pki.ca, cert: pki.clientCert, key: pki.clientKey}, subject})
    await docker.listKedgeContainers('web')
    const before = engine.connections()
    await docker.ping()
    assert.equal(await docker.answers(), true)
    assert.equal(engine.connections() - before, 2)
  })

  it('names the engine\'s identity from /info', async () => {
    const {engine: docker} = engineOver({host: '127.0.0.1', port: engine.port, tls: {ca: pki.ca, cert: pki.clientCert, key: pki.clientKey}, subject})
    assert.deepEqual(await identifyEngine(docker), {id: 'ABCD:EFGH', name: 'web2', serverVersion: '20.10.24', swarm: {state: 'active', manager: true, clusterId: 'cluster-1'}})
  })

  it('reads an error status as the engine refusing, not as unreachable', async () => {
    const {engine: docker} = engineOver({host: '127.0.0.1', port: engine.port, tls: {ca: pki.ca, cert: pki.clientCert, key: pki.clientKey}, subject})
    const error = await docker.signalContainer('c1', 'SIGHUP').then(
      () => assert.fail('it succeeded'),
      (caught: KedgeError) => caught,
    )
    assert.equal(error.code, 'engine_error')
    assert.match(error.message, /^the Docker engine web2 \(tcp:\/\/127\.0\.0\.1:\d+\) refused: \(HTTP code 404\) no such object - page not found/)
  })

  it('refuses an engine whose certificate is not from the CA it has, in one line', async () => {
    const {engine: docker} = engineOver({host: '127.0.0.1', port: engine.port, tls: {ca: pki.otherCa, cert: pki.clientCert, key: pki.clientKey}, subject})
    const error = await kedgeErrorOf(docker.ping(), 'engine_untrusted')
    assert.equal(error.message, `${subject} showed a TLS certificate that is not signed by the CA kedge has for it`)
    assert.equal(await docker.answers(), false)
  })

  it('refuses an engine reached by a name its certificate is not for', async () => {
    const {engine: docker} = engineOver({host: '127.0.0.2', port: engine.port, tls: {ca: pki.ca, cert: pki.clientCert, key: pki.clientKey}, subject})
    // 127.0.0.2 is the loopback interface too, and the server listens on 127.0.0.1 only: nothing may answer.
    const error = await docker.ping().then(
      () => assert.fail('it succeeded'),
      (caught: KedgeError) => caught,
    )
    assert.ok(['engine_untrusted', 'engine_unavailable'].includes(error.code), error.message)
  })

  it('says the engine refused kedge when kedge offers no client certificate', async () => {
    const {engine: docker} = engineOver({host: '127.0.0.1', port: engine.port, tls: {ca: pki.ca}, subject})
    const error = await kedgeErrorOf(docker.ping(), 'engine_refused')
    assert.match(error.message, /^the Docker engine web2 \(tcp:\/\/127\.0\.0\.1:\d+\) refused kedge's TLS client certificate \(/)
  })

  it('says the engine refused kedge\'s client certificate when another CA signed it', async () => {
    // Node's own TLS server drops such a client without a word; dockerd (Go), like OpenSSL, sends an alert.
    const server = await opensslServer(pki)
    const serverSubject = SUBJECT.replace('PORT', String(server.port))
    const {engine: docker} = engineOver({host: '127.0.0.1', port: server.port, tls: {ca: pki.ca, cert: pki.otherClientCert, key: pki.otherClientKey}, subject: serverSubject})
    const error = await kedgeErrorOf(docker.listKedgeContainers('web'), 'engine_refused')
    assert.equal(error.message, `${serverSubject} refused kedge's TLS client certificate (unknown ca)`)
  })

  it('refuses material node cannot load before it sends anything', () => {
    for (const tls of [{ca: 'not a certificate'}, {ca: pki.ca, cert: pki.clientCert, key: pki.otherClientKey}]) {
      assert.throws(
        () => tcpTransport({host: '127.0.0.1', port: engine.port, tls, subject}),
        (error: unknown) => error instanceof InvalidInputError && error.code === 'invalid_engine_tls' && error.message.startsWith(`the TLS material kedge has for ${subject} cannot be used: `) && !error.message.includes('\n'),
      )
    }
  })

  it('gives up on a connection that does not open within its own limit, shorter than the request\'s', async () => {
    const silent = await silentPort()
    after(() => silent.close())
    const {engine: docker} = engineOver({host: '127.0.0.1', port: silent.port, tls: {ca: pki.ca, cert: pki.clientCert, key: pki.clientKey}, subject, connectTimeoutMs: 300})
    const started = Date.now()
    const error = await kedgeErrorOf(docker.ping(), 'engine_unavailable')
    assert.equal(error.message, `${subject} did not take a connection within 300ms`)
    assert.ok(Date.now() - started < 3000, `it took ${Date.now() - started} ms`)
  })

  it('gives up on an engine that takes the request and never answers, after the request\'s time limit', async () => {
    const silent = https.createServer({key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true, rejectUnauthorized: true}, () => undefined)
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    after(() => new Promise<void>((resolve) => {
      silent.closeAllConnections()
      silent.close(() => resolve())
    }))
    const port = (silent.address() as net.AddressInfo).port
    const {transport} = engineOver({host: '127.0.0.1', port, tls: {ca: pki.ca, cert: pki.clientCert, key: pki.clientKey}, subject})
    await assert.rejects(transport.call({method: 'GET', path: '/_ping', timeoutMs: 300}), (error: unknown) => error instanceof EngineTimeoutError && error.message === 'no answer to GET /_ping within 300ms')
  })
})

describe('connectEngine over tcp://', () => {
  let pki: Pki
  let engine: Awaited<ReturnType<typeof tlsEngine>>
  before(async () => {
    pki = makePki()
    engine = await tlsEngine(pki)
  })
  after(() => engine.close())

  it('reaches the engine, and gives the CLIs its address and the certificates as private files, removed on close', async () => {
    const connection = await connectEngine('web2', {kind: 'tcp', host: '127.0.0.1', port: engine.port}, {tls: {ca: pki.ca, cert: pki.clientCert, key: pki.clientKey}})
    try {
      await connection.engine.ping()
      const {DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH} = connection.environment
      assert.equal(DOCKER_HOST, `tcp://127.0.0.1:${engine.port}`)
      assert.equal(DOCKER_TLS_VERIFY, '1')
      assert.ok(DOCKER_CERT_PATH)
      assert.equal(statSync(DOCKER_CERT_PATH).mode & 0o777, 0o700)
      for (const [file, content] of [['ca.pem', pki.ca], ['cert.pem', pki.clientCert], ['key.pem', pki.clientKey]] as const) {
        assert.equal(readFileSync(path.join(DOCKER_CERT_PATH, file), 'utf8'), content)
        assert.equal(statSync(path.join(DOCKER_CERT_PATH, file)).mode & 0o777, 0o600)
      }
      const keyLine = pki.clientKey.split('\n')[1]!
      assert.ok(!redact(`ssh said ${keyLine}`).includes(keyLine), 'the key is registered as a secret')
      connection.close()
      assert.equal(existsSync(DOCKER_CERT_PATH), false)
    } finally {
      connection.close()
    }
  })

  it('names the engine when it is not there', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const {port} = server.address() as net.AddressInfo
        server.close(() => resolve(port))
      })
    })
    const connection = await connectEngine('web2', {kind: 'tcp', host: '127.0.0.1', port: closed}, {tls: {ca: pki.ca, cert: pki.clientCert, key: pki.clientKey}})
    try {
      const error = await connection.engine.ping().then(() => assert.fail('it answered'), (caught: KedgeError) => caught)
      assert.ok(error instanceof ExternalError)
      assert.equal(error.code, 'engine_unavailable')
      assert.match(error.message, new RegExp(`^the Docker engine web2 \\(tcp://127\\.0\\.0\\.1:${closed}\\) did not answer: connect ECONNREFUSED`))
      assert.match(error.hint ?? '', new RegExp(`listens on port ${closed}`))
    } finally {
      connection.close()
    }
  })

  it('refuses plain tcp:// to an engine on another machine, and takes it on this one', async () => {
    await assert.rejects(connectEngine('web3', {kind: 'tcp', host: '10.0.0.13', port: 2375}, {}), (error: unknown) => error instanceof InvalidInputError && error.code === 'invalid_engine_tls' && /reaches it with TLS only/.test(error.message))
    const plain = http.createServer((request, response) => response.writeHead(200, {'content-type': 'text/plain'}).end('OK'))
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve))
    const port = (plain.address() as net.AddressInfo).port
    const connection = await connectEngine('here', {kind: 'tcp', host: '127.0.0.1', port}, {})
    try {
      await connection.engine.ping()
      assert.deepEqual(connection.environment, {DOCKER_HOST: `tcp://127.0.0.1:${port}`})
    } finally {
      connection.close()
      plain.closeAllConnections()
      await new Promise<void>((resolve) => plain.close(() => resolve()))
    }
  })
})

/** An engine on a unix socket of the test's own, answering as `handle` does, and kedge's adapter for it. */
async function unixEngine(handle: http.RequestListener): Promise<{socket: string; server: http.Server; docker: Engine}> {
  const socket = path.join(tempDir('kedge-unix-engine-'), 'd.sock')
  const server = http.createServer(handle)
  await new Promise<void>((resolve) => server.listen(socket, resolve))
  after(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const connection = await connectEngine('going', {kind: 'unix', path: socket}, {})
  after(() => connection.close())
  return {socket, server, docker: connection.engine}
}

describe('the unix socket transport', () => {
  // What a dockerd told to stop looks like: its socket is gone (no new connection), and it goes on
  // answering the connections it has while it stops its containers.
  it('answers no ping once the socket is gone, though a kept connection still answers', async () => {
    const {socket, docker} = await unixEngine((request, response) => {
      if (request.url?.startsWith('/_ping')) response.writeHead(200, {'content-type': 'text/plain'}).end('OK')
      else response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify([{...CONTAINER, State: 'exited', Status: 'Exited (143) 1 second ago'}]))
    })
    assert.equal(await docker.answers(), true)
    assert.equal((await docker.listKedgeContainers('web')).length, 1)
    rmSync(socket)
    assert.deepEqual((await docker.listKedgeContainers('web')).map((container) => container.state), ['exited'], 'the kept connection still answers')
    assert.equal(await docker.answers(), false)
    const refused = await docker.ping().then(() => null, (error: unknown) => error)
    assert.ok(isKedgeError(refused) && refused.code === 'engine_unavailable', String(refused))
  })
})

describe('the engine\'s connection losses', () => {
  it('counts a request that cannot connect and an event stream the engine ends; not an error status, nor a stream kedge stops', async () => {
    const streams: http.ServerResponse[] = []
    const {socket, server, docker} = await unixEngine((request, response) => {
      if (request.url?.startsWith('/events')) {
        response.writeHead(200, {'content-type': 'application/json'})
        response.flushHeaders()
        streams.push(response)
      } else if (request.url?.startsWith('/_ping')) {
        response.writeHead(200, {'content-type': 'text/plain'}).end('OK')
      } else {
        response.writeHead(500, {'content-type': 'application/json'}).end(JSON.stringify({message: 'boom'}))
      }
    })
    const watch = (signal: AbortSignal) => docker.watchEvents({signal, onConnected: () => undefined, onEvent: () => undefined, onUnreadable: () => undefined})

    await docker.ping()
    await assert.rejects(docker.listKedgeContainers('web'), /HTTP code 500/)
    const stopping = new AbortController()
    const stopped = watch(stopping.signal)
    await waitFor('the first stream to open', () => streams.length === 1)
    stopping.abort()
    await stopped
    assert.equal(docker.connectionLosses(), 0, 'an error status and a stream kedge stopped are no loss')

    const ended = watch(new AbortController().signal)
    await waitFor('the second stream to open', () => streams.length === 2)
    streams[1]!.end()
    await ended
    assert.equal(docker.connectionLosses(), 1, 'the engine ended the stream')
    rmSync(socket)
    assert.equal(await docker.answers(), false)
    assert.equal(docker.connectionLosses(), 2, 'a ping that could not connect')
    server.closeAllConnections()
    await assert.rejects(docker.listKedgeContainers('web'), (error: unknown) => isKedgeError(error) && error.code === 'engine_unavailable')
    assert.equal(docker.connectionLosses(), 3, 'a query that could not connect')
  })
})

describe('connectEngine over unix://', () => {
  it('reaches an engine on another socket of this machine, and gives the CLIs that socket', async () => {
    const socket = path.join(tempDir('kedge-unix-engine-'), 'd.sock')
    const server = http.createServer((request, response) => response.writeHead(200, {'content-type': 'text/plain'}).end('OK'))
    await new Promise<void>((resolve) => server.listen(socket, resolve))
    after(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const connection = await connectEngine('rootless', {kind: 'unix', path: socket}, {})
    await connection.engine.ping()
    assert.deepEqual(connection.environment, {DOCKER_HOST: `unix://${socket}`})
    connection.close()
  })
})
