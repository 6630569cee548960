import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {messenger} from '../../src/adapters/notify/messenger.js'
import {ExternalError} from '../../src/model/errors.js'
import {DEFAULT_ENDPOINTS, messageFor, type ServiceEndpoints} from '../../src/model/notify/channel-message.js'
import {parseChannelUrl} from '../../src/model/notify/channel-url.js'
import type {Notification} from '../../src/model/notify/notification.js'
import {blackHole, type Receiver, startReceiver, unreachablePort} from '../helpers/receivers.js'
import {type SmtpReceiver, startSmtpReceiver} from '../helpers/smtp-receiver.js'

const notification: Notification = {
  event: 'deploy_succeeded',
  title: 'web: deploy of 1a2b3c4 succeeded',
  message: 'recreated api and worker',
  type: 'success',
  repository: 'homelab',
  stack: 'web',
  commit: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
  previousCommit: null,
  status: 'success',
  reason: 'push to main',
  time: '2026-05-04T10:02:03.000Z',
  folded: 0,
}

const SLACK_TOKENS = 'T0KEDGE01/B0KEDGE02/slackhooksecret0123456789'
const DISCORD_TOKEN = 'discord-hook-secret_0123456789'
const GOTIFY_TOKEN = 'gotify.app.secret.0123'

function send(url: string, endpoints: ServiceEndpoints = DEFAULT_ENDPOINTS, timeoutMs = 5000) {
  return messenger.deliver(messageFor(parseChannelUrl(url), notification, endpoints), {timeoutMs})
}

/** The error `promise` rejects with: a notify_failed ExternalError. */
async function failure(promise: Promise<unknown>): Promise<ExternalError> {
  const error = await promise.then(
    () => assert.fail('it was delivered'),
    (error: unknown) => error,
  )
  assert.ok(error instanceof ExternalError, String(error))
  assert.equal(error.code, 'notify_failed')
  return error
}

