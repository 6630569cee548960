import {fileURLToPath} from 'node:url'

import type {GitAccess} from '../../ports/git.js'
import type {Discovery} from './discovery.js'
import {hostGitSettingThatMatters} from './git-host-config.js'
import {readLocalBranch} from './local-refs.js'
import {askSmartHttp} from './smart-http-refs.js'

export interface DiscoveryOptions {
  timeoutMs: number
  signal?: AbortSignal
  access?: GitAccess
}

/**
 * Variables git honours for smart HTTP and kedge's own request would not: a proxy, or (for https) the
 * certificates to trust. kedge passes them on to git, so with any of them set git is asked.
 */
const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy']
const TLS_TRUST_VARIABLES = ['GIT_SSL_CAINFO', 'GIT_SSL_CAPATH']

/**
 * The branch head of a smart HTTP(S) remote or a repository on this host, found in-process: a poll then
 * costs an HTTP request or a few file reads instead of a `git ls-remote` process (and, for a local
 * remote, its git-upload-pack): bench/idle-cost.ts measures the CPU a poll costs (docs/performance.md). Whenever that answer might differ from git's, it is not given and the
 * caller asks git: ssh and git:// remotes, the host's git config rewriting URLs or setting http.* (see
 * hostGitSettingThatMatters), proxies and CA variables, a remote that refuses, redirects or answers
 * anything but plain protocol v0, a repository in anything but the plain layout.
 */
export async function discoverBranchHead(url: string, branch: string, options: DiscoveryOptions): Promise<Discovery> {
  const remote = classify(url)
  if ('why' in remote) return {known: false, why: remote.why}
  const setting = hostGitSettingThatMatters()
  if (setting) return {known: false, why: setting}
  if ('path' in remote) return readLocalBranch(remote.path, branch)

  const variables = remote.http.protocol === 'https:' ? [...PROXY_VARIABLES, ...TLS_TRUST_VARIABLES] : PROXY_VARIABLES
  const variable = variables.find((name) => process.env[name])
  if (variable) return {known: false, why: `${variable} is set`}
  return askSmartHttp(remote.http, branch, {timeoutMs: options.timeoutMs, signal: options.signal, authorization: options.access?.httpAuthorization})
}

function classify(url: string): {http: URL} | {path: string} | {why: string} {
  if (url.startsWith('/')) return {path: url}
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return {why: 'not a URL kedge reads itself (scp-style ssh)'}
  }
  if (parsed.protocol === 'file:') {
    try {
      return {path: fileURLToPath(parsed)}
    } catch {
      return {why: 'a file:// URL node does not read as a path'}
    }
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return {why: `${parsed.protocol}// remotes are asked through git`}
  // Git appends info/refs after a query as it is; kedge leaves such URLs to it.
  if (parsed.search || parsed.hash) return {why: 'the URL has a query or fragment'}
  return {http: parsed}
}
