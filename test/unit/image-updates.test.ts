import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {followedImages, imageUpdates, parsePendingImages, pulledDigest} from '../../src/model/images/image-updates.js'

const D1 = `sha256:${'1'.repeat(64)}`
const D2 = `sha256:${'2'.repeat(64)}`
const service = (name: string, image: string | null) => ({name, image, replicas: 1, oneShot: false, joins: [], hash: 'h', formerHashes: [], commit: 'c'})

describe('the images a stack follows', () => {
  it('are its mutable tags, with the services that use each; never a pinned digest nor an image kedge built', () => {
    const followed = followedImages({
      services: [
        service('web', 'nginx:1.27'),
        service('admin', 'nginx:1.27'),
        service('db', `postgres@${D1}`),
        service('api', 'kedge-build/shop-api:0123456789abcdef'),
        service('job', null),
        service('cache', 'ghcr.io/acme/cache'),
      ],
    })
    assert.deepEqual([...followed], [
      ['nginx:1.27', ['web', 'admin']],
      ['ghcr.io/acme/cache', ['cache']],
    ])
  })

  it('were pulled by the digest of their own registry and repository, Docker Hub names in any of its spellings', () => {
    assert.equal(pulledDigest('nginx:1.27', [`docker.io/library/nginx@${D1}`]), D1)
    assert.equal(pulledDigest('nginx:1.27', [`nginx@${D2}`]), D2)
    assert.equal(pulledDigest('127.0.0.1:5000/app:1', [`localhost:5000/app@${D1}`, `127.0.0.1:5000/app@${D2}`]), D2)
    assert.equal(pulledDigest('ghcr.io/acme/app:1', [`docker.io/acme/app@${D1}`]), null)
    assert.equal(pulledDigest('app:local', []), null)
  })

  it('are updates when the registry names another digest than the one pulled; not when it names none or the engine lacks the image', () => {
    const followed = new Map([
      ['nginx:1.27', ['web']],
      ['redis:7', ['cache']],
      ['gone:1', ['old']],
      ['absent:1', ['new']],
      ['built:here', ['local']],
    ])
    const current = new Map<string, string | null>([
      ['nginx:1.27', D2],
      ['redis:7', D1],
      ['gone:1', null],
      ['absent:1', D2],
      ['built:here', D2],
    ])
    const pulled = new Map([
      ['nginx:1.27', [`nginx@${D1}`]],
      ['redis:7', [`redis@${D1}`]],
      ['gone:1', [`gone@${D1}`]],
      ['built:here', []],
    ])
    assert.deepEqual(imageUpdates(followed, current, pulled), [
      {image: 'nginx:1.27', from: D1, to: D2, services: ['web']},
      {image: 'built:here', from: null, to: D2, services: ['local']},
    ])
  })

  it('are read back from the stack row, anything else read as none', () => {
    const stored = JSON.stringify([{image: 'nginx:1.27', from: D1, to: D2, services: ['web']}, {image: 3}])
    assert.deepEqual(parsePendingImages(stored), [{image: 'nginx:1.27', from: D1, to: D2, services: ['web']}])
    assert.deepEqual(parsePendingImages('not json'), [])
    assert.deepEqual(parsePendingImages(null), [])
  })
})
