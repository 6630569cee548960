import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {readRegistryCredentials} from '../../src/adapters/registry/docker-credentials.js'
import {parseChallenges} from '../../src/adapters/registry/registry-auth.js'
import {MANIFEST_MAX_BYTES, registryDigests, type RegistryDigestsOptions} from '../../src/adapters/registry/registry-digests.js'
import {ExternalError, InvalidInputError} from '../../src/model/errors.js'
import {tempDir} from '../helpers/temp.js'

const DIGEST_A = `sha256:${'a'.repeat(64)}`
const DIGEST_B = `sha256:${'b'.repeat(64)}`
const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
]

interface Seen {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
  body: string
}

type Handler = (request: Seen, response: http.ServerResponse) => void

/** A server on 127.0.0.1 that plays a registry (or its token service) as each test's handler says, and notes what it was asked. */
class FakeServer {
  readonly seen: Seen[] = []
  handle: Handler = (_request, response) => response.writeHead(500).end()

  private constructor(readonly port: number) {}

  static async start(): Promise<FakeServer> {
    const server = http.createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const fake = new FakeServer((server.address() as AddressInfo).port)
    server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        const seen = {method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8')}
        fake.seen.push(seen)
        fake.handle(seen, response)
      })
    })
    after(() => {
      server.closeAllConnections()
      server.close()
    })
    return fake
  }

  get host(): string {
    return `127.0.0.1:${this.port}`
  }

  reference(name: string): string {
    return `${this.host}/${name}`
  }

  /** What was asked, as `METHOD path`. */
  asked(): string[] {
    return this.seen.map((request) => `${request.method} ${request.path}`)
  }

  reset(): void {
    this.seen.length = 0
  }
}

/** A DOCKER_CONFIG directory holding `config` as its config.json (none when it is undefined). */
function dockerConfig(config?: unknown): string {
  const dir = tempDir('kedge-docker-config-')
  if (config !== undefined) writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config))
  return dir
}

function basicAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`).toString('base64')
}

/** Answers a manifest's HEAD or GET with `digest` in Docker-Content-Digest. */
function serveDigest(digest: string): Handler {
  return (request, response) => {
    if (!/^\/v2\/.+\/manifests\/.+$/.test(request.path)) return void response.writeHead(404).end()
    response.writeHead(200, {'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json', 'Docker-Content-Digest': digest}).end(request.method === 'GET' ? '{}' : undefined)
  }
}

/** The error's every word a person or a log could see: message, hint, cause and stack. */
function everything(error: unknown): string {
  const known = error as {message?: string; hint?: string; cause?: unknown; stack?: string}
  return JSON.stringify([known.message, known.hint, String(known.cause ?? ''), known.stack])
}

/** Fails unless `promise` rejects with an ExternalError of `code`: one line naming the registry and the reference, with a hint. */
async function rejectsWith(promise: Promise<unknown>, code: string, registry: string, reference: string, pattern?: RegExp): Promise<ExternalError> {
  let caught: unknown
  await promise.then(
    (value) => assert.fail(`expected ${code}, got ${String(value)}`),
    (error: unknown) => (caught = error),
  )
  assert.ok(caught instanceof ExternalError, String(caught))
  assert.equal(caught.code, code, caught.message)
  assert.ok(!caught.message.includes('\n'), caught.message)
  assert.ok(caught.message.includes(registry), caught.message)
  assert.ok(caught.message.includes(JSON.stringify(reference)), caught.message)
  assert.ok(caught.hint && caught.hint.length > 0, 'a hint')
  if (pattern) assert.match(caught.message, pattern)
  return caught
}

function adapter(options: RegistryDigestsOptions = {}) {
  return registryDigests(options)
}

describe('registry digests: asking for a tag', () => {
  it('asks with one HEAD, accepting an index or manifest list first, and reads Docker-Content-Digest', async () => {
    const registry = await FakeServer.start()
    registry.handle = serveDigest(DIGEST_A)
    const digest = await adapter().currentDigest(registry.reference('app:1'), {dockerConfigDir: dockerConfig()})
    assert.equal(digest, DIGEST_A)
    assert.deepEqual(registry.asked(), ['HEAD /v2/app/manifests/1'])
    const accept = String(registry.seen[0]!.headers.accept).split(',').map((type) => type.trim())
    assert.deepEqual(accept, MANIFEST_TYPES)
    assert.equal(registry.seen[0]!.headers.authorization, undefined)
  })

  it('asks for `latest` of a repository in a namespace when the reference names no tag', async () => {
    const registry = await FakeServer.start()
    registry.handle = serveDigest(DIGEST_A)
    assert.equal(await adapter().currentDigest(registry.reference('o/team/app'), {dockerConfigDir: dockerConfig()}), DIGEST_A)
    assert.deepEqual(registry.asked(), ['HEAD /v2/o/team/app/manifests/latest'])
  })

  it('falls back to GET when HEAD is refused, taking the header, else the sha256 of the body', async () => {
    const registry = await FakeServer.start()
    const manifest = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}'
    registry.handle = (request, response) => {
      if (request.method === 'HEAD') return void response.writeHead(405).end()
      if (request.path.endsWith('/with-header')) return void response.writeHead(200, {'Docker-Content-Digest': DIGEST_B}).end(manifest)
      response.writeHead(200, {'Content-Type': 'application/vnd.oci.image.index.v1+json'}).end(manifest)
    }
    const registries = adapter()
    const dockerConfigDir = dockerConfig()
    assert.equal(await registries.currentDigest(registry.reference('app:with-header'), {dockerConfigDir}), DIGEST_B)
    const expected = `sha256:${createHash('sha256').update(manifest).digest('hex')}`
    assert.equal(await registries.currentDigest(registry.reference('app:no-header'), {dockerConfigDir}), expected)
    assert.deepEqual(registry.asked(), ['HEAD /v2/app/manifests/with-header', 'GET /v2/app/manifests/with-header', 'HEAD /v2/app/manifests/no-header', 'GET /v2/app/manifests/no-header'])
  })

  it('falls back to GET when HEAD answers without a digest (or with one that is not a digest)', async () => {
    const registry = await FakeServer.start()
    registry.handle = (request, response) => {
      if (request.method === 'HEAD') return void response.writeHead(200, {'Docker-Content-Digest': 'sha256:nope'}).end()
      response.writeHead(200, {'Docker-Content-Digest': DIGEST_A}).end('{}')
    }
    assert.equal(await adapter().currentDigest(registry.reference('app:1'), {dockerConfigDir: dockerConfig()}), DIGEST_A)
    assert.deepEqual(registry.seen.map((request) => request.method), ['HEAD', 'GET'])
  })

  it('refuses a manifest over 4 MiB, declared or not', async () => {
    const registry = await FakeServer.start()
    const big = Buffer.alloc(MANIFEST_MAX_BYTES + 1, 0x20)
    registry.handle = (request, response) => {
      if (request.method === 'HEAD') return void response.writeHead(405).end()
      if (request.path.endsWith('/declared')) return void response.writeHead(200, {'Content-Length': String(big.length)}).end(big)
      response.writeHead(200, {'Transfer-Encoding': 'chunked'})
      response.write(big.subarray(0, MANIFEST_MAX_BYTES / 2))
      response.end(big.subarray(MANIFEST_MAX_BYTES / 2))
    }
    for (const tag of ['declared', 'chunked']) {
      const reference = registry.reference(`app:${tag}`)
      await rejectsWith(adapter().currentDigest(reference, {dockerConfigDir: dockerConfig()}), 'registry_failed', registry.host, reference, /larger than 4 MiB/)
    }
  })

  it('answers null for a tag the registry does not have', async () => {
    const registry = await FakeServer.start()
    registry.handle = (_request, response) => response.writeHead(404).end()
    assert.equal(await adapter().currentDigest(registry.reference('app:gone'), {dockerConfigDir: dockerConfig()}), null)
  })

  it('fails with registry_failed when the registry answers with an error, saying what it said', async () => {
    const registry = await FakeServer.start()
    registry.handle = (request, response) => {
      if (request.method === 'HEAD') return void response.writeHead(405).end()
      response.writeHead(500, {'Content-Type': 'application/json'}).end('{"errors":[{"code":"UNKNOWN","message":"storage\\nbackend down"}]}')
    }
    const reference = registry.reference('app:1')
    await rejectsWith(adapter().currentDigest(reference, {dockerConfigDir: dockerConfig()}), 'registry_failed', registry.host, reference, /HTTP 500: storage backend down/)
    registry.handle = (_request, response) => response.writeHead(429).end()
    await rejectsWith(adapter().currentDigest(reference, {dockerConfigDir: dockerConfig()}), 'registry_failed', registry.host, reference, /HTTP 429/)
  })

  it('gives up on a registry that does not answer in time, or when the caller abandons the question', async () => {
    const registry = await FakeServer.start()
    registry.handle = () => undefined // never answers
    const reference = registry.reference('app:slow')
    const started = Date.now()
    await rejectsWith(adapter({timeoutMs: 300}).currentDigest(reference, {dockerConfigDir: dockerConfig()}), 'registry_failed', registry.host, reference, /within 0\.3s/)
    assert.ok(Date.now() - started < 5_000, 'bounded by the time limit')

    const controller = new AbortController()
    const asked = adapter().currentDigest(reference, {dockerConfigDir: dockerConfig(), signal: controller.signal})
    const abandonedAt = Date.now()
    setImmediate(() => controller.abort())
    await rejectsWith(asked, 'registry_failed', registry.host, reference, /abandoned/)
    assert.ok(Date.now() - abandonedAt < 5_000)
    await rejectsWith(adapter().currentDigest(reference, {dockerConfigDir: dockerConfig(), signal: AbortSignal.abort()}), 'registry_failed', registry.host, reference, /abandoned/)
  })

  it('answers a pinned reference with its own digest, asking nothing', async () => {
    const registry = await FakeServer.start()
    assert.equal(await adapter().currentDigest(`${registry.reference('app:1')}@${DIGEST_B}`, {dockerConfigDir: dockerConfig()}), DIGEST_B)
    assert.equal(await adapter().currentDigest(`${registry.reference('app')}@${DIGEST_A}`, {dockerConfigDir: dockerConfig()}), DIGEST_A)
    assert.deepEqual(registry.seen, [])
  })

  it('refuses a reference Docker would refuse, with invalid_input', async () => {
    for (const reference of ['Nginx:1', 'app:${TAG}', '']) {
      await assert.rejects(adapter().currentDigest(reference, {dockerConfigDir: dockerConfig()}), (error: unknown) => error instanceof InvalidInputError && error.code === 'invalid_input' && !error.message.includes('\n'))
    }
  })
})

describe('registry digests: Basic authentication', () => {
  const username = 'kedge-reader'
  const password = 'basic-pass-5d1c7e'

  async function basicRegistry(): Promise<FakeServer> {
    const registry = await FakeServer.start()
    registry.handle = (request, response) => {
      if (request.headers.authorization !== `Basic ${basicAuth(username, password)}`) {
        return void response.writeHead(401, {'WWW-Authenticate': 'Basic realm="kedge-test"', 'Content-Type': 'application/json'}).end()
      }
      serveDigest(DIGEST_A)(request, response)
    }
    return registry
  }

  it('answers the challenge with the credentials of config.json (auth, or username and password)', async () => {
    const registry = await basicRegistry()
    const configs = [{auths: {[registry.host]: {auth: basicAuth(username, password)}}}, {auths: {[registry.host]: {username, password}}}, {auths: {[`http://${registry.host}/v1/`]: {auth: basicAuth(username, password)}}}]
    for (const config of configs) {
      registry.reset()
      const registries = adapter()
      const dockerConfigDir = dockerConfig(config)
      assert.equal(await registries.currentDigest(registry.reference('app:1'), {dockerConfigDir}), DIGEST_A)
      assert.deepEqual(registry.seen.map((request) => request.headers.authorization ?? null), [null, `Basic ${basicAuth(username, password)}`])
      // The next question is asked with the same authorization at once.
      assert.equal(await registries.currentDigest(registry.reference('app:2'), {dockerConfigDir}), DIGEST_A)
      assert.equal(registry.seen.length, 3)
      assert.equal(registry.seen[2]!.headers.authorization, `Basic ${basicAuth(username, password)}`)
    }
  })

  it('fails with registry_auth_failed when the credentials are refused, or there are none, never showing them', async () => {
    const registry = await basicRegistry()
    const reference = registry.reference('app:1')
    const wrong = 'wrong-pass-8e2f90'
    const refused = await rejectsWith(adapter().currentDigest(reference, {dockerConfigDir: dockerConfig({auths: {[registry.host]: {auth: basicAuth(username, wrong)}}})}), 'registry_auth_failed', registry.host, reference, /refused the credentials/)
    for (const secret of [wrong, basicAuth(username, wrong)]) assert.ok(!everything(refused).includes(secret), everything(refused))
    await rejectsWith(adapter().currentDigest(reference, {dockerConfigDir: dockerConfig()}), 'registry_auth_failed', registry.host, reference, /anonymous/)
    await rejectsWith(adapter().currentDigest(reference, {dockerConfigDir: dockerConfig({auths: {'other.example.com': {auth: basicAuth(username, password)}}})}), 'registry_auth_failed', registry.host, reference, /anonymous/)
  })

  it('fails with registry_auth_failed naming config.json when it is not JSON, without quoting it', async () => {
    const registry = await basicRegistry()
    const reference = registry.reference('app:1')
    const secret = 'in-broken-file-4c1a2b'
    const dockerConfigDir = dockerConfig(`{"auths": {"${registry.host}": {"username": "u", "password": "${secret}"}},,}`)
    const error = await rejectsWith(adapter().currentDigest(reference, {dockerConfigDir}), 'registry_auth_failed', registry.host, reference, /not valid JSON/)
    assert.ok(error.hint!.includes(path.join(dockerConfigDir, 'config.json')), error.hint)
    assert.ok(!everything(error).includes(secret))
  })

  it('reads a missing config.json as no credentials: anonymous access', async () => {
    const registry = await FakeServer.start()
    registry.handle = serveDigest(DIGEST_B)
    assert.equal(await adapter().currentDigest(registry.reference('app:1'), {dockerConfigDir: path.join(dockerConfig(), 'absent')}), DIGEST_B)
  })
})

