import assert from 'node:assert/strict'
import {createHmac} from 'node:crypto'
import {describe, it} from 'node:test'

import {deliveryId, tokenMatches, verifyWebhook, webhookSignature, type WebhookHeaders} from '../../src/model/repository/webhook-events.js'
import {isKedgeError} from '../../src/model/errors.js'

const SECRET = 'hook-secret-1'
const push = (ref: string) => Buffer.from(JSON.stringify({ref, after: 'a'.repeat(40)}))
const sign = (body: Buffer, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex')

function codeOf(headers: WebhookHeaders, body: Buffer): string {
  try {
    verifyWebhook(headers, body, SECRET)
  } catch (error) {
    assert.ok(isKedgeError(error))
    return error.code
  }
  assert.fail('expected a refusal')
}

describe('push webhooks', () => {
  it('reads a GitHub push signed with X-Hub-Signature-256, and a ping', () => {
    const body = push('refs/heads/main')
    assert.deepEqual(verifyWebhook({'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign(body)}`}, body, SECRET), {
      kind: 'push', provider: 'github', branch: 'main', after: 'a'.repeat(40),
    })
    assert.equal(verifyWebhook({'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${sign(body)}`}, body, SECRET).kind, 'ping')
  })

  it('reads Gitea and Forgejo pushes (X-Gitea-Signature, X-Forgejo-Signature) and GitLab pushes (X-Gitlab-Token)', () => {
    const body = push('refs/heads/release/1.x')
    assert.equal(verifyWebhook({'x-gitea-event': 'push', 'x-gitea-signature': sign(body)}, body, SECRET).provider, 'gitea')
    assert.equal(verifyWebhook({'x-forgejo-event': 'push', 'x-forgejo-signature': sign(body)}, body, SECRET).provider, 'gitea')
    const gitlab = verifyWebhook({'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET}, body, SECRET)
    assert.deepEqual([gitlab.kind, gitlab.provider, gitlab.kind === 'push' ? gitlab.branch : null], ['push', 'gitlab', 'release/1.x'])
  })

  it('tells a tag push and other events apart from a branch push', () => {
    const tag = push('refs/tags/v1')
    assert.deepEqual(verifyWebhook({'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign(tag)}`}, tag, SECRET), {kind: 'push', provider: 'github', branch: null, after: 'a'.repeat(40)})
    assert.equal(verifyWebhook({'x-github-event': 'issues', 'x-hub-signature-256': `sha256=${sign(tag)}`}, tag, SECRET).kind, 'other')
  })

  it('refuses a missing, wrong or other secret\'s signature, and a GitLab token in another case', () => {
    const body = push('refs/heads/main')
    assert.equal(codeOf({'x-github-event': 'push'}, body), 'bad_signature')
    assert.equal(codeOf({'x-hub-signature-256': `sha256=${sign(body, 'other')}`}, body), 'bad_signature')
    assert.equal(codeOf({'x-hub-signature-256': `sha256=${sign(Buffer.from(body.toString() + ' '))}`}, body), 'bad_signature', 'the signature covers the exact bytes')
    assert.equal(codeOf({'x-gitea-signature': ''}, body), 'bad_signature')
    assert.equal(codeOf({'x-gitlab-token': SECRET.toUpperCase()}, body), 'bad_signature')
  })

  it('refuses a signed body that is not a JSON object', () => {
    const body = Buffer.from('payload=%7B%7D')
    assert.equal(codeOf({'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign(body)}`}, body), 'invalid_webhook')
  })

  it('reads the signature a request presents from its headers alone', () => {
    assert.equal(webhookSignature({'x-github-event': 'push'}), undefined)
    assert.deepEqual(webhookSignature({'x-hub-signature-256': 'sha256=ABC'}), {provider: 'github', scheme: 'hmac', value: 'abc'})
    assert.deepEqual(webhookSignature({'x-forgejo-signature': 'abc'}), {provider: 'gitea', scheme: 'hmac', value: 'abc'})
    const token = webhookSignature({'x-gitlab-token': SECRET})!
    assert.deepEqual(token, {provider: 'gitlab', scheme: 'token', value: SECRET})
    assert.equal(tokenMatches(token, SECRET), true)
    assert.equal(tokenMatches(token, 'other'), false)
    assert.equal(tokenMatches({provider: 'github', scheme: 'hmac', value: SECRET}, SECRET), false, 'an HMAC is not a token')
  })

  it('reads the forge\'s delivery id, and none of an implausible length', () => {
    assert.equal(deliveryId({'x-github-delivery': 'g-1'}, 'github'), 'g-1')
    assert.equal(deliveryId({'x-gitea-delivery': 'e-1', 'x-github-delivery': 'g-1'}, 'gitea'), 'e-1')
    assert.equal(deliveryId({'x-forgejo-delivery': 'f-1'}, 'gitea'), 'f-1')
    assert.equal(deliveryId({'idempotency-key': 'k-1', 'x-gitlab-event-uuid': 'u-1'}, 'gitlab'), 'k-1')
    assert.equal(deliveryId({'x-gitlab-event-uuid': 'u-1'}, 'gitlab'), 'u-1')
    assert.equal(deliveryId({'x-gitlab-event-uuid': 'u-1'}, 'github'), undefined)
    assert.equal(deliveryId({'x-github-delivery': ' '}, 'github'), undefined)
    assert.equal(deliveryId({'x-github-delivery': 'x'.repeat(201)}, 'github'), undefined)
  })
})
