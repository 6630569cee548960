import {readFileSync} from 'node:fs'

import type {GitCredentials} from '../adapters/git-access.js'
import {derivePublicKey} from '../adapters/ssh-keygen.js'
import {errorMessage, InvalidInputError} from '../errors.js'
import {registerSecret} from '../secrets/redaction.js'
import {seal} from '../secrets/secret-box.js'
import {registerSecretVariable} from '../secrets/secret-environment.js'
import type {NewRepositoryRow} from '../store/schema.js'
import {tokenUser} from './credentials.js'
import type {RemoteUrl} from './repo-url.js'
import {fingerprintOf, requireKnownHosts} from './ssh-keys.js'

/** How `repo add` was told to authenticate. */
export type AuthRequest =
  | {kind: 'ssh_key'; keyFile: string; knownHostsFile?: string}
  | {kind: 'token'; token: string}
  | {kind: 'token_env'; variable: string}

type AuthColumns = Pick<NewRepositoryRow, 'authKind' | 'authSecret' | 'tokenEnv' | 'authKeyFingerprint' | 'knownHosts'>

export interface PreparedAuth {
  /** What git uses while the repository is being added. */
  credentials: GitCredentials | null
  /** The columns to store: the secret sealed, the host keys as given or as learned while adding. */
  columns(home: string, learnedKnownHosts: string | null): AuthColumns
  warnings: string[]
}

const NO_AUTH: PreparedAuth = {credentials: null, columns: () => ({}), warnings: []}
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Checks the credentials against the URL and reads them; nothing is written. */
export async function prepareAuth(request: AuthRequest | undefined, remote: RemoteUrl): Promise<PreparedAuth> {
  if (!request) return NO_AUTH
  if (request.kind === 'ssh_key') return prepareSshKey(request, remote)
  if (remote.kind !== 'https' && remote.kind !== 'http') {
    throw new InvalidInputError(`a token authenticates over https://, and ${remote.url} is not an https:// URL`, {
      code: 'invalid_auth',
      hint: 'use the repository\'s https:// URL, or --ssh-key for an SSH URL',
    })
  }
  const warnings = remote.kind === 'http' ? [`the token travels unencrypted over ${remote.url}; prefer https://`] : []
  const username = tokenUser(remote.url)
  if (request.kind === 'token_env') {
    const token = readTokenVariable(request.variable)
    return {
      credentials: {kind: 'token', token, username, source: `$${request.variable}`},
      columns: () => ({authKind: 'token_env', tokenEnv: request.variable}),
      warnings,
    }
  }
  const token = requireToken(request.token)
  return {
    credentials: {kind: 'token', token, username, source: 'stored token'},
    columns: (home) => ({authKind: 'token', authSecret: seal(home, token)}),
    warnings,
  }
}

async function prepareSshKey(request: Extract<AuthRequest, {kind: 'ssh_key'}>, remote: RemoteUrl): Promise<PreparedAuth> {
  if (remote.kind !== 'ssh' && remote.kind !== 'scp') {
    throw new InvalidInputError(`an SSH key authenticates over SSH, and ${remote.url} is not an SSH URL`, {
      code: 'invalid_auth',
      hint: 'use ssh://git@host/org/repo.git or git@host:org/repo.git, or --token-env for https://',
    })
  }
  const privateKey = readInputFile(request.keyFile, 'the SSH key')
  registerSecret(privateKey)
  const keyFingerprint = fingerprintOf(await derivePublicKey(privateKey, request.keyFile))
  const givenKnownHosts = request.knownHostsFile === undefined ? '' : requireKnownHosts(readInputFile(request.knownHostsFile, 'the known hosts'), request.knownHostsFile)
  return {
    credentials: {kind: 'ssh_key', privateKey, keyFingerprint, knownHosts: givenKnownHosts},
    columns: (home, learned) => ({
      authKind: 'ssh_key',
      authSecret: seal(home, privateKey),
      authKeyFingerprint: keyFingerprint,
      knownHosts: givenKnownHosts || learned || null,
    }),
    warnings: [],
  }
}

function readTokenVariable(variable: string): string {
  if (!VARIABLE_NAME.test(variable)) {
    throw new InvalidInputError(`invalid environment variable name "${variable}"`, {code: 'invalid_auth', hint: 'pass the name of the variable, not its value'})
  }
  registerSecretVariable(variable)
  const token = process.env[variable]?.trim()
  if (!token) {
    throw new InvalidInputError(`environment variable ${variable} is not set`, {
      code: 'token_missing',
      hint: `export ${variable} before adding the repository, and in the environment kedge serve runs in`,
    })
  }
  return token
}

function requireToken(input: string): string {
  const token = input.trim()
  registerSecret(token)
  if (token.length === 0) {
    throw new InvalidInputError('no token was given on standard input', {code: 'token_missing', hint: 'pipe it in: printf %s "$TOKEN" | kedge repo add URL --token-stdin'})
  }
  if (/[\s\u0000-\u001f\u007f]/.test(token)) {
    throw new InvalidInputError('the token on standard input contains white space or control characters', {
      code: 'invalid_auth',
      hint: 'pass exactly one token, on one line',
    })
  }
  return token
}

function readInputFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    throw new InvalidInputError(`cannot read ${what} ${file}: ${errorMessage(error).replace(/^\w+: /, '')}`, {code: 'invalid_auth'})
  }
}
