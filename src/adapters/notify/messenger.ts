import http from 'node:http'
import https from 'node:https'

import type {SendMailOptions} from 'nodemailer'

import {clipped, ExternalError} from '../../model/errors.js'
import {exchangeOnce} from '../net/exchange-once.js'
import type {Delivery, OutgoingMail, OutgoingMessage, OutgoingRequest} from '../../model/notify/outgoing-message.js'
import {redact} from '../../model/secrets/redaction.js'
import type {Messenger} from '../../ports/messenger.js'

type DeliveryOptions = Parameters<Messenger['deliver']>[1]

/** What is kept of a receiver's answer: enough to say why it refused. */
const MAX_ANSWER_BYTES = 4096
/** What is read of it: more than is kept, so that a secret the receiver echoes across the cut is still masked whole. */
const MAX_READ_BYTES = 2 * MAX_ANSWER_BYTES
const HINT = 'check that the receiver is up, and that the URL and its credentials are right'

/** Sends each message once, over a connection of its own, and says in one redacted line why it did not arrive. */
export const messenger: Messenger = {
  deliver(message: OutgoingMessage, options: DeliveryOptions): Promise<Delivery> {
    return message.kind === 'http' ? sendRequest(message, options) : sendMail(message, options)
  },
}

/**
 * One request, under one time limit from connecting to the end of the answer. Redirects are not
 * followed: a webhook that moved is a 3xx, an error the operator should see, and following it would send
 * the message (and its credentials) somewhere the operator never named.
 */
function sendRequest(message: OutgoingRequest, options: DeliveryOptions): Promise<Delivery> {
  const target = new URL(message.url)
  // The host alone: a webhook's path holds its token.
  const failed = (why: string) => deliveryFailed(`could not deliver to ${target.host}: ${why}`)
  if (options.signal?.aborted) return Promise.reject(failed('abandoned'))
  const client = target.protocol === 'https:' ? https : http
  let request: http.ClientRequest
  try {
    request = client.request({
      protocol: target.protocol,
      hostname: target.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: target.port || undefined,
      path: `${target.pathname}${target.search}`,
      method: message.method,
      headers: {...message.headers, 'Content-Length': String(Buffer.byteLength(message.body))},
      // A notification is rare: a kept-alive connection would be closed by the receiver before the next.
      agent: false,
      rejectUnauthorized: true,
    })
  } catch (error) {
    // Node refuses a header it finds invalid before anything is sent.
    return Promise.reject(failed(`the request is invalid (${error instanceof Error ? error.message : String(error)})`))
  }

  const {done, finish} = exchangeOnce<Delivery>(request, options, {
    timedOut: () => failed(`timed out after ${seconds(options.timeoutMs)}`),
    abandoned: () => failed('abandoned'),
  })
  request.on('error', (error: NodeJS.ErrnoException) => finish({error: failed(networkCause(error))}))
  request.on('response', (response) => {
    const status = response.statusCode ?? 0
    const chunks: Buffer[] = []
    let received = 0
    const answered = (): void => {
      const answer = Buffer.from(redact(Buffer.concat(chunks).toString('utf8'))).subarray(0, MAX_ANSWER_BYTES).toString('utf8')
      if (status >= 200 && status < 300) return finish({value: {status, answer}})
      const redirect = status >= 300 && status < 400 ? ' (a redirect, which kedge does not follow)' : ''
      const line = firstLine(answer)
      finish({error: failed(`HTTP ${status}${redirect}${line ? `: ${line}` : ''}`)})
    }
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      received += chunk.length
      if (received >= MAX_READ_BYTES) answered()
    })
    response.on('end', answered)
    response.on('error', (error: NodeJS.ErrnoException) => finish({error: failed(`the answer broke off (${networkCause(error)})`)}))
  })
  request.end(message.body)
  return done
}

/**
 * One mail through its SMTP server. nodemailer's timeouts bound each step; the deadline bounds them all,
 * and aborting closes the connection.
 */
async function sendMail(mail: OutgoingMail, options: DeliveryOptions): Promise<Delivery> {
  const failed = (why: string) => deliveryFailed(`could not send mail through ${mail.host}:${mail.port}: ${why}`)
  // Loaded for the first mail only: it costs every command that composes a context some 60 ms and
  // 15 MB otherwise, and most homes send no mail (bench/idle-cost.ts measures serve's memory).
  const {default: nodemailer} = await import('nodemailer')
  const transport = nodemailer.createTransport({
    host: mail.host,
    port: mail.port,
    secure: mail.secure,
    requireTLS: mail.requireStartTls,
    // mailto:// is plain SMTP, as in Apprise: a relay's self-signed certificate must not fail it.
    ignoreTLS: !mail.secure && !mail.requireStartTls,
    auth: mail.user === null ? undefined : {user: mail.user, pass: mail.password ?? ''},
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  })
  const deadline = AbortSignal.timeout(options.timeoutMs)
  // nodemailer reads `signal` (its types do not list it yet).
  const envelope: SendMailOptions & {signal: AbortSignal} = {
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    signal: options.signal ? AbortSignal.any([deadline, options.signal]) : deadline,
  }
  try {
    const {response} = await transport.sendMail(envelope)
    const code = /^\d{3}/.exec(response)?.[0]
    return {status: code === undefined ? null : Number(code), answer: redact(response).slice(0, MAX_ANSWER_BYTES)}
  } catch (error) {
    if (options.signal?.aborted) throw failed('abandoned')
    throw failed(deadline.aborted ? `timed out after ${seconds(options.timeoutMs)}` : smtpCause(error, options.timeoutMs))
  } finally {
    transport.close()
  }
}

/** What the SMTP server said, or why it could not be asked. */
function smtpCause(error: unknown, timeoutMs: number): string {
  const failure = error as NodeJS.ErrnoException & {responseCode?: number; response?: string}
  if (typeof failure.responseCode === 'number') {
    const line = firstLine(redact(failure.response ?? ''))
    return `SMTP ${failure.responseCode}${line ? `: ${line}` : ''}`
  }
  if (failure.code === 'ETIMEDOUT') return `timed out after ${seconds(timeoutMs)}`
  return networkCause(failure)
}

/** A socket's error in words: nodemailer wraps the system's code in its own, so the message is read too. */
function networkCause(error: NodeJS.ErrnoException): string {
  const code = /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EPIPE)\b/.exec(`${error.code ?? ''} ${error.message}`)?.[1]
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused'
    case 'ECONNRESET':
    case 'EPIPE':
      return 'the connection was reset'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable'
    default:
      return clipped(redact(error.message || String(error.code)))
  }
}

function deliveryFailed(message: string): ExternalError {
  return new ExternalError(redact(message), {code: 'notify_failed', hint: HINT})
}

/** The first line, cut short: of text already redacted, so that the cut cannot leave half a secret unmasked. */
function firstLine(text: string): string {
  return clipped(text.trim().split(/\r?\n/, 1)[0]?.trim() ?? '')
}

function seconds(ms: number): string {
  return `${ms / 1000} s`
}
