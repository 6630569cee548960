import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {
  DOCKER_HUB_CREDENTIALS_KEY,
  isLoopbackRegistry,
  isPinnedReference,
  parseImageReference,
  registryCredentialsKey,
  registryOrigin,
  type ImageReference,
} from '../../src/model/compose/image-reference.js'

const SHA = 'sha256:2c3a5a1bdf1ff1e15b0c1c4a1e0c5f8d2d47c7cb0d1f4f4a8c3d0a3c2f1e0d9c'

describe('parseImageReference', () => {
  const read: Array<[string, ImageReference]> = [
    ['nginx', {registry: 'registry-1.docker.io', repository: 'library/nginx', tag: 'latest', digest: null}],
    ['nginx:1.27', {registry: 'registry-1.docker.io', repository: 'library/nginx', tag: '1.27', digest: null}],
    ['user/app:1', {registry: 'registry-1.docker.io', repository: 'user/app', tag: '1', digest: null}],
    ['docker.io/nginx', {registry: 'registry-1.docker.io', repository: 'library/nginx', tag: 'latest', digest: null}],
    ['index.docker.io/user/app:2', {registry: 'registry-1.docker.io', repository: 'user/app', tag: '2', digest: null}],
    ['docker.io/library/nginx:alpine', {registry: 'registry-1.docker.io', repository: 'library/nginx', tag: 'alpine', digest: null}],
    ['ghcr.io/o/app:tag', {registry: 'ghcr.io', repository: 'o/app', tag: 'tag', digest: null}],
    ['ghcr.io/o/team/app', {registry: 'ghcr.io', repository: 'o/team/app', tag: 'latest', digest: null}],
    ['127.0.0.1:5000/app:1', {registry: '127.0.0.1:5000', repository: 'app', tag: '1', digest: null}],
    ['localhost:5000/x', {registry: 'localhost:5000', repository: 'x', tag: 'latest', digest: null}],
    ['localhost/x:v1.0_rc-2', {registry: 'localhost', repository: 'x', tag: 'v1.0_rc-2', digest: null}],
    ['[::1]:5000/app:1', {registry: '[::1]:5000', repository: 'app', tag: '1', digest: null}],
    ['registry.example.com:8443/a.b/c__d/e-f:Latest', {registry: 'registry.example.com:8443', repository: 'a.b/c__d/e-f', tag: 'Latest', digest: null}],
    // A first component that is not lower case is a registry to Docker, whatever else it holds.
    ['Registry/app', {registry: 'Registry', repository: 'app', tag: 'latest', digest: null}],
    // Docker Hub's repositories with no namespace are the official images; a lone `localhost` is one of them.
    ['localhost', {registry: 'registry-1.docker.io', repository: 'library/localhost', tag: 'latest', digest: null}],
    [`nginx@${SHA}`, {registry: 'registry-1.docker.io', repository: 'library/nginx', tag: null, digest: SHA}],
    [`ghcr.io/o/app:1@${SHA}`, {registry: 'ghcr.io', repository: 'o/app', tag: '1', digest: SHA}],
  ]
  for (const [reference, expected] of read) {
    it(`reads ${reference} as Docker does`, () => assert.deepEqual(parseImageReference(reference), expected))
  }

  const refused = [
    '',
    ' nginx',
    'nginx ',
    'Nginx',
    'user/App',
    'nginx:',
    'nginx:-1',
    `nginx:${'t'.repeat(129)}`,
    'nginx::1',
    'ghcr.io/',
    '/app',
    'app/',
    'a//b',
    'a/-b',
    'a__-b',
    'nginx@sha256:short',
    `nginx@sha256:${'A'.repeat(64)}`,
    `nginx@md5:${'a'.repeat(64)}`,
    `nginx@sha512:${'a'.repeat(64)}`,
    'ghcr.io/o/app:${TAG}',
    '${REGISTRY}/app:1',
    'a'.repeat(64),
    `ghcr.io/${'a'.repeat(250)}`,
    'http://ghcr.io/o/app',
  ]
  for (const reference of refused) {
    it(`refuses ${JSON.stringify(reference.length > 40 ? `${reference.slice(0, 40)}…` : reference)}`, () => assert.equal(parseImageReference(reference), null))
  }
})

describe('isPinnedReference', () => {
  it('is true of a reference with a digest, with or without a tag', () => {
    assert.equal(isPinnedReference(`nginx@${SHA}`), true)
    assert.equal(isPinnedReference(`127.0.0.1:5000/app:1@${SHA}`), true)
  })
  it('is false of a tag, and of what is not a reference', () => {
    assert.equal(isPinnedReference('nginx:1.27'), false)
    assert.equal(isPinnedReference('nginx@sha256:short'), false)
    assert.equal(isPinnedReference(''), false)
  })
})

describe('a registry', () => {
  it('is found under Docker Hub\'s key in config.json for Docker Hub, else under its host and port', () => {
    assert.equal(registryCredentialsKey(parseImageReference('nginx')!.registry), DOCKER_HUB_CREDENTIALS_KEY)
    assert.equal(DOCKER_HUB_CREDENTIALS_KEY, 'https://index.docker.io/v1/')
    assert.equal(registryCredentialsKey('ghcr.io'), 'ghcr.io')
    assert.equal(registryCredentialsKey('127.0.0.1:5000'), '127.0.0.1:5000')
  })

  it('is reached over plain http on the loopback interface only, as Docker\'s default insecure registries', () => {
    for (const registry of ['localhost', 'localhost:5000', 'LOCALHOST:5000', '127.0.0.1', '127.0.0.1:5000', '127.10.20.30:80', '[::1]', '[::1]:5000']) {
      assert.equal(isLoopbackRegistry(registry), true, registry)
      assert.equal(registryOrigin(registry).startsWith('http://'), true, registry)
    }
    for (const registry of ['ghcr.io', 'registry-1.docker.io', '10.0.0.1:5000', '128.0.0.1', 'localhost.example.com', '127.0.0.1.example.com', '[::2]:5000', 'my-localhost:5000']) {
      assert.equal(isLoopbackRegistry(registry), false, registry)
      assert.equal(registryOrigin(registry).startsWith('https://'), true, registry)
    }
    assert.equal(registryOrigin('127.0.0.1:5000'), 'http://127.0.0.1:5000')
    assert.equal(registryOrigin('ghcr.io'), 'https://ghcr.io')
  })
})
