import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {DEFAULT_ENDPOINTS, messageFor} from '../../src/model/notify/channel-message.js'
import {parseChannelUrl} from '../../src/model/notify/channel-url.js'
import type {Notification} from '../../src/model/notify/notification.js'
import type {OutgoingMail, OutgoingMessage, OutgoingRequest} from '../../src/model/notify/outgoing-message.js'

const failed: Notification = {
  event: 'deploy_failed',
  title: 'web: deploy of 1a2b3c4 failed',
  message: 'compose could not start api: port 8080 is taken\nand 3 more like it since 10:02',
  type: 'failure',
  repository: 'homelab',
  stack: 'web',
  commit: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
  previousCommit: '0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e',
  status: 'failed',
  reason: 'push to main: compose.yaml changed',
  time: '2026-05-04T10:02:03.000Z',
  folded: 3,
}

function request(url: string, notification: Notification = failed): OutgoingRequest {
  const message: OutgoingMessage = messageFor(parseChannelUrl(url), notification, DEFAULT_ENDPOINTS)
  assert.equal(message.kind, 'http')
  return message as OutgoingRequest
}

describe('messageFor', () => {
  describe('json', () => {
    it("posts Apprise's JSON body with kedge's fields beside it", () => {
      const sent = request('jsons://hooks.example.com:8443/kedge/in')
      assert.equal(sent.url, 'https://hooks.example.com:8443/kedge/in')
      assert.equal(sent.method, 'POST')
      assert.equal(sent.headers['Content-Type'], 'application/json')
      assert.deepEqual(JSON.parse(sent.body), {
        version: '1.0',
        title: 'web: deploy of 1a2b3c4 failed',
        message: 'compose could not start api: port 8080 is taken\nand 3 more like it since 10:02\nReason: push to main: compose.yaml changed',
        attachments: [],
        type: 'failure',
        event: 'deploy_failed',
        repository: 'homelab',
        stack: 'web',
        commit: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
        previous_commit: '0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e',
        status: 'failed',
        reason: 'push to main: compose.yaml changed',
        time: '2026-05-04T10:02:03.000Z',
        folded: 3,
      })
      assert.equal(sent.headers.Authorization, undefined)
    })

    it('sends the URL\'s user and password as HTTP basic authentication', () => {
      const sent = request('json://bot:p%40ss-w0rd@hooks.example.com/in')
      assert.equal(sent.headers.Authorization, `Basic ${Buffer.from('bot:p@ss-w0rd').toString('base64')}`)
    })

    it('leaves out the reason line when there is none, and keeps the nulls', () => {
      const body = JSON.parse(request('json://h/', {...failed, reason: null, commit: null, folded: 0}).body)
      assert.equal(body.message, failed.message)
      assert.equal(body.commit, null)
      assert.equal(body.folded, 0)
    })
  })

  describe('ntfy', () => {
    it('publishes the text to /<topic>, with the title, priority and tags as headers', () => {
      const sent = request('ntfys://ntfy.example.com/deploys')
      assert.equal(sent.url, 'https://ntfy.example.com/deploys')
      assert.equal(sent.body, 'compose could not start api: port 8080 is taken\nand 3 more like it since 10:02\nReason: push to main: compose.yaml changed')
      assert.equal(sent.headers.Title, 'web: deploy of 1a2b3c4 failed')
      assert.equal(sent.headers.Priority, 'high')
      assert.equal(sent.headers.Tags, 'rotating_light')
      assert.match(sent.headers['Content-Type']!, /^text\/plain/)
    })

    it('goes to ntfy.sh for ntfy://topic, at the default priority for a success', () => {
      const sent = request('ntfy://alerts', {...failed, type: 'success'})
      assert.equal(sent.url, 'https://ntfy.sh/alerts')
      assert.equal(sent.headers.Priority, 'default')
      assert.equal(sent.headers.Tags, 'white_check_mark')
    })

    it('sends a token as a bearer, a user as basic authentication', () => {
      assert.equal(request('ntfy://tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2@ntfy.lan/t').headers.Authorization, 'Bearer tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2')
      assert.equal(request('ntfy://phil:pw@ntfy.lan/t').headers.Authorization, `Basic ${Buffer.from('phil:pw').toString('base64')}`)
    })

    it('encodes a title that is not ASCII as RFC 2047, and keeps it on one line', () => {
      const sent = request('ntfy://alerts', {...failed, title: 'Äpfel: deploy\r\nInjected: header'})
      assert.equal(sent.headers.Title, `=?UTF-8?B?${Buffer.from('Äpfel: deploy Injected: header').toString('base64')}?=`)
    })

    it('keeps the message within 4096 bytes of UTF-8, cut at a character', () => {
      const sent = request('ntfy://alerts', {...failed, reason: null, message: 'é'.repeat(3000)})
      assert.ok(Buffer.byteLength(sent.body) <= 4096)
      assert.ok(sent.body.endsWith('é…'))
      assert.ok(!sent.body.includes('\uFFFD'))
    })
  })

  describe('slack', () => {
    it("posts `text` to the incoming webhook's URL, with the channel and the bot's name", () => {
      const sent = request('slack://kedge@T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/#deploys')
      assert.equal(sent.url, 'https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7')
      assert.deepEqual(JSON.parse(sent.body), {
        text: '*web: deploy of 1a2b3c4 failed*\ncompose could not start api: port 8080 is taken\nand 3 more like it since 10:02\nReason: push to main: compose.yaml changed',
        username: 'kedge',
        channel: '#deploys',
      })
    })

    it('escapes what Slack would read as a mention or a link', () => {
      const body = JSON.parse(request('slack://T1/B1/C1', {...failed, reason: null, message: 'ping <!channel> & <https://x|y>'}).body)
      assert.match(body.text, /ping &lt;!channel&gt; &amp; &lt;https:\/\/x\|y&gt;$/)
      assert.equal(body.username, undefined)
      assert.equal(body.channel, undefined)
    })

    it('keeps the text within 4000 characters', () => {
      const body = JSON.parse(request('slack://T1/B1/C1', {...failed, message: 'x'.repeat(10_000)}).body)
      assert.equal(body.text.length, 4000)
      assert.ok(body.text.endsWith('…'))
    })

    it('goes to another base URL when the endpoints say so', () => {
      const sent = messageFor(parseChannelUrl('slack://T1/B1/C1'), failed, {...DEFAULT_ENDPOINTS, slack: 'http://127.0.0.1:9000/'}) as OutgoingRequest
      assert.equal(sent.url, 'http://127.0.0.1:9000/services/T1/B1/C1')
    })
  })

  describe('discord', () => {
    it('executes the webhook: the title as content, the detail in an embed, no mentions', () => {
      const sent = request('discord://417429632418316298/tok-en_123')
      assert.equal(sent.url, 'https://discord.com/api/webhooks/417429632418316298/tok-en_123')
      assert.deepEqual(JSON.parse(sent.body), {
        username: 'kedge',
        content: 'web: deploy of 1a2b3c4 failed',
        embeds: [{
          description: 'compose could not start api: port 8080 is taken\nand 3 more like it since 10:02\nReason: push to main: compose.yaml changed',
          color: 0xe74c3c,
          timestamp: '2026-05-04T10:02:03.000Z',
        }],
        allowed_mentions: {parse: []},
      })
    })

    it("keeps within Discord's limits, never splitting a character", () => {
      const body = JSON.parse(request('discord://1/t', {...failed, title: `${'t'.repeat(1998)}😀😀`, message: 'd'.repeat(5000)}).body)
      assert.equal(body.content, `${'t'.repeat(1998)}…`)
      assert.equal(body.embeds[0].description.length, 4096)
    })

    it("names the bot as the URL does, and goes to another base URL when told", () => {
      const sent = messageFor(parseChannelUrl('discord://deploys@1/t'), failed, {...DEFAULT_ENDPOINTS, discord: 'http://127.0.0.1:9000'}) as OutgoingRequest
      assert.equal(sent.url, 'http://127.0.0.1:9000/api/webhooks/1/t')
      assert.equal(JSON.parse(sent.body).username, 'deploys')
    })
  })

  describe('gotify', () => {
    it('posts {title, message, priority} to <base>/message with the token in X-Gotify-Key', () => {
      const sent = request('gotifys://example.com/push/AbCdEf.123456')
      assert.equal(sent.url, 'https://example.com/push/message')
      assert.equal(sent.headers['X-Gotify-Key'], 'AbCdEf.123456')
      assert.deepEqual(JSON.parse(sent.body), {
        title: 'web: deploy of 1a2b3c4 failed',
        message: 'compose could not start api: port 8080 is taken\nand 3 more like it since 10:02\nReason: push to main: compose.yaml changed',
        priority: 8,
      })
      assert.equal(JSON.parse(request('gotify://g.lan/tok', {...failed, type: 'info'}).body).priority, 5)
    })
  })

  describe('mail', () => {
    it('is the title as subject, the detail and the fields as text, over the security the URL asks', () => {
      const mail = messageFor(parseChannelUrl('mailtos://kedge:pw-s3cret@example.com?to=ops@example.com'), failed, DEFAULT_ENDPOINTS) as OutgoingMail
      assert.deepEqual({...mail, text: undefined}, {
        kind: 'mail', host: 'example.com', port: 587, secure: false, requireStartTls: true, user: 'kedge', password: 'pw-s3cret',
        from: 'kedge@example.com', to: ['ops@example.com'], subject: 'web: deploy of 1a2b3c4 failed', text: undefined,
      })
      assert.equal(mail.text, [
        'compose could not start api: port 8080 is taken',
        'and 3 more like it since 10:02',
        'Reason: push to main: compose.yaml changed',
        '',
        'Event: deploy_failed',
        'Repository: homelab',
        'Stack: web',
        'Commit: 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
        'Previous commit: 0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e',
        'Status: failed',
        'Time: 2026-05-04T10:02:03.000Z',
        '',
      ].join('\n'))
    })

    it('is TLS from the first byte on 465, plain for mailto://, and leaves out the fields that are null', () => {
      const ssl = messageFor(parseChannelUrl('mailtos://k:pw@example.com:465'), failed, DEFAULT_ENDPOINTS) as OutgoingMail
      assert.deepEqual([ssl.secure, ssl.requireStartTls], [true, false])
      const plain = messageFor(parseChannelUrl('mailto://127.0.0.1:2525?from=k@example.com'), {...failed, stack: null, commit: null, previousCommit: null}, DEFAULT_ENDPOINTS) as OutgoingMail
      assert.deepEqual([plain.secure, plain.requireStartTls, plain.user, plain.password], [false, false, null, null])
      assert.doesNotMatch(plain.text, /Stack:|Commit:|Previous commit:/)
    })

    it('keeps the subject on one short line', () => {
      const mail = messageFor(parseChannelUrl('mailto://k@example.com'), {...failed, title: `a\r\nBcc: x@y ${'z'.repeat(300)}`}, DEFAULT_ENDPOINTS) as OutgoingMail
      assert.ok(!/[\r\n]/.test(mail.subject))
      assert.equal(mail.subject.length, 200)
    })
  })
})