describe('registry digests: Bearer tokens', () => {
  const username = 'kedge-reader'
  const password = 'bearer-pass-93a1f0'
  const identityToken = 'identity-token-6b2e4d9a'

  /** A registry whose token service (on the same server) gives `tok-<n>` for `repository:o/app:pull`, to the right credentials or to anyone. */
  async function bearerRegistry(options: {anonymous?: boolean; expiresIn?: number; field?: 'token' | 'access_token'} = {}) {
    const registry = await FakeServer.start()
    let issued = 0
    const valid = new Set<string>()
    registry.handle = (request, response) => {
      const url = new URL(request.path, `http://${registry.host}`)
      if (url.pathname === '/token') {
        const byPassword = request.method === 'GET' && request.headers.authorization === `Basic ${basicAuth(username, password)}`
        const byIdentity = request.method === 'POST' && new URLSearchParams(request.body).get('refresh_token') === identityToken
        if (!byPassword && !byIdentity && !(options.anonymous && request.headers.authorization === undefined)) {
          return void response.writeHead(401, {'Content-Type': 'application/json'}).end('{"details":"incorrect username or password"}')
        }
        const token = `tok-${++issued}`
        valid.add(token)
        return void response.writeHead(200, {'Content-Type': 'application/json'}).end(JSON.stringify({[options.field ?? 'token']: token, ...(options.expiresIn ? {expires_in: options.expiresIn} : {})}))
      }
      const token = request.headers.authorization?.replace(/^Bearer /, '')
      if (!token || !valid.has(token)) {
        const challenge = `Bearer realm="http://${registry.host}/token",service="fake-registry",scope="repository:o/app:pull"`
        return void response.writeHead(401, {'WWW-Authenticate': challenge}).end()
      }
      serveDigest(DIGEST_A)(request, response)
    }
    return {registry, revokeAll: () => valid.clear()}
  }

  const tokenRequests = (registry: FakeServer) => registry.seen.filter((request) => request.path.startsWith('/token'))

  it('gets a token with Basic credentials, once for two tags, and asks again once it has run out', async () => {
    const {registry} = await bearerRegistry({expiresIn: 120})
    let clock = 1_000_000
    const registries = adapter({now: () => clock})
    const dockerConfigDir = dockerConfig({auths: {[registry.host]: {auth: basicAuth(username, password)}}})
    assert.equal(await registries.currentDigest(registry.reference('o/app:1'), {dockerConfigDir}), DIGEST_A)
    assert.equal(await registries.currentDigest(registry.reference('o/app:2'), {dockerConfigDir}), DIGEST_A)
    assert.equal(tokenRequests(registry).length, 1)
    const asked = new URL(tokenRequests(registry)[0]!.path, 'http://x')
    assert.equal(asked.searchParams.get('service'), 'fake-registry')
    assert.equal(asked.searchParams.get('scope'), 'repository:o/app:pull')
    assert.equal(asked.searchParams.get('account'), username)
    assert.deepEqual(registry.asked().filter((line) => !line.includes('/token')), ['HEAD /v2/o/app/manifests/1', 'HEAD /v2/o/app/manifests/1', 'HEAD /v2/o/app/manifests/2'])
    assert.equal(registry.seen.at(-1)!.headers.authorization, 'Bearer tok-1')

    clock += 119_000
    await registries.currentDigest(registry.reference('o/app:3'), {dockerConfigDir})
    assert.equal(tokenRequests(registry).length, 1, 'still valid')
    clock += 2_000
    await registries.currentDigest(registry.reference('o/app:4'), {dockerConfigDir})
    assert.equal(tokenRequests(registry).length, 2, 'run out')
  })

  it('keeps a token at least 60 s when the service says less or nothing, and reads access_token too', async () => {
    const {registry} = await bearerRegistry({anonymous: true, expiresIn: 5, field: 'access_token'})
    let clock = 0
    const registries = adapter({now: () => clock})
    const dockerConfigDir = dockerConfig()
    await registries.currentDigest(registry.reference('o/app:1'), {dockerConfigDir})
    clock += 59_000
    await registries.currentDigest(registry.reference('o/app:1'), {dockerConfigDir})
    assert.equal(tokenRequests(registry).length, 1)
    clock += 2_000
    await registries.currentDigest(registry.reference('o/app:1'), {dockerConfigDir})
    assert.equal(tokenRequests(registry).length, 2)
  })

  it('asks for a new token when a kept one is refused', async () => {
    const {registry, revokeAll} = await bearerRegistry({anonymous: true, expiresIn: 3600})
    const registries = adapter()
    const dockerConfigDir = dockerConfig()
    await registries.currentDigest(registry.reference('o/app:1'), {dockerConfigDir})
    revokeAll()
    assert.equal(await registries.currentDigest(registry.reference('o/app:1'), {dockerConfigDir}), DIGEST_A)
    assert.equal(tokenRequests(registry).length, 2)
  })

  it('gets an anonymous token without credentials', async () => {
    const {registry} = await bearerRegistry({anonymous: true})
    assert.equal(await adapter().currentDigest(registry.reference('o/app:1'), {dockerConfigDir: dockerConfig()}), DIGEST_A)
    assert.equal(tokenRequests(registry)[0]!.headers.authorization, undefined)
    assert.equal(new URL(tokenRequests(registry)[0]!.path, 'http://x').searchParams.get('account'), null)
  })

  it('uses an identity token as a refresh token, POSTing the OAuth2 form as Docker does', async () => {
    const {registry} = await bearerRegistry()
    const dockerConfigDir = dockerConfig({auths: {[registry.host]: {auth: basicAuth('00000000-0000-0000-0000-000000000000', ''), identitytoken: identityToken}}})
    assert.equal(await adapter().currentDigest(registry.reference('o/app:1'), {dockerConfigDir}), DIGEST_A)
    const [asked] = tokenRequests(registry)
    assert.equal(asked!.method, 'POST')
    assert.match(String(asked!.headers['content-type']), /^application\/x-www-form-urlencoded/)
    const form = new URLSearchParams(asked!.body)
    assert.deepEqual(
      Object.fromEntries(form),
      {grant_type: 'refresh_token', refresh_token: identityToken, client_id: 'docker', scope: 'repository:o/app:pull', service: 'fake-registry'},
    )
  })

  it('fails with registry_auth_failed when the token service refuses the credentials, or the registry refuses the token', async () => {
    const {registry} = await bearerRegistry()
    const reference = registry.reference('o/app:1')
    const wrong = 'wrong-bearer-pass-1f2e'
    const error = await rejectsWith(adapter().currentDigest(reference, {dockerConfigDir: dockerConfig({auths: {[registry.host]: {username, password: wrong}}})}), 'registry_auth_failed', registry.host, reference, /token service .* refused the credentials .*incorrect username or password/)
    assert.ok(!everything(error).includes(wrong) && !everything(error).includes(basicAuth(username, wrong)))
    await rejectsWith(adapter().currentDigest(reference, {dockerConfigDir: dockerConfig()}), 'registry_auth_failed', registry.host, reference, /refused anonymous access/)

    // A token that does not open the repository: the registry refuses it after the credentials were sent.
    const stingy = await FakeServer.start()
    stingy.handle = (request, response) => {
      if (request.path.startsWith('/token')) return void response.writeHead(200).end('{"token":"useless-token"}')
      response.writeHead(401, {'WWW-Authenticate': `Bearer realm="http://${stingy.host}/token",service="s"`}).end()
    }
    const stingyReference = stingy.reference('o/app:1')
    await rejectsWith(adapter().currentDigest(stingyReference, {dockerConfigDir: dockerConfig({auths: {[stingy.host]: {username, password}}})}), 'registry_auth_failed', stingy.host, stingyReference, /refused the credentials/)
    assert.equal(stingy.seen.filter((request) => request.path.startsWith('/v2/')).length, 2, 'one retry, no loop')
  })

  it('fails with registry_failed when the token service fails or answers without a token', async () => {
    const registry = await FakeServer.start()
    let tokenAnswer: [number, string] = [500, '']
    registry.handle = (request, response) => {
      if (request.path.startsWith('/token')) return void response.writeHead(tokenAnswer[0]).end(tokenAnswer[1])
      response.writeHead(401, {'WWW-Authenticate': `Bearer realm="http://${registry.host}/token",service="s"`}).end()
    }
    const reference = registry.reference('o/app:1')
    await rejectsWith(adapter().currentDigest(reference, {dockerConfigDir: dockerConfig()}), 'registry_failed', registry.host, reference, /token service .* failed \(HTTP 500\)/)
    tokenAnswer = [200, '{"nothing": true}']
    await rejectsWith(adapter().currentDigest(reference, {dockerConfigDir: dockerConfig()}), 'registry_failed', registry.host, reference, /without a token/)
  })
})

