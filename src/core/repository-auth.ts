import {readFileSync} from 'node:fs'

import type {GitCredentials} from '../adapters/git-access.js'
import {derivePublicKey} from '../adapters/ssh-keygen.js'
import {errorMessage, InvalidInputError} from '../errors.js'
import {registerSecret} from '../secrets/redaction.js'
import {seal} from '../secrets/secret-box.js'
import {looksLikeToken} from '../secrets/token-shape.js'
import type {NewRepositoryRow} from '../store/schema.js'
import {sealBinding, tokenFromEnvironment, tokenUser} from './credentials.js'
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
  columns(home: string, repositoryName: string, learnedKnownHosts: string | null): AuthColumns
  warnings: string[]
}

const NO_AUTH: PreparedAuth = {credentials: null, columns: () => ({}), warnings: []}
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/** Variables that configure the host and its tools: kedge would mask their values and hide them from Compose. */
const HOST_VARIABLES =
  /^(PATH|HOME|USER|LOGNAME|SHELL|PWD|TERM|TMPDIR|LANG|TZ|HOSTNAME|LC_\w+|XDG_\w+|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|DOCKER_(HOST|CONFIG|CONTEXT|CERT_PATH|TLS_VERIFY)|SSH_AUTH_SOCK)$/

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
    columns: (home, repositoryName) => ({authKind: 'token', authSecret: seal(home, token, sealBinding(repositoryName, 'token'))}),
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
  const keyFingerprint = fingerprintOf(await derivePublicKey(privateKey, request.keyFile))
  // Only once it is known to be a key: the lines of a file passed by mistake would mask ordinary text.
  registerSecret(privateKey)
  const givenKnownHosts = request.knownHostsFile === undefined ? '' : requireKnownHosts(readInputFile(request.knownHostsFile, 'the known hosts'), request.knownHostsFile)
  return {
    credentials: {kind: 'ssh_key', privateKey, keyFingerprint, knownHosts: givenKnownHosts},
    columns: (home, repositoryName, learned) => ({
      authKind: 'ssh_key',
      authSecret: seal(home, privateKey, sealBinding(repositoryName, 'ssh_key')),
      authKeyFingerprint: keyFingerprint,
      knownHosts: givenKnownHosts || learned || null,
    }),
    warnings: [],
  }
}

function readTokenVariable(variable: string): string {
  if (looksLikeToken(variable)) {
    registerSecret(variable)
    throw new InvalidInputError('--token-env takes the name of the variable that holds the token, and this looks like a token', {
      code: 'invalid_auth',
      hint: 'export TOKEN_VARIABLE=<token>, then pass --token-env TOKEN_VARIABLE',
    })
  }
  if (!VARIABLE_NAME.test(variable)) {
    throw new InvalidInputError('--token-env takes an environment variable name: letters, digits and _, not starting with a digit', {
      code: 'invalid_auth',
      hint: 'pass the name of the variable, not its value',
    })
  }
  if (HOST_VARIABLES.test(variable)) {
    throw new InvalidInputError(`${variable} configures the host, it cannot hold a repository's token`, {
      code: 'invalid_auth',
      hint: 'keep the token in a variable of its own, e.g. GITHUB_TOKEN',
    })
  }
  const token = tokenFromEnvironment(variable)
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
