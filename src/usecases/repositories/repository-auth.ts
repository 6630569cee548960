import {readFileSync} from 'node:fs'

import type {GitCredentials} from '../../ports/git.js'
import {errorMessage, InvalidInputError} from '../../model/errors.js'
import {registerSecret} from '../../model/secrets/redaction.js'
import {isKedgeVariable} from '../../model/secrets/secret-environment.js'
import {looksLikeToken} from '../../model/secrets/token-shape.js'
import type {NewRepositoryRow} from '../../model/rows.js'
import type {KedgeContext} from '../context.js'
import {sealBinding, tokenFromEnvironment, tokenUser} from './credentials.js'
import type {RemoteUrl} from '../../model/repository/repo-url.js'
import {fingerprintOf, requireKnownHosts} from '../../model/repository/ssh-keys.js'

/** A file to read (the CLI's flags), or the content itself (the API's body). */
export type InputText = {file: string} | {content: string; name: string}

/** How `repo add` was told to authenticate. */
export type AuthRequest =
  | {kind: 'ssh_key'; key: InputText; knownHosts?: InputText}
  | {kind: 'token'; token: string}
  | {kind: 'token_env'; variable: string}

type AuthColumns = Pick<NewRepositoryRow, 'authKind' | 'authSecret' | 'tokenEnv' | 'authKeyFingerprint' | 'knownHosts'>

export interface PreparedAuth {
  /** What git uses while the repository is being added. */
  credentials: GitCredentials | null
  /** The columns to store: the secret sealed, the host keys as given or as learned while adding. */
  columns(repositoryName: string, learnedKnownHosts: string | null): AuthColumns
  warnings: string[]
}

const NO_AUTH: PreparedAuth = {credentials: null, columns: () => ({}), warnings: []}
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/** Variables that configure the host and its tools: kedge would mask their values and hide them from Compose. */
const HOST_VARIABLES =
  /^(PATH|HOME|USER|LOGNAME|SHELL|PWD|TERM|TMPDIR|LANG|TZ|HOSTNAME|LC_\w+|XDG_\w+|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|DOCKER_(HOST|CONFIG|CONTEXT|CERT_PATH|TLS_VERIFY)|SSH_AUTH_SOCK)$/

/** Checks the credentials against the URL and reads them; nothing is written. */
export async function prepareAuth(context: Pick<KedgeContext, 'git' | 'secrets'>, request: AuthRequest | undefined, remote: RemoteUrl): Promise<PreparedAuth> {
  if (!request) return NO_AUTH
  if (request.kind === 'ssh_key') return prepareSshKey(context, request, remote)
  if (remote.kind !== 'https' && remote.kind !== 'http') {
    throw new InvalidInputError(`a token authenticates over https://, and ${remote.url} is not an https:// URL`, {
      code: 'invalid_auth',
      hint: 'use the repository\'s https:// URL, or --ssh-key for an SSH URL',
    })
  }
  const warnings = remote.kind === 'http' ? [`the token travels unencrypted over ${remote.url}; prefer https://`] : []
  const username = tokenUser(remote.url)
  if (request.kind === 'token_env') {
    const token = readSecretVariable(request.variable, '--token-env', {refuseKedgeVariables: true})
    return {
      credentials: {kind: 'token', token, username, source: `$${request.variable}`},
      columns: () => ({authKind: 'token_env', tokenEnv: request.variable}),
      warnings,
    }
  }
  const token = requireSecretInput(request.token, 'token', '--token-stdin')
  return {
    credentials: {kind: 'token', token, username, source: 'stored token'},
    columns: (repositoryName) => ({authKind: 'token', authSecret: context.secrets.seal(token, sealBinding(repositoryName, 'token'))}),
    warnings,
  }
}

