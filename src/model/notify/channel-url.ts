import {InvalidInputError, quoted} from '../errors.js'
import {registerSecret} from '../secrets/redaction.js'

/**
 * Where a notification goes, written as an Apprise URL (https://github.com/caronc/apprise/wiki), so that
 * an operator who already has one for another tool can reuse it. kedge speaks the services itself, and
 * only the forms below; each target holds what channel-message.ts needs to build the request.
 */
export const CHANNEL_KINDS = ['json', 'ntfy', 'slack', 'discord', 'gotify', 'mail'] as const
export type ChannelKind = (typeof CHANNEL_KINDS)[number]

export type HttpAuth = {scheme: 'basic'; user: string; password: string} | {scheme: 'bearer'; token: string}

/** Apprise's JSON plugin: a POST of a JSON body to any URL. */
export interface JsonChannel {
  kind: 'json'
  /** http(s)://host[:port]/path */
  url: string
  auth: HttpAuth | null
}

export interface NtfyChannel {
  kind: 'ntfy'
  /** http(s)://host[:port], without a trailing slash. */
  server: string
  topic: string
  auth: HttpAuth | null
}

/** A Slack incoming webhook, named by the three tokens of its URL. */
export interface SlackChannel {
  kind: 'slack'
  tokens: readonly [string, string, string]
  /** "#channel", "@user" or an encoded id; null posts to the webhook's own channel. */
  channel: string | null
  botName: string | null
}

export interface DiscordChannel {
  kind: 'discord'
  webhookId: string
  webhookToken: string
  botName: string | null
}

export interface GotifyChannel {
  kind: 'gotify'
  /** http(s)://host[:port][/path], without a trailing slash. */
  server: string
  /** An application's token. */
  token: string
}

/** Apprise's `mode`: TLS from the first byte, STARTTLS required, or plain SMTP. */
export type MailSecurity = 'ssl' | 'starttls' | 'insecure'

export interface MailChannel {
  kind: 'mail'
  /** The SMTP server: the URL's host, or its `smtp=`. */
  host: string
  port: number
  security: MailSecurity
  user: string | null
  password: string | null
  from: string
  to: string[]
}

export type ChannelTarget = JsonChannel | NtfyChannel | SlackChannel | DiscordChannel | GotifyChannel | MailChannel

/** Longer than any real one; a longer value is a mistake (a pasted file), not a URL. */
const MAX_URL_LENGTH = 2048
const NTFY_CLOUD = 'https://ntfy.sh'
/** ntfy's access tokens start with tk_ (Apprise tells them from a user name by it). */
const NTFY_TOKEN = /^tk_\S+$/i
/** Apprise's topic pattern. */
const NTFY_TOPIC = /^[A-Za-z0-9_-]{1,64}$/
/** Apprise's patterns for the three tokens of https://hooks.slack.com/services/A/B/C. */
const SLACK_TOKEN_A_OR_B = /^[A-Z0-9]+$/i
const SLACK_TOKEN_C = /^[A-Za-z0-9]+$/
const SLACK_CHANNEL = /^[A-Za-z0-9_.-]{1,80}$/
const DISCORD_WEBHOOK_ID = /^[0-9]{1,25}$/
const DISCORD_WEBHOOK_TOKEN = /^[A-Za-z0-9_-]+$/
const GOTIFY_TOKEN = /^[A-Za-z0-9._-]+$/
/** A DNS name (Compose's service names may hold "_"), an IPv4 address, or an IPv6 one in brackets. */
const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|\[[0-9A-Fa-f:.]+\])$/
/** Enough to catch a typo; the SMTP server is the judge of the rest. */
const MAIL_ADDRESS = /^[^\s@<>(),;:"\\[\]]+@[^\s@<>(),;:"\\[\]]+$/
/** Apprise's default ports for each mode. */
const MAIL_PORTS: Record<MailSecurity, number> = {ssl: 465, starttls: 587, insecure: 25}
const SECURE_SCHEMES = new Set(['jsons', 'ntfys', 'gotifys', 'mailtos'])

