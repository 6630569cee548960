import type {ChannelTarget, DiscordChannel, GotifyChannel, HttpAuth, JsonChannel, MailChannel, NtfyChannel, SlackChannel} from './channel-url.js'
import type {Notification, NotificationLevel} from './notification.js'
import type {OutgoingMail, OutgoingMessage, OutgoingRequest} from './outgoing-message.js'

/** Where slack:// and discord:// are sent: the services themselves, or (an operator's proxy, a test) another base URL. */
export interface ServiceEndpoints {
  slack: string
  discord: string
}

export const DEFAULT_ENDPOINTS: ServiceEndpoints = {slack: 'https://hooks.slack.com', discord: 'https://discord.com'}

/** ntfy turns a longer message into an attachment (docs.ntfy.sh/publish, "Attach local file"). */
const NTFY_MESSAGE_MAX_BYTES = 4096
/** Apprise's limit on an ntfy title. */
const NTFY_TITLE_MAX_LENGTH = 200
/** Slack asks for at most 4,000 characters in `text` and truncates past 40,000 (api.slack.com/changelog/2018-04-truncating-really-long-messages). */
const SLACK_TEXT_MAX_LENGTH = 4000
/** Discord's execute-webhook limits (discord.com/developers/docs/resources/webhook#execute-webhook, message#embed-object-embed-limits). */
const DISCORD_CONTENT_MAX_LENGTH = 2000
const DISCORD_DESCRIPTION_MAX_LENGTH = 4096
const DISCORD_USERNAME_MAX_LENGTH = 80
/** Mail clients show a subject on one line; RFC 5322 allows 998 characters, none shows that many. */
const MAIL_SUBJECT_MAX_LENGTH = 200

const NTFY_TAGS: Record<NotificationLevel, string> = {info: 'information_source', success: 'white_check_mark', warning: 'warning', failure: 'rotating_light'}
const DISCORD_COLOURS: Record<NotificationLevel, number> = {info: 0x3498db, success: 0x2ecc71, warning: 0xf1c40f, failure: 0xe74c3c}
/** Apprise's Gotify priorities: normal (5), and high (8) for a failure. */
const GOTIFY_PRIORITIES: Record<NotificationLevel, number> = {info: 5, success: 5, warning: 5, failure: 8}

/** The request (or mail) that tells `target` about `notification`, in the service's own documented format. */
export function messageFor(target: ChannelTarget, notification: Notification, endpoints: ServiceEndpoints): OutgoingMessage {
  switch (target.kind) {
    case 'json':
      return jsonRequest(target, notification)
    case 'ntfy':
      return ntfyRequest(target, notification)
    case 'slack':
      return slackRequest(target, notification, endpoints.slack)
    case 'discord':
      return discordRequest(target, notification, endpoints.discord)
    case 'gotify':
      return gotifyRequest(target, notification)
    case 'mail':
      return mail(target, notification)
  }
}

/**
 * Apprise's JSON plugin's body (`version`, `title`, `message`, `attachments`, `type`), so that any Apprise
 * JSON receiver reads it, with kedge's own fields beside it for a receiver that wants more.
 */
function jsonRequest(target: JsonChannel, notification: Notification): OutgoingRequest {
  const body = {
    version: '1.0',
    title: notification.title,
    message: detail(notification),
    attachments: [],
    type: notification.type,
    event: notification.event,
    repository: notification.repository,
    stack: notification.stack,
    commit: notification.commit,
    previous_commit: notification.previousCommit,
    status: notification.status,
    reason: notification.reason,
    time: notification.time,
    folded: notification.folded,
  }
  return jsonPost(target.url, body, authorization(target.auth))
}

/**
 * ntfy's plain publishing (docs.ntfy.sh/publish): a POST to /<topic> whose body is the message, with the
 * title, priority and tags as headers. ntfy reads UTF-8 in headers, but not every proxy passes it: a
 * title that is not ASCII is sent RFC 2047-encoded, which ntfy documents too.
 */
function ntfyRequest(target: NtfyChannel, notification: Notification): OutgoingRequest {
  return {
    kind: 'http',
    url: `${target.server}/${target.topic}`,
    method: 'POST',
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      'User-Agent': 'kedge',
      Title: headerValue(clip(oneLine(notification.title), NTFY_TITLE_MAX_LENGTH)),
      Priority: notification.type === 'failure' ? 'high' : 'default',
      Tags: NTFY_TAGS[notification.type],
      ...authorization(target.auth),
    },
    body: clipUtf8(detail(notification), NTFY_MESSAGE_MAX_BYTES),
  }
}