describe('registry digests: redirects', () => {
  it('follows a redirect to another host without the registry\'s credentials', async () => {
    const registry = await FakeServer.start()
    const storage = await FakeServer.start()
    storage.handle = (_request, response) => response.writeHead(200, {'Docker-Content-Digest': DIGEST_B}).end('{}')
    const tokens = await FakeServer.start()
    tokens.handle = (_request, response) => response.writeHead(200).end('{"token":"tok-x"}')
    registry.handle = (request, response) => {
      if (request.path.startsWith('/token')) return void response.writeHead(307, {Location: `http://${tokens.host}/issue${request.path.slice('/token'.length)}`}).end()
      if (request.headers.authorization !== 'Bearer tok-x') return void response.writeHead(401, {'WWW-Authenticate': `Bearer realm="http://${registry.host}/token",service="s"`}).end()
      if (request.method === 'HEAD') return void response.writeHead(405).end()
      response.writeHead(302, {Location: `http://${storage.host}/blobs/manifest`}).end()
    }
    const dockerConfigDir = dockerConfig({auths: {[registry.host]: {username: 'u', password: 'redirect-pass-77a1'}}})
    assert.equal(await adapter().currentDigest(registry.reference('o/app:1'), {dockerConfigDir}), DIGEST_B)
    assert.equal(registry.seen.find((request) => request.path.startsWith('/token'))!.headers.authorization, `Basic ${basicAuth('u', 'redirect-pass-77a1')}`)
    assert.equal(tokens.seen.length, 1)
    assert.equal(tokens.seen[0]!.headers.authorization, undefined, 'the token service\'s redirect target gets no credentials')
    assert.match(tokens.seen[0]!.path, /^\/issue\?/)
    assert.deepEqual(storage.asked(), ['GET /blobs/manifest'])
    assert.equal(storage.seen[0]!.headers.authorization, undefined, 'the storage host gets no token')
  })

  it('follows at most 3 redirects', async () => {
    const registry = await FakeServer.start()
    registry.handle = (request, response) => {
      const hop = Number(new URL(request.path, 'http://x').searchParams.get('hop') ?? 0)
      if (hop === 4) return void response.writeHead(200, {'Docker-Content-Digest': DIGEST_A}).end()
      response.writeHead(301, {Location: `/v2/app/manifests/1?hop=${hop + 1}`}).end()
    }
    const reference = registry.reference('app:1')
    await rejectsWith(adapter().currentDigest(reference, {dockerConfigDir: dockerConfig()}), 'registry_failed', registry.host, reference, /more than 3 redirects/)
    assert.equal(registry.seen.length, 4)
  })
})

