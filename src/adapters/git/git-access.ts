import {readFileSync} from 'node:fs'

import {ExternalError} from '../../model/errors.js'
import type {GitAccess, GitCredentials} from '../../ports/git.js'
import {registerSecret} from '../../model/secrets/redaction.js'
import {createPrivateDirectory, removePrivateDirectory} from '../process/private-directory.js'
import {explainSshRefusal, hostKeyChecking, pinnedKeyOptions, SSH_STALL_OPTIONS, STALL_TIMEOUT_SECONDS, writeSshKeyFiles, type SshKeyFiles} from '../process/ssh-options.js'

/** ssh's options and its stall timeout are shared with the engines' ssh tunnel (process/ssh-options.ts). */
export {SSH_STALL_OPTIONS, STALL_TIMEOUT_SECONDS}

const NO_ACCESS: GitAccess = {credentials: null, env: {}, httpAuthorization: null, knownHosts: () => null, close: () => {}}

/**
 * The key reaches ssh as a file only kedge can read, in a private directory that close() removes; a
 * token reaches git as an HTTP header in git's environment, never in a URL, an argument or a config file.
 */
export function openGitAccess(url: string, credentials: GitCredentials | null): GitAccess {
  if (!credentials) return NO_ACCESS
  if (credentials.kind === 'token') return tokenAccess(url, credentials)
  return sshAccess(credentials)
}

function tokenAccess(url: string, credentials: Extract<GitCredentials, {kind: 'token'}>): GitAccess {
  const basic = Buffer.from(`${credentials.username}:${credentials.token}`).toString('base64')
  registerSecret(credentials.token)
  registerSecret(basic)
  const httpAuthorization = `Basic ${basic}`
  const env = {
    GIT_CONFIG_COUNT: '3',
    GIT_CONFIG_KEY_0: `http.${originOf(url)}/.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: ${httpAuthorization}`,
    // An empty helper list: a refused token must not fall back to, or be saved by, the host's helpers.
    GIT_CONFIG_KEY_1: 'credential.helper',
    GIT_CONFIG_VALUE_1: '',
    // Git keeps sending the header to wherever the first request was redirected, another host included.
    GIT_CONFIG_KEY_2: 'http.followRedirects',
    GIT_CONFIG_VALUE_2: 'false',
  }
  return {credentials, env, httpAuthorization, knownHosts: () => null, close: () => {}}
}

function sshAccess(credentials: Extract<GitCredentials, {kind: 'ssh_key'}>): GitAccess {
  const dir = createPrivateDirectory()
  let files: SshKeyFiles
  try {
    files = writeSshKeyFiles(dir, credentials.privateKey, credentials.knownHosts)
  } catch (error) {
    removePrivateDirectory(dir)
    throw error
  }
  const {knownHostsFile} = files
  const command = ['ssh', ...pinnedKeyOptions({keyFile: quote(files.keyFile), knownHostsFile: quote(knownHostsFile)}, hostKeyChecking(credentials.knownHosts))].join(' ')
  return {
    credentials,
    env: {GIT_SSH_COMMAND: command},
    httpAuthorization: null,
    knownHosts: () => {
      try {
        return readFileSync(knownHostsFile, 'utf8')
      } catch {
        return null
      }
    },
    close: () => removePrivateDirectory(dir),
  }
}

export async function withGitAccess<T>(url: string, credentials: GitCredentials | null, action: (access: GitAccess) => Promise<T>): Promise<T> {
  const access = openGitAccess(url, credentials)
  try {
    return await action(access)
  } finally {
    access.close()
  }
}

/** The codes of explainAuthFailure's errors: the remote answered, and refused. */
const REFUSAL_CODES = new Set(['auth_failed', 'auth_required', 'host_key_unknown', 'host_key_changed', 'remote_redirected'])

export function isCredentialRefusal(error: unknown): boolean {
  return error instanceof ExternalError && REFUSAL_CODES.has(error.code)
}

/**
 * Names what went wrong when git's output shows the remote refused kedge's credentials or host key,
 * as one line; null for any other failure. Lines the server sent ("remote: ...") are not read: a
 * server must not be able to pick kedge's diagnosis.
 */
export function explainAuthFailure(output: string, url: string, access: GitAccess | undefined): ExternalError | null {
  const ours = output
    .split('\n')
    .filter((line) => !/^\s*remote:/.test(line))
    .join('\n')
  const credentials = access?.credentials ?? null
  const deployKey = credentials?.kind === 'ssh_key' ? credentials : null
  const host = hostOf(url)
  const sshRefusal = explainSshRefusal(ours, {
    host,
    trustedFor: 'this repository',
    offeredKey: deployKey ? `the deploy key ${deployKey.keyFingerprint}` : null,
    hints: deployKey
      ? {
          hostKeyChanged: "if the server's key really changed, remove the repository and add it again with --known-hosts FILE",
          hostKeyUnknown: "remove the repository and add it again with the server's host key in --known-hosts FILE (ssh-keyscan prints it)",
          keyUnreadable: 'remove the repository and add it again with the key',
          keyRefused: "add the key's public half to the repository as a deploy key, or pass the right one with --ssh-key",
        }
      : {
          hostKeyChanged: "if the server's key really changed, update the known_hosts of the user kedge runs as",
          hostKeyUnknown: "add the server's host key to the known_hosts of the user kedge runs as, or use --ssh-key with --known-hosts",
          keyUnreadable: 'remove the repository and add it again with the key',
          keyRefused: 'pass a deploy key with --ssh-key',
        },
  })
  if (sshRefusal) return sshRefusal
  if (credentials?.kind === 'token' && /returned error: 30[1278]\b/.test(ours)) {
    return new ExternalError(`${host} redirects the repository elsewhere, and kedge does not send the token to another address`, {
      code: 'remote_redirected',
      hint: 'register the repository under the URL it redirects to',
    })
  }
  if (/Authentication failed|could not read (Username|Password)|terminal prompts disabled|returned error: 40[13]\b|HTTP 40[13]\b/.test(ours)) {
    if (credentials?.kind === 'token') {
      return new ExternalError(`${host} refused the token (${credentials.source}): it is wrong, expired or revoked, or lacks read access`, {
        code: 'auth_failed',
        hint: credentials.source.startsWith('$') ? `put a valid token in ${credentials.source}` : 'remove the repository and add it again with a valid token',
      })
    }
    return new ExternalError(`${host} asks for credentials`, {
      code: 'auth_required',
      hint: 'pass a token with --token-env VAR or --token-stdin',
    })
  }
  return null
}

function originOf(url: string): string {
  const parsed = new URL(url)
  return `${parsed.protocol}//${parsed.host}`
}

function hostOf(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.host) return parsed.host
  } catch {
    // scp-style git@host:path
  }
  return /^(?:[^@/]+@)?([^:/]+):/.exec(url)?.[1] ?? url
}

/** For GIT_SSH_COMMAND, which git runs through a shell: kedge's own temp paths, quoted all the same. */
function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`
}
