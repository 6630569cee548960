import {formatDuration} from '../config/duration.js'
import {LOCAL_ENGINE} from '../engine/engine-name.js'
import type {DeploymentRow, RepositoryRow} from '../rows.js'
import {checkRepositoryRow, isCorruptRow, isoTimeOrNull} from './row-checks.js'
import {parseKnownHosts, type KnownHost} from './ssh-keys.js'

/** Which credentials a repository uses, never the secret itself. */
export interface AuthView {
  kind: 'none' | 'ssh_key' | 'token' | 'token_env'
  /** ssh_key: the deploy key's fingerprint. */
  keyFingerprint?: string
  /** token_env: the variable read when kedge runs. */
  tokenEnv?: string
  /** ssh_key: the host keys kedge trusts for the remote. */
  hostKeys?: KnownHost[]
}

/** How a registered repository is shown to people and in `--json`. */
export interface RepositoryView {
  name: string
  url: string
  branch: string
  path: string
  /** The poll interval set for this repository; null means kedge.yaml's, else serve's default. */
  interval: string | null
  /** null when the stored time is not one (kedge.db damaged). */
  createdAt: string | null
  lastDeployment: {commit: string; status: string; trigger: string; startedAt: string | null; finishedAt: string | null} | null
  /** The last error of a round, or the corrupt_row error when the row holds what kedge never writes. */
  lastError: string | null
  auth: AuthView
  /** How push webhooks are verified: not taken (none), a secret read from a variable (env), or stored encrypted. */
  webhook: {kind: 'none' | 'env' | 'stored'; variable?: string}
  /** Whether its hooks may run on the host (`--allow-hooks`). */
  allowHooks: boolean
  /** The forge it posts commit statuses to, and the API base when one was given; null posts none. */
  commitStatus: {forge: string; api: string | null} | null
  /** The engine its stacks run on: "local", or a registered engine's name. */
  engine: string
}

export function toRepositoryView(row: RepositoryRow, lastDeployment?: DeploymentRow, engine: string = LOCAL_ENGINE): RepositoryView {
  return {
    name: row.name,
    url: row.url,
    branch: row.branch,
    path: row.path,
    interval: row.intervalMs === null ? null : formatDuration(row.intervalMs),
    createdAt: isoTimeOrNull(row.createdAt),
    lastDeployment: lastDeployment
      ? {
          commit: lastDeployment.commit,
          status: lastDeployment.status,
          trigger: lastDeployment.trigger,
          startedAt: isoTimeOrNull(lastDeployment.startedAt),
          finishedAt: isoTimeOrNull(lastDeployment.finishedAt),
        }
      : null,
    lastError: rowProblem(row) ?? row.lastError,
    auth: authView(row),
    webhook: row.webhookSecretEnv ? {kind: 'env', variable: row.webhookSecretEnv} : {kind: row.webhookSecret ? 'stored' : 'none'},
    allowHooks: row.allowHooks === true,
    commitStatus: row.commitStatus === null ? null : {forge: row.commitStatus, api: row.commitStatusApi},
    engine,
  }
}

/** The corrupt_row error of a row that holds what kedge never writes: a listing shows it rather than fail for every repository. */
function rowProblem(row: RepositoryRow): string | null {
  try {
    checkRepositoryRow(row)
    return null
  } catch (error) {
    if (isCorruptRow(error)) return error.message
    throw error
  }
}

export function authView(row: RepositoryRow): AuthView {
  switch (row.authKind) {
    case 'ssh_key':
      return {kind: 'ssh_key', keyFingerprint: row.authKeyFingerprint ?? undefined, hostKeys: parseKnownHosts(row.knownHosts ?? '')}
    case 'token':
      return {kind: 'token'}
    case 'token_env':
      return {kind: 'token_env', tokenEnv: row.tokenEnv ?? undefined}
    default:
      return {kind: 'none'}
  }
}

/** One short phrase for tables. */
export function describeAuth(auth: AuthView): string {
  switch (auth.kind) {
    case 'ssh_key':
      return 'ssh key'
    case 'token':
      return 'token'
    case 'token_env':
      return `$${auth.tokenEnv}`
    default:
      return '-'
  }
}