describe('registry digests: credential helpers', () => {
  const secret = 'helper-secret-0a9b8c'

  /** `docker-credential-<name>` in a fresh directory, noting each server address it is asked about in `log`, answering as `script` says. */
  function installHelper(dir: string, name: string, log: string, answer: string): void {
    const file = path.join(dir, `docker-credential-${name}`)
    writeFileSync(file, `#!/bin/sh\n[ "$1" = get ] || exit 2\naddress=$(cat)\necho "$address" >>'${log}'\n${answer}\n`)
    chmodSync(file, 0o755)
  }

  function helperEnv(dir: string): NodeJS.ProcessEnv {
    return {...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`}
  }

  async function basicRegistry(username: string): Promise<FakeServer> {
    const registry = await FakeServer.start()
    registry.handle = (request, response) => {
      if (request.headers.authorization !== `Basic ${basicAuth(username, secret)}`) return void response.writeHead(401, {'WWW-Authenticate': 'Basic realm="r"'}).end()
      serveDigest(DIGEST_A)(request, response)
    }
    return registry
  }

  it('runs credsStore\'s helper, or credHelpers\' for the registry, with the server address on its standard input', async () => {
    const bin = tempDir('kedge-helpers-')
    const log = path.join(bin, 'asked.log')
    installHelper(bin, 'kedgestore', log, `printf '{"ServerURL":"%s","Username":"store-user","Secret":"${secret}"}' "$address"`)
    installHelper(bin, 'kedgeone', log, `printf '{"ServerURL":"%s","Username":"one-user","Secret":"${secret}"}' "$address"`)
    const registries = adapter({env: helperEnv(bin)})

    const byStore = await basicRegistry('store-user')
    assert.equal(await registries.currentDigest(byStore.reference('app:1'), {dockerConfigDir: dockerConfig({credsStore: 'kedgestore', auths: {[byStore.host]: {}}})}), DIGEST_A)

    const byHelper = await basicRegistry('one-user')
    const config = {credsStore: 'kedgestore', credHelpers: {[byHelper.host]: 'kedgeone'}, auths: {[byHelper.host]: {auth: basicAuth('file-user', 'ignored-file-pass')}}}
    assert.equal(await registries.currentDigest(byHelper.reference('app:1'), {dockerConfigDir: dockerConfig(config)}), DIGEST_A)
    assert.deepEqual(readFileSync(log, 'utf8').split('\n').filter(Boolean), [byStore.host, byHelper.host])
  })

  it('reads a helper that has no credentials for the registry as anonymous access', async () => {
    const bin = tempDir('kedge-helpers-')
    const log = path.join(bin, 'asked.log')
    installHelper(bin, 'empty', log, 'echo "credentials not found in native keychain"; exit 1')
    const registry = await FakeServer.start()
    registry.handle = (request, response) => {
      if (request.path.startsWith('/token')) return void response.writeHead(request.headers.authorization ? 403 : 200).end('{"token":"anonymous-token"}')
      if (request.headers.authorization !== 'Bearer anonymous-token') return void response.writeHead(401, {'WWW-Authenticate': `Bearer realm="http://${registry.host}/token",service="s"`}).end()
      serveDigest(DIGEST_B)(request, response)
    }
    assert.equal(await adapter({env: helperEnv(bin)}).currentDigest(registry.reference('o/app:1'), {dockerConfigDir: dockerConfig({credsStore: 'empty'})}), DIGEST_B)
    assert.deepEqual(readFileSync(log, 'utf8').split('\n').filter(Boolean), [registry.host])
  })

  it('fails with registry_auth_failed when a helper is missing, fails, or answers nonsense, never showing its output', async () => {
    const bin = tempDir('kedge-helpers-')
    const log = path.join(bin, 'asked.log')
    installHelper(bin, 'broken', log, `echo "cannot unlock ${secret}"; echo "also ${secret}" >&2; exit 3`)
    installHelper(bin, 'chatty', log, `echo "not json ${secret}"`)
    const registry = await basicRegistry('u')
    const reference = registry.reference('app:1')
    const cases: Array<[string, RegExp]> = [
      ['absent', /docker-credential-absent is not installed/],
      ['broken', /docker-credential-broken failed \(exit status 3\)/],
      ['chatty', /docker-credential-chatty answered with something other than its JSON/],
      ['../../bin/sh', /not a helper's name/],
    ]
    for (const [helper, pattern] of cases) {
      const error = await rejectsWith(adapter({env: helperEnv(bin)}).currentDigest(reference, {dockerConfigDir: dockerConfig({credsStore: helper})}), 'registry_auth_failed', registry.host, reference, pattern)
      assert.ok(!everything(error).includes(secret), everything(error))
    }
  })

  it('reads a helper\'s `<token>` user as an identity token', async () => {
    const bin = tempDir('kedge-helpers-')
    const dockerConfigDir = dockerConfig({credsStore: 'tokens'})
    installHelper(bin, 'tokens', path.join(bin, 'asked.log'), `printf '{"ServerURL":"%s","Username":"<token>","Secret":"${secret}"}' "$address"`)
    const credentials = await readRegistryCredentials({dockerConfigDir, registry: 'ghcr.io', reference: 'ghcr.io/o/app:1', env: helperEnv(bin)})
    assert.deepEqual(credentials, {kind: 'identity-token', username: '', identityToken: secret})
  })
})

describe('Docker credentials', () => {
  it('are found under Docker Hub\'s key for Docker Hub\'s registry', async () => {
    const dockerConfigDir = dockerConfig({auths: {'https://index.docker.io/v1/': {auth: basicAuth('hub-user', 'hub-pass-2b3c4d')}, 'registry-1.docker.io': {auth: basicAuth('wrong', 'wrong-pass-000')}}})
    const credentials = await readRegistryCredentials({dockerConfigDir, registry: 'registry-1.docker.io', reference: 'nginx', env: process.env})
    assert.deepEqual(credentials, {kind: 'password', username: 'hub-user', password: 'hub-pass-2b3c4d'})
  })

  it('are config.json\'s own for a registry whose credHelpers entry is empty, whatever credsStore says', async () => {
    const dockerConfigDir = dockerConfig({credsStore: 'not-installed', credHelpers: {'ghcr.io': ''}, auths: {'ghcr.io': {username: 'me', password: 'own-pass-3e4f5a'}}})
    const credentials = await readRegistryCredentials({dockerConfigDir, registry: 'ghcr.io', reference: 'ghcr.io/o/app', env: process.env})
    assert.deepEqual(credentials, {kind: 'password', username: 'me', password: 'own-pass-3e4f5a'})
  })

  it('are none for an entry without any (what `docker login` leaves with a credential store)', async () => {
    const dockerConfigDir = dockerConfig({auths: {'ghcr.io': {}}})
    assert.equal(await readRegistryCredentials({dockerConfigDir, registry: 'ghcr.io', reference: 'ghcr.io/o/app', env: process.env}), null)
  })

  it('refuse an auth that is not base64 of user:password, without showing it', async () => {
    const dockerConfigDir = dockerConfig({auths: {'ghcr.io': {auth: Buffer.from('no-colon-secret-value').toString('base64')}}})
    await assert.rejects(readRegistryCredentials({dockerConfigDir, registry: 'ghcr.io', reference: 'ghcr.io/o/app', env: process.env}), (error: unknown) => {
      assert.ok(error instanceof ExternalError && error.code === 'registry_auth_failed')
      assert.ok(!everything(error).includes('no-colon-secret-value') && !everything(error).includes(Buffer.from('no-colon-secret-value').toString('base64')))
      return true
    })
  })

  it('refuse a config.json kedge cannot read, naming it', async () => {
    const dockerConfigDir = dockerConfig()
    mkdirSync(path.join(dockerConfigDir, 'config.json'))
    await assert.rejects(readRegistryCredentials({dockerConfigDir, registry: 'ghcr.io', reference: 'ghcr.io/o/app', env: process.env}), (error: unknown) => error instanceof ExternalError && error.code === 'registry_auth_failed' && error.message.includes('config.json'))
  })
})

describe('WWW-Authenticate challenges', () => {
  it('are read with their parameters, quoted or not, several to a header', () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"'), [
      {scheme: 'bearer', params: {realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull'}},
    ])
    assert.deepEqual(parseChallenges(['Basic realm="a \\"b\\", c"', 'Bearer Realm=https://x/t, error=insufficient_scope']), [
      {scheme: 'basic', params: {realm: 'a "b", c'}},
      {scheme: 'bearer', params: {realm: 'https://x/t', error: 'insufficient_scope'}},
    ])
    assert.deepEqual(parseChallenges('Negotiate, Basic realm=r'), [{scheme: 'negotiate', params: {}}, {scheme: 'basic', params: {realm: 'r'}}])
    assert.deepEqual(parseChallenges(undefined), [])
    // A token68 (Negotiate's) is not a parameter; what follows it is still read.
    assert.deepEqual(parseChallenges('Negotiate abc==, Bearer realm="r"').at(-1), {scheme: 'bearer', params: {realm: 'r'}})
  })
})