describe('notification channels, delivered by the messenger to real receivers', () => {
  let receiver: Receiver
  let endpoints: ServiceEndpoints
  const host = () => `127.0.0.1:${receiver.port}`

  before(async () => {
    receiver = await startReceiver()
    endpoints = {slack: receiver.url, discord: receiver.url}
  })
  after(() => receiver.close())

  it('json: posts the JSON body, with its content type and basic authentication', async () => {
    const before = receiver.requests.length
    const delivery = await send(`json://kedge:json-pass-0123@${host()}/hooks/kedge`)
    assert.equal(delivery.status, 200)
    assert.equal(delivery.answer, 'answer to POST /hooks/kedge\nsecond line')
    const [request] = (await receiver.waitFor(before + 1)).slice(before)
    assert.equal(request!.method, 'POST')
    assert.equal(request!.path, '/hooks/kedge')
    assert.equal(request!.headers['content-type'], 'application/json')
    assert.equal(request!.headers.authorization, `Basic ${Buffer.from('kedge:json-pass-0123').toString('base64')}`)
    assert.equal(Number(request!.headers['content-length']), Buffer.byteLength(request!.body))
    assert.deepEqual(
      {...request!.json},
      {
        version: '1.0', title: 'web: deploy of 1a2b3c4 succeeded', message: 'recreated api and worker\nReason: push to main', attachments: [], type: 'success',
        event: 'deploy_succeeded', repository: 'homelab', stack: 'web', commit: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b', previous_commit: null,
        status: 'success', reason: 'push to main', time: '2026-05-04T10:02:03.000Z', folded: 0,
      },
    )
  })

  it('ntfy: publishes to /<topic> with the title, priority and tags as headers', async () => {
    const before = receiver.requests.length
    await send(`ntfy://tk_ntfytoken0123456789@${host()}/deploys`)
    const [request] = (await receiver.waitFor(before + 1)).slice(before)
    assert.equal(request!.path, '/deploys')
    assert.equal(request!.body, 'recreated api and worker\nReason: push to main')
    assert.equal(request!.headers.title, 'web: deploy of 1a2b3c4 succeeded')
    assert.equal(request!.headers.priority, 'default')
    assert.equal(request!.headers.tags, 'white_check_mark')
    assert.equal(request!.headers.authorization, 'Bearer tk_ntfytoken0123456789')
  })

  it("slack: posts to the webhook's path under the endpoint", async () => {
    const before = receiver.requests.length
    const delivery = await send(`slack://kedge@${SLACK_TOKENS}/#deploys`, endpoints)
    assert.equal(delivery.answer, 'answer to POST /services/***/***/***\nsecond line')
    const [request] = (await receiver.waitFor(before + 1)).slice(before)
    assert.equal(request!.path, `/services/${SLACK_TOKENS}`)
    assert.deepEqual(request!.json, {text: '*web: deploy of 1a2b3c4 succeeded*\nrecreated api and worker\nReason: push to main', username: 'kedge', channel: '#deploys'})
  })

  it("discord: executes the webhook under the endpoint", async () => {
    const before = receiver.requests.length
    await send(`discord://417429632418316298/${DISCORD_TOKEN}`, endpoints)
    const [request] = (await receiver.waitFor(before + 1)).slice(before)
    assert.equal(request!.path, `/api/webhooks/417429632418316298/${DISCORD_TOKEN}`)
    assert.equal(request!.json.content, 'web: deploy of 1a2b3c4 succeeded')
    assert.equal(request!.json.embeds[0].description, 'recreated api and worker\nReason: push to main')
    assert.deepEqual(request!.json.allowed_mentions, {parse: []})
  })

  it('gotify: posts to <base>/message with X-Gotify-Key', async () => {
    const before = receiver.requests.length
    await send(`gotify://${host()}/gotify/${GOTIFY_TOKEN}`)
    const [request] = (await receiver.waitFor(before + 1)).slice(before)
    assert.equal(request!.path, '/gotify/message')
    assert.equal(request!.headers['x-gotify-key'], GOTIFY_TOKEN)
    assert.deepEqual(request!.json, {title: 'web: deploy of 1a2b3c4 succeeded', message: 'recreated api and worker\nReason: push to main', priority: 5})
  })

  describe('mail, through an SMTP server', () => {
    let smtp: SmtpReceiver
    before(async () => {
      smtp = await startSmtpReceiver()
    })
    after(() => smtp.close())

    it('sends from the sender to every recipient, the title as subject', async () => {
      const delivery = await send(`mailto://127.0.0.1:${smtp.port}?from=kedge@example.com&to=ops@example.com,dev@example.com`)
      assert.equal(delivery.status, 250)
      const [mail] = await smtp.waitFor(1)
      assert.equal(mail!.from, 'kedge@example.com')
      assert.deepEqual(mail!.to, ['ops@example.com', 'dev@example.com'])
      assert.match(mail!.data, /^Subject: web: deploy of 1a2b3c4 succeeded$/m)
      assert.match(mail!.data, /^From: kedge@example\.com$/m)
      assert.match(mail!.data, /^To: ops@example\.com, dev@example\.com$/m)
      assert.match(mail!.data, /recreated api and worker\r?\nReason: push to main\r?\n\r?\nEvent: deploy_succeeded\r?\nRepository: homelab\r?\nStack: web/)
    })

    it('fails with notify_failed when no SMTP server listens', async () => {
      const port = await unreachablePort()
      const error = await failure(send(`mailto://127.0.0.1:${port}?from=kedge@example.com`))
      assert.match(error.message, new RegExp(`could not send mail through 127\\.0\\.0\\.1:${port}: connection refused$`))
    })

    it('fails after the timeout when the server never greets', async () => {
      const hole = await blackHole()
      after(() => hole.close())
      const started = Date.now()
      const error = await failure(send(`mailto://127.0.0.1:${hole.port}?from=kedge@example.com`, DEFAULT_ENDPOINTS, 500))
      assert.ok(Date.now() - started < 3000, `${Date.now() - started} ms`)
      assert.match(error.message, /timed out after 0\.5 s$/)
    })
  })

  describe('failures', () => {
    it("names the status and the answer's first line, with the tokens in it masked", async () => {
      const refusing = await startReceiver({status: 500})
      after(() => refusing.close())
      const slack = await failure(send(`slack://${SLACK_TOKENS}`, {slack: refusing.url, discord: refusing.url}))
      assert.equal(slack.message, `could not deliver to 127.0.0.1:${refusing.port}: HTTP 500: answer to POST /services/***/***/***`)
      const discord = await failure(send(`discord://417429632418316298/${DISCORD_TOKEN}`, {slack: refusing.url, discord: refusing.url}))
      assert.equal(discord.message, `could not deliver to 127.0.0.1:${refusing.port}: HTTP 500: answer to POST /api/webhooks/417429632418316298/***`)
      refusing.setStatus(404)
      const gotify = await failure(send(`gotify://127.0.0.1:${refusing.port}/${GOTIFY_TOKEN}`))
      assert.match(gotify.message, /HTTP 404: answer to POST \/message$/)
      assert.ok(!gotify.message.includes(GOTIFY_TOKEN))
    })

    it('does not follow a redirect', async () => {
      const redirecting = await startReceiver({status: 302})
      after(() => redirecting.close())
      const error = await failure(send(`json://127.0.0.1:${redirecting.port}/`))
      assert.match(error.message, /HTTP 302 \(a redirect, which kedge does not follow\)/)
    })

    it('fails quickly when nothing listens', async () => {
      const port = await unreachablePort()
      const started = Date.now()
      const error = await failure(send(`jsons://kedge:json-pass-0123@127.0.0.1:${port}/in`))
      assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`)
      assert.equal(error.message, `could not deliver to 127.0.0.1:${port}: connection refused`)
    })

    it('fails after the timeout when the receiver never answers', async () => {
      const hole = await blackHole()
      after(() => hole.close())
      const started = Date.now()
      const error = await failure(send(`ntfy://127.0.0.1:${hole.port}/deploys`, DEFAULT_ENDPOINTS, 500))
      const elapsed = Date.now() - started
      assert.ok(elapsed >= 450 && elapsed < 3000, `${elapsed} ms`)
      assert.equal(error.message, `could not deliver to 127.0.0.1:${hole.port}: timed out after 0.5 s`)
    })

    it('times out a receiver that is too slow to answer', async () => {
      const slow = await startReceiver({delayMs: 2000})
      after(() => slow.close())
      const error = await failure(send(`json://127.0.0.1:${slow.port}/`, DEFAULT_ENDPOINTS, 300))
      assert.match(error.message, /timed out after 0\.3 s$/)
    })
  })
})