const HINT =
  'use json://host[:port]/path, ntfy://[user:password@]host/topic (ntfy://topic for ntfy.sh), ' +
  'slack://TokenA/TokenB/TokenC[/#channel], discord://WebhookID/WebhookToken, gotify://host[/path]/token, ' +
  'or mailto://user:password@host?to=address; jsons://, ntfys://, gotifys:// and mailtos:// use TLS'

/** The URL taken apart, each part decoded. */
interface UrlParts {
  scheme: string
  /** The scheme asks for TLS (jsons, ntfys, gotifys, mailtos). */
  secure: boolean
  /** As in the URL: an IPv6 address keeps its brackets. */
  host: string
  port: number | null
  user: string | null
  password: string | null
  /** The path as written (%-escaped). */
  path: string
  /** The path's non-empty segments. */
  segments: string[]
  fragment: string | null
  parameters: Map<string, string>
}

/** A Map, not an object: a scheme such as constructor:// must not find Object.prototype's. */
const PARSERS = new Map<string, (parts: UrlParts) => ChannelTarget>([
  ['json', jsonChannel],
  ['jsons', jsonChannel],
  ['ntfy', ntfyChannel],
  ['ntfys', ntfyChannel],
  ['slack', slackChannel],
  ['discord', discordChannel],
  ['gotify', gotifyChannel],
  ['gotifys', gotifyChannel],
  ['mailto', mailChannel],
  ['mailtos', mailChannel],
])

/**
 * The channel a notification URL names. Throws InvalidInputError (`invalid_notify_url`) whose message
 * names the scheme and the fault, never a part of the URL that may be secret. The URL's secrets are
 * registered for redaction, so that whatever prints them later masks them.
 */
export function parseChannelUrl(input: string): ChannelTarget {
  const url = input.trim()
  if (url.length === 0) throw refused(null, 'it is empty')
  if (url.length > MAX_URL_LENGTH) throw refused(null, `it is longer than ${MAX_URL_LENGTH} characters`)
  if (/[\s\u0000-\u001f\u007f]/.test(url)) throw refused(null, 'it contains white space or control characters')
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase()
  if (!scheme) throw refused(null, 'it is not of the form scheme://...')
  const parse = PARSERS.get(scheme)
  if (!parse) throw refused(null, `the scheme ${quoted(scheme)} is not supported`)
  const target = parse(takeApart(url, scheme))
  for (const secret of secretsOf(target)) registerSecret(secret)
  return target
}

/**
 * The URL with every secret in it (passwords, tokens, Slack's three tokens, Discord's webhook token,
 * Gotify's token) replaced by `***`, for `notify list` and the log. It is written from what kedge read
 * (`ntfy://alerts` shows as `ntfys://ntfy.sh/alerts`, with the defaults spelt out), so it shows where
 * notifications go and nothing of the input that was not understood. A URL kedge refuses shows as its
 * scheme only.
 */
export function displayChannelUrl(url: string): string {
  try {
    return shownUrl(parseChannelUrl(url))
  } catch {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]{0,15}):\/\//.exec(url.trim())?.[1]
    return scheme ? `${scheme.toLowerCase()}://***` : '***'
  }
}

function jsonChannel(parts: UrlParts): JsonChannel {
  checkHost(parts)
  allowParameters(parts, [])
  noFragment(parts)
  return {kind: 'json', url: `${httpBase(parts)}${parts.path || '/'}`, auth: basicAuth(parts)}
}

function ntfyChannel(parts: UrlParts): NtfyChannel {
  allowParameters(parts, [])
  noFragment(parts)
  if (parts.user === null && parts.password !== null) throw refused(parts.scheme, 'it has a password without a user')
  const auth: HttpAuth | null =
    parts.user === null
      ? null
      : parts.password === null && NTFY_TOKEN.test(parts.user)
        ? {scheme: 'bearer', token: parts.user}
        : {scheme: 'basic', user: parts.user, password: parts.password ?? ''}
  if (parts.host === '') throw refused(parts.scheme, 'it names no topic')
  // One part and no path is a topic on ntfy.sh (Apprise's "cloud" mode): ntfy://alerts.
  if (parts.segments.length === 0) {
    if (parts.port !== null) throw refused(parts.scheme, 'it has a port but no topic')
    return {kind: 'ntfy', server: NTFY_CLOUD, topic: checkedTopic(parts, parts.host), auth}
  }
  checkHost(parts)
  if (parts.segments.length > 1) throw refused(parts.scheme, 'it names more than one topic: add a channel for each')
  return {kind: 'ntfy', server: httpBase(parts), topic: checkedTopic(parts, parts.segments[0]!), auth}
}