/**
 * A Slack incoming webhook (api.slack.com/messaging/webhooks): `text` in Slack's mrkdwn, the title in
 * bold. &, < and > are escaped as Slack asks, which also keeps a commit message from mentioning
 * <!channel>.
 */
function slackRequest(target: SlackChannel, notification: Notification, endpoint: string): OutgoingRequest {
  const text = clip(`*${oneLine(notification.title)}*\n${detail(notification)}`, SLACK_TEXT_MAX_LENGTH)
  const body = {
    text: text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
    ...(target.botName === null ? {} : {username: target.botName}),
    ...(target.channel === null ? {} : {channel: target.channel}),
  }
  return jsonPost(`${endpoint.replace(/\/+$/, '')}/services/${target.tokens.join('/')}`, body)
}

/**
 * Discord's execute webhook: the title as `content` (what a phone's notification shows), the detail in
 * an embed coloured by the outcome. `allowed_mentions` is empty, so a commit message that says @everyone
 * pings no one.
 */
function discordRequest(target: DiscordChannel, notification: Notification, endpoint: string): OutgoingRequest {
  const body = {
    username: clip(target.botName ?? 'kedge', DISCORD_USERNAME_MAX_LENGTH),
    content: clip(notification.title, DISCORD_CONTENT_MAX_LENGTH),
    embeds: [
      {
        description: clip(detail(notification), DISCORD_DESCRIPTION_MAX_LENGTH),
        color: DISCORD_COLOURS[notification.type],
        timestamp: notification.time,
      },
    ],
    allowed_mentions: {parse: []},
  }
  return jsonPost(`${endpoint.replace(/\/+$/, '')}/api/webhooks/${target.webhookId}/${target.webhookToken}`, body)
}

/** Gotify's `POST /message` (gotify.net/docs/pushmsg), the application's token in X-Gotify-Key. */
function gotifyRequest(target: GotifyChannel, notification: Notification): OutgoingRequest {
  const body = {title: notification.title, message: detail(notification), priority: GOTIFY_PRIORITIES[notification.type]}
  return jsonPost(`${target.server}/message`, body, {'X-Gotify-Key': target.token})
}

/** The subject is the title; the text the detail, then the notification's fields, one a line. */
function mail(target: MailChannel, notification: Notification): OutgoingMail {
  const fields: Array<[string, string | null]> = [
    ['Event', notification.event],
    ['Repository', notification.repository],
    ['Stack', notification.stack],
    ['Commit', notification.commit],
    ['Previous commit', notification.previousCommit],
    ['Status', notification.status],
    ['Time', notification.time],
  ]
  const lines = fields.filter(([, value]) => value !== null).map(([name, value]) => `${name}: ${value}`)
  return {
    kind: 'mail',
    host: target.host,
    port: target.port,
    secure: target.security === 'ssl',
    requireStartTls: target.security === 'starttls',
    user: target.user,
    password: target.password,
    from: target.from,
    to: target.to,
    subject: clip(oneLine(notification.title), MAIL_SUBJECT_MAX_LENGTH),
    text: `${detail(notification)}\n\n${lines.join('\n')}\n`,
  }
}

/** What every channel shows below the title: the message, and why it happened. */
function detail(notification: Notification): string {
  return notification.reason === null ? notification.message : `${notification.message}\nReason: ${notification.reason}`
}

function jsonPost(url: string, body: unknown, headers: Record<string, string> = {}): OutgoingRequest {
  return {
    kind: 'http',
    url,
    method: 'POST',
    headers: {'Content-Type': 'application/json', 'User-Agent': 'kedge', ...headers},
    body: JSON.stringify(body),
  }
}

function authorization(auth: HttpAuth | null): Record<string, string> {
  if (auth === null) return {}
  if (auth.scheme === 'bearer') return {Authorization: `Bearer ${auth.token}`}
  return {Authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`, 'utf8').toString('base64')}`}
}

/** A header's value: one line, and RFC 2047 base64 when it is not printable ASCII. */
function headerValue(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`
}

function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
}

/** `text` cut to `max` UTF-16 code units with "…" at the end, never between the halves of a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text
  const end = /[\uD800-\uDBFF]/.test(text[max - 2] ?? '') ? max - 2 : max - 1
  return `${text.slice(0, end)}…`
}

/** `text` cut to `maxBytes` of UTF-8 with "…" at the end, at a character's boundary. */
function clipUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text
  const room = maxBytes - Buffer.byteLength('…', 'utf8')
  let used = 0
  let end = 0
  for (const character of text) {
    const size = Buffer.byteLength(character, 'utf8')
    if (used + size > room) break
    used += size
    end += character.length
  }
  return `${text.slice(0, end)}…`
}
