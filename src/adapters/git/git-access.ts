import {readFileSync} from 'node:fs'

import {ExternalError} from '../../model/errors.js'
import type {GitAccess, GitCredentials} from '../../ports/git.js'
import {registerSecret} from '../../model/secrets/redaction.js'
import {createPrivateDirectory, removePrivateDirectory, writePrivateFile} from '../process/private-directory.js'

/**
 * A remote that stops sending for this long is given up on by git itself (curl's low-speed limit, ssh's
 * keepalives), which ends its helper processes too; killing git from outside would leave an orphaned
 * git-remote-http or ssh holding the connection.
 */
export const STALL_TIMEOUT_SECONDS = 20
/** ssh options that end a connection which stopped answering, or never opened, after the stall timeout. */
export const SSH_STALL_OPTIONS = ['-o', `ConnectTimeout=${STALL_TIMEOUT_SECONDS}`, '-o', 'ServerAliveInterval=10', '-o', `ServerAliveCountMax=${STALL_TIMEOUT_SECONDS / 10}`]

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
  registerSecret(credentials.privateKey)
  const dir = createPrivateDirectory()
  let keyFile: string
  let knownHostsFile: string
  try {
    keyFile = writePrivateFile(dir, 'key', credentials.privateKey.endsWith('\n') ? credentials.privateKey : `${credentials.privateKey}\n`)
    knownHostsFile = writePrivateFile(dir, 'known_hosts', credentials.knownHosts)
  } catch (error) {
    removePrivateDirectory(dir)
    throw error
  }
  // Strict once a host key is known; before that, the first key seen is trusted and recorded (accept-new),
  // and a key that changes later is refused either way. -F /dev/null: no ssh_config may add trusted keys
  // (KnownHostsCommand, VerifyHostKeyDNS) or identities of its own.
  const checking = credentials.knownHosts.trim().length > 0 ? 'yes' : 'accept-new'
  const command = [
    'ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', ...SSH_STALL_OPTIONS, '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-i', quote(keyFile),
    '-o', `UserKnownHostsFile=${quote(knownHostsFile)}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', `StrictHostKeyChecking=${checking}`, '-o', 'HashKnownHosts=no', '-o', 'UpdateHostKeys=no', '-o', 'CheckHostIP=no',
  ].join(' ')
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
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED/.test(ours)) {
    const offered = /(SHA256:[A-Za-z0-9+/=]+)/.exec(ours)?.[1]
    return new ExternalError(`the SSH host key of ${host} changed${offered ? ` (it now offers ${offered})` : ''}: it is not the key kedge trusts for this repository`, {
      code: 'host_key_changed',
      hint: deployKey
        ? 'if the server\'s key really changed, remove the repository and add it again with --known-hosts FILE'
        : 'if the server\'s key really changed, update the known_hosts of the user kedge runs as',
    })
  }
  if (/Host key verification failed|No \S+ host key is known/.test(ours)) {
    return new ExternalError(`the SSH host key of ${host} is not one kedge trusts for this repository`, {
      code: 'host_key_unknown',
      hint: deployKey
        ? 'remove the repository and add it again with the server\'s host key in --known-hosts FILE (ssh-keyscan prints it)'
        : 'add the server\'s host key to the known_hosts of the user kedge runs as, or use --ssh-key with --known-hosts',
    })
  }
  if (deployKey && /Load key .*: (invalid format|error in libcrypto)/.test(ours)) {
    return new ExternalError(`ssh cannot read the deploy key ${deployKey.keyFingerprint}`, {
      code: 'invalid_ssh_key',
      hint: 'remove the repository and add it again with the key',
    })
  }
  if (/Permission denied \([^)]*publickey/.test(ours)) {
    return new ExternalError(`the SSH server ${host} refused ${deployKey ? `the deploy key ${deployKey.keyFingerprint}` : 'the SSH keys of this host'}`, {
      code: 'auth_failed',
      hint: deployKey
        ? 'add the key\'s public half to the repository as a deploy key, or pass the right one with --ssh-key'
        : 'pass a deploy key with --ssh-key',
    })
  }
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