function slackChannel(parts: UrlParts): SlackChannel {
  allowParameters(parts, [])
  if (parts.password !== null) throw refused('slack', 'it has a password; a Slack webhook takes none')
  if (/^xox/i.test(parts.host)) throw refused('slack', 'Slack bot tokens are not supported: use an incoming webhook')
  const [tokenB, tokenC, target, ...more] = parts.segments
  if (tokenB === undefined || tokenC === undefined) {
    throw refused('slack', 'it needs the three tokens of the webhook: slack://TokenA/TokenB/TokenC')
  }
  if (!SLACK_TOKEN_A_OR_B.test(parts.host) || !SLACK_TOKEN_A_OR_B.test(tokenB) || !SLACK_TOKEN_C.test(tokenC)) {
    throw refused('slack', 'its tokens may hold only letters and digits')
  }
  if (more.length > 0 || (target !== undefined && parts.fragment !== null)) {
    throw refused('slack', 'it names more than one channel: add a channel for each')
  }
  const channel = parts.fragment !== null ? `#${parts.fragment}` : (target ?? null)
  return {kind: 'slack', tokens: [parts.host, tokenB, tokenC], channel: channel === null ? null : slackTarget(channel), botName: parts.user}
}

function discordChannel(parts: UrlParts): DiscordChannel {
  allowParameters(parts, [])
  noFragment(parts)
  if (parts.password !== null) throw refused('discord', 'it has a password; a Discord webhook takes none')
  const [webhookToken, ...more] = parts.segments
  if (webhookToken === undefined || more.length > 0) {
    throw refused('discord', 'it needs the webhook id and token, and nothing more: discord://WebhookID/WebhookToken')
  }
  if (!DISCORD_WEBHOOK_ID.test(parts.host)) throw refused('discord', 'its webhook id is not a number')
  if (!DISCORD_WEBHOOK_TOKEN.test(webhookToken)) throw refused('discord', 'its webhook token holds characters a token does not')
  return {kind: 'discord', webhookId: parts.host, webhookToken, botName: parts.user}
}

function gotifyChannel(parts: UrlParts): GotifyChannel {
  checkHost(parts)
  allowParameters(parts, [])
  noFragment(parts)
  if (parts.user !== null || parts.password !== null) throw refused(parts.scheme, 'Gotify takes the application token, not a user')
  const token = parts.segments.at(-1)
  if (token === undefined) throw refused(parts.scheme, 'it has no application token: gotify://host/token')
  if (!GOTIFY_TOKEN.test(token)) throw refused(parts.scheme, 'its token holds characters a token does not')
  const path = parts.segments.slice(0, -1).map((segment) => `/${encodeURIComponent(segment)}`).join('')
  return {kind: 'gotify', server: `${httpBase(parts)}${path}`, token}
}

/**
 * Apprise's email plugin: the URL's host is the mail domain and, unless `smtp=` names another, the
 * server; the sender is `from=`, else the user when it is an address, else user@host; the recipients are
 * the path's addresses and `to=`'s, else the sender. mailto:// is plain SMTP on port 25; mailtos:// requires
 * STARTTLS on 587, or TLS from the first byte on 465 (or with mode=ssl).
 */