async function prepareSshKey({git, secrets}: Pick<KedgeContext, 'git' | 'secrets'>, request: Extract<AuthRequest, {kind: 'ssh_key'}>, remote: RemoteUrl): Promise<PreparedAuth> {
  if (remote.kind !== 'ssh' && remote.kind !== 'scp') {
    throw new InvalidInputError(`an SSH key authenticates over SSH, and ${remote.url} is not an SSH URL`, {
      code: 'invalid_auth',
      hint: 'use ssh://git@host/org/repo.git or git@host:org/repo.git, or --token-env for https://',
    })
  }
  const privateKey = readInput(request.key, 'the SSH key')
  const keyFingerprint = fingerprintOf(await git.derivePublicKey(privateKey, inputName(request.key)))
  // Only once it is known to be a key: the lines of a file passed by mistake would mask ordinary text.
  registerSecret(privateKey)
  const givenKnownHosts = request.knownHosts === undefined ? '' : requireKnownHosts(readInput(request.knownHosts, 'the known hosts'), inputName(request.knownHosts))
  return {
    credentials: {kind: 'ssh_key', privateKey, keyFingerprint, knownHosts: givenKnownHosts},
    columns: (repositoryName, learned) => ({
      authKind: 'ssh_key',
      authSecret: secrets.seal(privateKey, sealBinding(repositoryName, 'ssh_key')),
      authKeyFingerprint: keyFingerprint,
      knownHosts: givenKnownHosts || learned || null,
    }),
    warnings: [],
  }
}

/** A secret taken from an environment variable (`flag` names the option, for errors): the variable must be one of its own, and set. */
export function readSecretVariable(variable: string, flag: string, options: {refuseKedgeVariables?: boolean} = {}): string {
  if (looksLikeToken(variable)) {
    registerSecret(variable)
    throw new InvalidInputError(`${flag} takes the name of the variable that holds the secret, and this looks like the secret itself`, {
      code: 'invalid_auth',
      hint: `export A_VARIABLE=<secret>, then pass ${flag} A_VARIABLE`,
    })
  }
  if (!VARIABLE_NAME.test(variable)) {
    throw new InvalidInputError(`${flag} takes an environment variable name: letters, digits and _, not starting with a digit`, {
      code: 'invalid_auth',
      hint: 'pass the name of the variable, not its value',
    })
  }
  if (HOST_VARIABLES.test(variable)) {
    throw new InvalidInputError(`${variable} configures the host, it cannot hold a repository's secret`, {
      code: 'invalid_auth',
      hint: 'keep the secret in a variable of its own, e.g. GITHUB_TOKEN',
    })
  }
  if (options.refuseKedgeVariables) requireNotKedgeVariable(variable, flag)
  const value = tokenFromEnvironment(variable)
  if (!value) {
    throw new InvalidInputError(`environment variable ${variable} is not set`, {
      code: 'token_missing',
      hint: `export ${variable} before adding the repository, and in the environment kedge serve runs in`,
    })
  }
  return value
}

function requireNotKedgeVariable(variable: string, flag: string): void {
  if (!isKedgeVariable(variable)) return
  throw new InvalidInputError(`${flag} ${variable} names one of kedge's own variables, which cannot hold a repository's token`, {
    code: 'invalid_auth',
    hint: 'keep the token in a variable of its own, e.g. GITHUB_TOKEN',
  })
}

/** A secret given on standard input: one line, nothing else. */
export function requireSecretInput(input: string, what: string, flag: string): string {
  const secret = input.trim()
  registerSecret(secret)
  if (secret.length === 0) {
    throw new InvalidInputError(`no ${what} was given on standard input`, {code: 'token_missing', hint: `pipe it in: printf %s "$SECRET" | kedge repo add URL ${flag}`})
  }
  if (/[\s\u0000-\u001f\u007f]/.test(secret)) {
    throw new InvalidInputError(`the ${what} on standard input contains white space or control characters`, {
      code: 'invalid_auth',
      hint: `pass exactly one ${what}, on one line`,
    })
  }
  return secret
}

export function readInput(input: InputText, what: string): string {
  if ('content' in input) return input.content
  try {
    return readFileSync(input.file, 'utf8')
  } catch (error) {
    throw new InvalidInputError(`cannot read ${what} ${input.file}: ${errorMessage(error).replace(/^\w+: /, '')}`, {code: 'invalid_auth'})
  }
}

export function inputName(input: InputText): string {
  return 'file' in input ? input.file : input.name
}
