import {X509Certificate} from 'node:crypto'
import http, {type IncomingMessage} from 'node:http'
import https from 'node:https'
import type {Socket} from 'node:net'
import {createSecureContext, type TLSSocket} from 'node:tls'

import {ExternalError} from '../../model/errors.js'
import {formatDuration} from '../../model/config/duration.js'
import {bodyHeaders, pathWithQuery, requestTransport, type ClosableTransport, type EngineRequest} from './engine-request.js'
import {CONNECT_TIMEOUT_MS} from './engine-timeouts.js'
import {explainTlsFailure, unusableTlsMaterial} from './tls-refusals.js'

/** The engine's CA, and kedge's client certificate and key: PEM text, held in memory only. */
export interface TlsMaterial {
  ca: string
  /** Without them no client certificate is offered (an engine that verifies clients refuses the connection). */
  cert?: string
  key?: string
}

export interface TcpTarget {
  host: string
  port: number
  /** null: plain HTTP, which the caller allows only for an engine on this machine. */
  tls: TlsMaterial | null
  /** How errors name the engine: "the Docker engine web2 (tcp://10.0.0.12:2376)". */
  subject: string
  /** How long a new connection (with its TLS handshake) may take; CONNECT_TIMEOUT_MS unless a test needs it shorter. */
  connectTimeoutMs?: number
}

/**
 * Requests over TCP through one keep-alive agent, so that a TLS handshake is paid once rather than per
 * request (the first request, with its handshake, takes about 13 ms on a LAN; a ping over the kept
 * connection about 0.6 ms). A ping opens a connection of its own (EngineRequest.fresh), as it must to tell
 * an engine that is going away. The agents hold the certificates from memory: kedge's own requests need
 * nothing of them written anywhere.
 */
export function tcpTransport(target: TcpTarget): ClosableTransport {
  const connectTimeoutMs = target.connectTimeoutMs ?? CONNECT_TIMEOUT_MS
  // The second agent serves the requests that must open a connection of their own (EngineRequest.fresh).
  const {kept: agent, fresh: freshAgent} = target.tls ? tlsAgents(target.tls, target.subject) : {kept: new http.Agent({keepAlive: true}), fresh: new http.Agent({keepAlive: false})}
  const send = target.tls ? https.request : http.request
  const inner = requestTransport((request) => openOverTcp(send, request.fresh ? freshAgent : agent, target, connectTimeoutMs, request))
  const named = <T>(work: Promise<T>): Promise<T> => work.catch((error: unknown) => Promise.reject(explainTlsFailure(error, target) ?? error))
  return {
    call: (request) => named(inner.call(request)),
    stream: (request) => named(inner.stream(request)),
    close: () => {
      agent.destroy()
      freshAgent.destroy()
    },
  }
}

/**
 * The agents of one engine's material: one keeping its connections, one opening a new connection for each
 * request. The material is loaded as a connection would load it, so that a bad PEM or a key that is not the
 * certificate's fails here, once, rather than as every request's connection error.
 */
function tlsAgents(tls: TlsMaterial, subject: string): {kept: https.Agent; fresh: https.Agent} {
  try {
    requireCertificates(tls.ca, 'the CA')
    createSecureContext({ca: tls.ca, cert: tls.cert, key: tls.key})
  } catch (error) {
    throw unusableTlsMaterial(error, subject)
  }
  const material = {ca: tls.ca, cert: tls.cert, key: tls.key}
  return {kept: new https.Agent({keepAlive: true, ...material}), fresh: new https.Agent({keepAlive: false, ...material})}
}

/** Node takes a CA without a single certificate in it and then trusts nothing: refused as what it is. */
function requireCertificates(pem: string, what: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
  if (blocks.length === 0) throw new Error(`${what} holds no PEM certificate`)
  for (const block of blocks) new X509Certificate(block)
}

function openOverTcp(
  send: typeof http.request,
  agent: http.Agent,
  target: TcpTarget,
  connectTimeoutMs: number,
  request: EngineRequest & {signal: AbortSignal},
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const sent = send({host: target.host, port: target.port, agent, path: pathWithQuery(request), method: request.method, headers: bodyHeaders(request), signal: request.signal}, resolve)
    sent.on('error', reject)
    sent.once('socket', (socket) => limitConnect(socket, target, connectTimeoutMs, (error) => sent.destroy(error)))
    sent.end(request.body?.data)
  })
}

/**
 * A host that drops the connection's packets leaves it opening for minutes; a new connection gets a limit
 * of its own, shorter than a ping's, so that such a host fails as unreachable rather than as a wedged engine.
 * A kept-alive connection the agent hands out again is open already.
 */
function limitConnect(socket: Socket, target: TcpTarget, connectTimeoutMs: number, fail: (error: Error) => void): void {
  const tls = target.tls !== null
  const open = tls ? (socket as TLSSocket).authorized === true : !socket.connecting
  if (open) return
  const timer = setTimeout(() => {
    fail(
      new ExternalError(`${target.subject} did not take a connection within ${formatDuration(connectTimeoutMs)}`, {
        code: 'engine_unavailable',
        hint: `check that ${target.host} is up and that nothing between drops connections to port ${target.port}${tls ? ', and that it speaks TLS there' : ''}`,
      }),
    )
  }, connectTimeoutMs)
  const done = () => clearTimeout(timer)
  socket.once(tls ? 'secureConnect' : 'connect', done)
  socket.once('close', done)
}