function mailChannel(parts: UrlParts): MailChannel {
  checkHost(parts)
  allowParameters(parts, ['to', 'from', 'smtp', 'mode', 'user', 'pass'])
  noFragment(parts)
  const user = parts.user ?? parts.parameters.get('user') ?? null
  const password = parts.password ?? parts.parameters.get('pass') ?? null
  if (user === null && password !== null) throw refused(parts.scheme, 'it has a password without a user')
  const security = mailSecurity(parts)
  const smtp = parts.parameters.get('smtp')
  if (smtp !== undefined && !HOST.test(smtp)) throw refused(parts.scheme, 'its smtp= is not a host name')
  const from = parts.parameters.get('from') ?? (user === null ? null : user.includes('@') ? user : `${user}@${parts.host}`)
  if (from === null) throw refused(parts.scheme, 'it has neither a user nor from=, so no sender')
  const listed = [...parts.segments, ...(parts.parameters.get('to')?.split(',') ?? [])].map((address) => address.trim()).filter((address) => address.length > 0)
  const to = listed.length > 0 ? listed : [from]
  if (![from, ...to].every((address) => MAIL_ADDRESS.test(address))) throw refused(parts.scheme, 'a sender or recipient is not an email address')
  return {
    kind: 'mail',
    host: (smtp ?? parts.host).replace(/^\[(.*)\]$/, '$1'),
    port: parts.port ?? MAIL_PORTS[security],
    security,
    user,
    password,
    from,
    to,
  }
}

/** mode= when given (mailtos:// refuses plain SMTP: the s is a promise); else mailtos:// on port 465 is TLS, as SMTPS always is. */
function mailSecurity(parts: UrlParts): MailSecurity {
  const mode = parts.parameters.get('mode')?.toLowerCase()
  if (mode !== undefined) {
    if (!isMailSecurity(mode)) throw refused(parts.scheme, 'its mode= is not ssl, starttls or insecure')
    if (parts.secure && mode === 'insecure') throw refused(parts.scheme, 'mailtos:// with mode=insecure: use mailto:// for plain SMTP')
    return mode
  }
  if (!parts.secure) return 'insecure'
  return parts.port === MAIL_PORTS.ssl ? 'ssl' : 'starttls'
}

function isMailSecurity(mode: string): mode is MailSecurity {
  return Object.hasOwn(MAIL_PORTS, mode)
}

