import http from 'node:http'
import https from 'node:https'

import {errorMessage, ExternalError} from '../../model/errors.js'
import {exchangeOnce} from '../net/exchange-once.js'
import type {Discovery} from './discovery.js'
import {type AdvertisementAnswer, BranchAdvertisementReader} from './upload-pack-advertisement.js'

const ADVERTISEMENT_TYPE = 'application/x-git-upload-pack-advertisement'
/** More than the refs of any remote whose branch is missing and that kedge would poll; past it, git asks with protocol v2. */
const MAX_ADVERTISEMENT_BYTES = 8 * 1024 * 1024

export interface SmartHttpOptions {
  /** The whole exchange, connecting included. */
  timeoutMs: number
  signal?: AbortSignal
  /** The Authorization header git would send to this remote's origin. */
  authorization?: string | null
}

/**
 * Asks a smart HTTP remote for its refs with one `GET <url>/info/refs?service=git-upload-pack`, as git
 * does before anything else, and reads the branch from the answer (protocol v0: no Git-Protocol header
 * is sent). Redirects are not followed. An answer that is anything but a 200 smart advertisement (a
 * refusal, a redirect, a dumb server), a connection that fails, or an advertisement that is not plain
 * v0 leaves the question to git, whose errors kedge already explains. Only running out of time is an
 * error here: asking git then would double the wait.
 */
export function askSmartHttp(url: URL, branch: string, options: SmartHttpOptions): Promise<Discovery> {
  const target = new URL(url.href)
  target.pathname = `${target.pathname.replace(/\/?$/, '/')}info/refs`
  target.search = '?service=git-upload-pack'
  const client = target.protocol === 'https:' ? https : http
  const headers: Record<string, string> = {'User-Agent': 'git/kedge', Accept: '*/*', Pragma: 'no-cache'}
  if (options.authorization) headers.Authorization = options.authorization

  const abandoned = () => new ExternalError(`could not reach ${url.href}: abandoned`, {code: 'git_failed', hint: 'kedge stopped waiting for the remote: the work it was part of was abandoned'})
  if (options.signal?.aborted) return Promise.reject(abandoned())
  let request: http.ClientRequest
  try {
    request = client.request({
      protocol: target.protocol,
      // The URL's user name is not sent: like git, kedge sends credentials only as the token's header.
      hostname: target.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: target.port || undefined,
      path: `${target.pathname}${target.search}`,
      method: 'GET',
      headers,
      // One connection per poll: polls are a minute apart, longer than servers keep an idle one.
      agent: false,
      // Certificates are checked whatever NODE_TLS_REJECT_UNAUTHORIZED says: git checks them.
      rejectUnauthorized: true,
    })
  } catch (error) {
    // Node refuses what git might send (a header value it finds invalid, say): git decides.
    return Promise.resolve({known: false, why: `node cannot make the request (${errorMessage(error)})`})
  }

  const timedOut = () =>
    new ExternalError(`could not reach ${url.href}: timed out after ${options.timeoutMs / 1000}s waiting for its refs`, {
      code: 'git_failed',
      hint: 'check that the remote answers; kedge asks again at the next poll',
    })
  const {done, finish} = exchangeOnce<Discovery>(request, options, {timedOut, abandoned})
  const askGit = (why: string) => finish({value: {known: false, why}})
  request.on('error', (error: NodeJS.ErrnoException) => askGit(`the request failed (${error.code ?? error.message})`))
  request.on('response', (response) => {
    const type = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    const encoding = (response.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
    if (response.statusCode !== 200) return askGit(`HTTP ${response.statusCode}`)
    if (type !== ADVERTISEMENT_TYPE) return askGit(`the content type "${type}" is not a smart HTTP advertisement`)
    if (encoding !== 'identity') return askGit(`the content encoding "${encoding}"`)
    const reader = new BranchAdvertisementReader(branch)
    let received = 0
    const answer = (outcome: AdvertisementAnswer): void => {
      if (outcome.kind === 'head') finish({value: {known: true, head: outcome.commit}})
      else if (outcome.kind === 'no-branch') finish({value: {known: true, head: null}})
      else askGit(outcome.reason)
    }
    response.on('data', (chunk: Buffer) => {
      received += chunk.length
      if (received > MAX_ADVERTISEMENT_BYTES) return askGit(`the advertisement is larger than ${MAX_ADVERTISEMENT_BYTES} bytes`)
      const outcome = reader.push(chunk)
      if (outcome) answer(outcome)
    })
    response.on('end', () => answer(reader.end()))
    response.on('error', (error: NodeJS.ErrnoException) => askGit(`the answer broke off (${error.code ?? error.message})`))
  })
  request.end()
  return done
}
