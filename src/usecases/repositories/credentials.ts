import type {GitAccess, GitCredentials} from '../../ports/git.js'
import {ExternalError, InvalidInputError} from '../../model/errors.js'
import {isKedgeVariable, registerSecretVariable} from '../../model/secrets/secret-environment.js'
import type {RepositoryRow} from '../../model/rows.js'
import type {KedgeContext} from '../context.js'

/** The user name a token is sent with when the URL names none; GitHub, GitLab and Gitea take any for a token. */
export const DEFAULT_TOKEN_USER = 'x-access-token'

/** The repository's credentials in plain text, for one operation; null when it has none of its own. */
export function repositoryCredentials(context: Pick<KedgeContext, 'secrets'>, repository: RepositoryRow): GitCredentials | null {
  const owner = `repository "${repository.name}"`
  switch (repository.authKind) {
    case 'ssh_key':
      return {
        kind: 'ssh_key',
        privateKey: context.secrets.open(requireSecret(repository), sealBinding(repository.name, 'ssh_key'), owner),
        keyFingerprint: repository.authKeyFingerprint ?? 'unknown',
        knownHosts: repository.knownHosts ?? '',
      }
    case 'token':
      return {
        kind: 'token',
        token: context.secrets.open(requireSecret(repository), sealBinding(repository.name, 'token'), owner),
        username: tokenUser(repository.url),
        source: 'stored token',
      }
    case 'token_env':
      return {kind: 'token', token: requireRuntimeToken(repository), username: tokenUser(repository.url), source: `$${repository.tokenEnv}`}
    default:
      return null
  }
}

/** What a remote operation returned, and the repository's row as it is stored once the operation is over. */
export interface RepositoryAccessResult<T> {
  value: T
  /** `repository` as given, or a copy holding the host keys accepted on first use, which the store now holds too. */
  repository: RepositoryRow
}

/**
 * Runs a remote operation with the repository's credentials. A host key accepted on first use is kept
 * whether or not the operation then succeeds, so every later connection is checked against that key;
 * a later operation in the same round must be given the returned row, which holds it.
 */
export async function withRepositoryAccess<T>(
  context: Pick<KedgeContext, 'git' | 'store' | 'secrets'>,
  repository: RepositoryRow,
  action: (access: GitAccess) => Promise<T>,
): Promise<RepositoryAccessResult<T>> {
  let current = repository
  const value = await context.git.withAccess(repository.url, repositoryCredentials(context, repository), async (access) => {
    try {
      return await action(access)
    } finally {
      const learned = access.knownHosts()
      if (learned && learned.trim().length > 0 && (repository.knownHosts ?? '').trim().length === 0) {
        context.store.updateRepository(repository.id, {knownHosts: learned})
        current = {...repository, knownHosts: learned}
      }
    }
  })
  return {value, repository: current}
}

/** What a repository's sealed credential is bound to: it opens for this repository and this kind only. */
export function sealBinding(repositoryName: string, kind: 'ssh_key' | 'token'): string {
  return `kedge repository credential ${kind} ${repositoryName}`
}

/** The token in a --token-env variable, or null when it is unset or empty. */
export function tokenFromEnvironment(variable: string): string | null {
  registerSecretVariable(variable)
  return process.env[variable]?.trim() || null
}

function requireRuntimeToken(repository: RepositoryRow): string {
  // Registered before kedge refused such names: its own secrets must not be sent to the repository's URL.
  if (isKedgeVariable(repository.tokenEnv ?? '')) {
    throw new InvalidInputError(`repository "${repository.name}" takes its token from ${repository.tokenEnv}, one of kedge's own variables, which cannot hold a repository's token`, {
      code: 'invalid_auth',
      hint: `keep the token in a variable of its own, then run "kedge repo remove ${repository.name}" and add it again with --token-env`,
    })
  }
  return requireSecretFromEnvironment(repository.tokenEnv ?? '', `the token of repository "${repository.name}"`)
}

/** A secret kept in a variable (`what` says whose), which must be set where kedge runs. */
export function requireSecretFromEnvironment(variable: string, what: string): string {
  const secret = tokenFromEnvironment(variable)
  if (secret) return secret
  throw new ExternalError(`environment variable ${variable} is not set, and it holds ${what}`, {
    code: 'token_missing',
    hint: `set ${variable} in the environment kedge runs in`,
  })
}

/** A user name in the URL (https://oauth2@gitlab.example/...) is the one the token goes with. */
export function tokenUser(url: string): string {
  try {
    const username = decodeURIComponent(new URL(url).username)
    return username.length > 0 ? username : DEFAULT_TOKEN_USER
  } catch {
    return DEFAULT_TOKEN_USER
  }
}

function requireSecret(repository: RepositoryRow): string {
  if (repository.authSecret) return repository.authSecret
  throw new ExternalError(`the stored credential of repository "${repository.name}" is missing`, {
    code: 'secret_unreadable',
    hint: 'remove and add the repository again',
  })
}