function takeApart(input: string, scheme: string): UrlParts {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    throw refused(scheme, 'it is not a valid URL')
  }
  try {
    const decoded = (text: string) => (text === '' ? null : decodeURIComponent(text))
    const port = url.port === '' ? null : Number(url.port)
    if (port === 0) throw refused(scheme, 'its port is 0')
    return {
      scheme,
      secure: SECURE_SCHEMES.has(scheme),
      host: decodeURIComponent(url.hostname),
      port,
      user: decoded(url.username),
      password: decoded(url.password),
      path: url.pathname,
      segments: url.pathname.split('/').filter((segment) => segment.length > 0).map((segment) => decodeURIComponent(segment)),
      fragment: decoded(url.hash.replace(/^#/, '')),
      parameters: new Map(url.searchParams),
    }
  } catch (error) {
    if (error instanceof InvalidInputError) throw error
    throw refused(scheme, 'it holds a malformed %-escape')
  }
}

function checkHost(parts: UrlParts): void {
  if (!HOST.test(parts.host)) throw refused(parts.scheme, 'its host is not a host name or an IP address')
}

function noFragment(parts: UrlParts): void {
  if (parts.fragment !== null) throw refused(parts.scheme, 'it has a #fragment')
}

/** kedge refuses what it would not honour (Apprise's other parameters), rather than send otherwise than asked. */
function allowParameters(parts: UrlParts, allowed: readonly string[]): void {
  for (const name of parts.parameters.keys()) {
    if (!allowed.includes(name)) {
      const shown = /^[A-Za-z0-9_+:-]{1,32}$/.test(name) ? ` ${quoted(name)}` : ''
      const supported = allowed.length > 0 ? ` (it takes ${allowed.join(', ')})` : ''
      throw refused(parts.scheme, `kedge does not support its parameter${shown}${supported}`)
    }
  }
}

function basicAuth(parts: UrlParts): HttpAuth | null {
  if (parts.user === null && parts.password !== null) throw refused(parts.scheme, 'it has a password without a user')
  return parts.user === null ? null : {scheme: 'basic', user: parts.user, password: parts.password ?? ''}
}

function httpBase(parts: UrlParts): string {
  return `${parts.secure ? 'https' : 'http'}://${parts.host}${parts.port === null ? '' : `:${parts.port}`}`
}

function checkedTopic(parts: UrlParts, topic: string): string {
  if (!NTFY_TOPIC.test(topic)) throw refused(parts.scheme, 'its topic is not 1 to 64 letters, digits, "_" or "-"')
  return topic
}

/** As Apprise sends it: "#name" and "@user" as they are, "+ID" as the bare id, a bare name as "#name". */
function slackTarget(channel: string): string {
  const prefix = /^[#@+]/.test(channel) ? channel[0]! : ''
  const name = prefix ? channel.slice(1) : channel
  if (!SLACK_CHANNEL.test(name)) throw refused('slack', 'its channel is not a Slack channel or user name')
  return prefix === '+' ? name : `${prefix || '#'}${name}`
}

function secretsOf(target: ChannelTarget): string[] {
  switch (target.kind) {
    case 'json':
    case 'ntfy':
      return target.auth === null ? [] : [target.auth.scheme === 'basic' ? target.auth.password : target.auth.token]
    case 'slack':
      return [...target.tokens]
    case 'discord':
      return [target.webhookToken]
    case 'gotify':
      return [target.token]
    case 'mail':
      return target.password === null ? [] : [target.password]
  }
}

function shownUrl(target: ChannelTarget): string {
  switch (target.kind) {
    case 'json': {
      const [, secure, host, path] = /^http(s?):\/\/([^/]*)(\/.*)?$/.exec(target.url)!
      return `json${secure}://${shownAuth(target.auth)}${host}${shownPath(path ?? '/')}`
    }
    case 'ntfy': {
      const [, secure, host] = /^http(s?):\/\/(.*)$/.exec(target.server)!
      return `ntfy${secure}://${shownAuth(target.auth)}${host}/${target.topic}`
    }
    case 'slack':
      return `slack://${shownUser(target.botName)}***/***/***${target.channel === null ? '' : `/${target.channel}`}`
    case 'discord':
      return `discord://${shownUser(target.botName)}${target.webhookId}/***`
    case 'gotify': {
      const [, secure, rest] = /^http(s?):\/\/(.*)$/.exec(target.server)!
      return `gotify${secure}://${rest}/***`
    }
    case 'mail': {
      const scheme = target.security === 'insecure' ? 'mailto' : 'mailtos'
      const defaultSecurity = target.security === 'insecure' || (target.port === MAIL_PORTS.ssl) === (target.security === 'ssl')
      const credentials = target.user === null ? '' : `${encodeURIComponent(target.user)}${target.password === null ? '' : ':***'}@`
      const host = target.host.includes(':') ? `[${target.host}]` : target.host
      const mode = defaultSecurity ? '' : `&mode=${target.security}`
      return `${scheme}://${credentials}${host}:${target.port}?from=${target.from}&to=${target.to.join(',')}${mode}`
    }
  }
}

/**
 * A webhook's path as shown: many receivers take their token in it (`/hooks/<token>`), so only a short
 * first part is shown, and every other part is masked.
 */
function shownPath(path: string): string {
  return path
    .split('/')
    .map((part, index) => (part === '' || (index === 1 && part.length < SHOWN_PATH_PART) ? part : '***'))
    .join('/')
}

/** The longest first part of a webhook's path that is shown: a token is longer. */
const SHOWN_PATH_PART = 12

function shownAuth(auth: HttpAuth | null): string {
  if (auth === null) return ''
  return auth.scheme === 'bearer' ? '***@' : `${encodeURIComponent(auth.user)}${auth.password === '' ? '' : ':***'}@`
}

function shownUser(name: string | null): string {
  return name === null ? '' : `${encodeURIComponent(name)}@`
}

function refused(scheme: string | null, why: string): InvalidInputError {
  return new InvalidInputError(`invalid notification URL${scheme === null ? '' : ` (${scheme}://)`}: ${why}`, {code: 'invalid_notify_url', hint: HINT})
}
