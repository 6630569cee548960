import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {EngineRequest, EngineTransport} from '../../src/adapters/engine/engine-request.js'
import {imageRequests, splitTag} from '../../src/adapters/engine/image-requests.js'
import {EngineTimeoutError} from '../../src/adapters/engine/engine-request.js'
import {isKedgeError} from '../../src/model/errors.js'

const DESCRIBED = {subject: 'the Docker engine', unreachableHint: 'start it', wedgedHint: 'restart it'}

/** A transport that answers each request by `answer` (a thrown error is the engine's refusal), and keeps every request. */
function scriptedTransport(answer: (request: EngineRequest) => unknown): EngineTransport & {requests: EngineRequest[]} {
  const requests: EngineRequest[] = []
  return {
    requests,
    call: async (request) => {
      requests.push(request)
      return answer(request)
    },
    stream: async () => {
      throw new Error('no stream here')
    },
  }
}

const status = (statusCode: number, message = 'refused') => Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), {statusCode})

describe('the engine\'s image requests', () => {
  it('describe each image the engine has by its id and digests, leaving out those it lacks', async () => {
    const transport = scriptedTransport((request) => {
      if (request.path === '/images/kedge-test/busybox%3A1/json') return {Id: 'sha256:aaa', RepoDigests: ['kedge-test/busybox@sha256:ddd']}
      throw status(404, 'no such image')
    })
    const details = await imageRequests(transport, DESCRIBED).imageDetails(['kedge-test/busybox:1', 'gone:1', 'kedge-test/busybox:1'])
    assert.deepEqual([...details], [['kedge-test/busybox:1', {id: 'sha256:aaa', repoDigests: ['kedge-test/busybox@sha256:ddd']}]])
    assert.equal(transport.requests.length, 2, 'each reference asked once')
  })

  it('list the images that carry every label, with their tags, oldest first', async () => {
    const transport = scriptedTransport(() => [
      {Id: 'sha256:new', RepoTags: ['kedge-build/app-web:2222222222222222'], Labels: {'io.kedge.project': 'app'}, Created: 200},
      {Id: 'sha256:old', RepoTags: ['<none>:<none>'], Labels: {'io.kedge.project': 'app'}, Created: 100},
      {Id: 'sha256:none', RepoTags: null, Labels: null, Created: 150},
    ])
    const images = await imageRequests(transport, DESCRIBED).listImagesByLabel({'io.kedge.built-by': 'app', 'io.kedge.project': 'app'})
    assert.deepEqual(transport.requests[0]!.query, {filters: {label: ['io.kedge.built-by=app', 'io.kedge.project=app']}})
    assert.deepEqual(
      images.map((image) => [image.id, image.tags, image.labels, image.created.getTime()]),
      [
        ['sha256:old', [], {'io.kedge.project': 'app'}, 100_000],
        ['sha256:none', [], {}, 150_000],
        ['sha256:new', ['kedge-build/app-web:2222222222222222'], {'io.kedge.project': 'app'}, 200_000],
      ],
    )
  })

  it('tag an image by its name and tag apart, `latest` when the reference has none', async () => {
    const transport = scriptedTransport(() => '')
    const requests = imageRequests(transport, DESCRIBED)
    await requests.tagImage('sha256:aaa', '127.0.0.1:5000/team/web:1.2')
    await requests.tagImage('sha256:aaa', 'web')
    assert.deepEqual(
      transport.requests.map((request) => [request.method, request.path, request.query]),
      [
        ['POST', '/images/sha256%3Aaaa/tag', {repo: '127.0.0.1:5000/team/web', tag: '1.2'}],
        ['POST', '/images/sha256%3Aaaa/tag', {repo: 'web', tag: 'latest'}],
      ],
    )
    assert.throws(() => splitTag('web@sha256:abc'), /a digest names an image, a tag is needed/)
  })

  it('remove an image unforced: one in use is kept (false), one already gone is no error (true)', async () => {
    const answers: Record<string, () => unknown> = {
      '/images/kedge-build/app-web%3A1111111111111111': () => [{Untagged: 'kedge-build/app-web:1111111111111111'}],
      '/images/kedge-build/app-web%3A2222222222222222': () => {
        throw status(409, 'conflict - image is being used by running container')
      },
      '/images/kedge-build/app-web%3A3333333333333333': () => {
        throw status(404, 'no such image')
      },
    }
    const transport = scriptedTransport((request) => answers[request.path]!())
    const requests = imageRequests(transport, DESCRIBED)
    assert.equal(await requests.removeImage('kedge-build/app-web:1111111111111111'), true)
    assert.equal(await requests.removeImage('kedge-build/app-web:2222222222222222'), false)
    assert.equal(await requests.removeImage('kedge-build/app-web:3333333333333333'), true)
    assert.ok(transport.requests.every((request) => request.method === 'DELETE' && request.query === undefined), 'never forced')
  })

  it('fail as the engine\'s other requests do: a refusal is engine_error, no answer engine_unavailable', async () => {
    const refusing = imageRequests(scriptedTransport(() => { throw status(500, 'server error') }), DESCRIBED)
    await assert.rejects(refusing.removeImage('x:1'), (error: unknown) => isKedgeError(error) && error.code === 'engine_error')
    await assert.rejects(refusing.listImagesByLabel({a: 'b'}), (error: unknown) => isKedgeError(error) && error.code === 'engine_error')
    const silent = imageRequests(scriptedTransport((request) => { throw new EngineTimeoutError(request) }), DESCRIBED)
    await assert.rejects(silent.imageDetails(['x:1']), (error: unknown) => isKedgeError(error) && error.code === 'engine_unavailable')
    await assert.rejects(silent.tagImage('sha256:a', 'x:1'), (error: unknown) => isKedgeError(error) && error.code === 'engine_unavailable')
  })
})
