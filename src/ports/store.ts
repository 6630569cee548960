import type {KedgeError} from '../model/errors.js'
import type {DeploymentStatus, DeploymentTrigger} from '../model/repository/column-values.js'
import type {AccessTokenRow, DeploymentRow, EngineRow, LockRow, NewRepositoryRow, NewStackRow, NotificationChannelRow, RepositoryRow, StackRow} from '../model/rows.js'

export type RepositoryChanges = Partial<Omit<RepositoryRow, 'id' | 'name'>>
export type StackChanges = Partial<Omit<StackRow, 'id' | 'repositoryId'>>

/** How an attempt ended, as its row records it (a type, not an interface: the store redacts it field by field). */
export type DeploymentOutcome = {
  status: Exclude<DeploymentStatus, 'pending'>
  error?: string | null
  note?: string | null
  replacedCommit?: string | null
  snapshot?: string | null
  project?: string | null
  interrupted?: boolean
  /** Set on a failed deploy left as it failed (rollback_on_failure off): drift healing must not roll it back either. */
  leftFailed?: boolean
  /** Why it happened (JSON, see DeployReason). */
  reason?: string | null
  /** What its hooks did so far (JSON, see HookRecord). */
  hooks?: string | null
  /** What building the stack's images printed, for a failed build (redacted by the store). */
  buildOutput?: string | null
}

export interface DeploymentCount {
  repo: string
  stack: string
  status: DeploymentStatus
  total: number
}

export type LockHolder = Omit<LockRow, 'name'>

/** What the commands that only read need of the store: no writing, so it can be a read-only copy. */
export interface ReadStore {
  findRepository(name: string): RepositoryRow | undefined
  listRepositories(): RepositoryRow[]
  /** The names of the variables that hold secrets (token and webhook variables), to redact their values. */
  secretVariableNames(): string[]
  /** Each repository's name and the variables its secrets are read from, by name: the registry as serve watches it. */
  repositoryRegistry(): Array<{name: string; tokenEnv: string | null; webhookSecretEnv: string | null}>
  /** A repository's stacks, by name. */
  listStacks(repositoryId: number): StackRow[]
  /** Every repository's stacks, by repository id and then name. */
  listAllStacks(): StackRow[]
  /** The newest deployment of each stack, by stack id. */
  latestDeployments(): Map<number, DeploymentRow>
  listDeployments(stackId: number, limit: number): DeploymentRow[]
  /** The newest row that applied (or tried to apply) a commit, or took the stack away: not a hold's row (`down`, `suspend`, `resume`). */
  newestAttempt(stackId: number): DeploymentRow | undefined
  /** The newest deployment that left the stack as its commit wants it. */
  lastGoodDeployment(stackId: number): DeploymentRow | undefined
  /** The last good deployment, else the newest failed one with a snapshot (it may have put containers on the host). */
  lastAppliedDeployment(stackId: number): DeploymentRow | undefined
  /** The last good deployment's id and commit, without the rest of its row (its snapshot): what a quiet round needs of it. */
  lastGoodSummary(stackId: number): {id: number; commit: string} | undefined
  /** Whether one of the repository's deployments is still pending: under way, or left so by a holder of its lock that died. */
  hasPendingDeployment(repositoryId: number): boolean
  /** Where notifications go, oldest first. */
  listNotificationChannels(): NotificationChannelRow[]
  /** The access tokens (their hashes, never the tokens), by name. */
  listAccessTokens(): AccessTokenRow[]
  /** The access token whose token has this hash (hex SHA-256). */
  findAccessTokenByHash(tokenHash: string): AccessTokenRow | undefined
  findAccessTokenById(id: number): AccessTokenRow | undefined
  /** The registered engines (their material sealed), by name. */
  listEngines(): EngineRow[]
  findEngine(name: string): EngineRow | undefined
  findEngineById(id: number): EngineRow | undefined
}

/** kedge's SQLite database, as the use cases see it. */
export interface Store extends ReadStore {
  /** Inserts the row, running `commitGate` inside the same transaction: the row is kept only if it returns. */
  insertRepository(values: NewRepositoryRow, commitGate?: (row: RepositoryRow) => void): RepositoryRow
  updateRepository(id: number, values: RepositoryChanges): void
  /** Records the branch head a poll or fetch found, and when: what every poll writes, so a query of its own. */
  recordRemoteHead(id: number, head: string, checkedAt: Date): void
  /** Records the last error on the repository, for `status`. */
  recordRepositoryError(id: number, error: unknown): void
  deleteRepository(name: string): boolean

  insertStack(values: NewStackRow): StackRow
  updateStack(id: number, values: StackChanges): void
  /** Records the last error on the stack, for `status`. */
  recordStackError(id: number, error: unknown): void
  /** Records what a drift check found (its JSON) and when: what every listing of a stack writes, so a query of its own. */
  recordDriftCheck(id: number, drift: string, checkedAt: Date): void
  /** Deletes the stack with its history. */
  deleteStack(id: number): boolean

  startDeployment(values: {repositoryId: number; stackId: number; commit: string; trigger: DeploymentTrigger; engineId?: number | null}): DeploymentRow
  finishDeployment(id: number, outcome: DeploymentOutcome): DeploymentRow
  /** Records what the hooks that run after the outcome (success, failure) did: the row's `hooks` (JSON), redacted. */
  recordDeploymentHooks(id: number, hooks: string): void
  /** Every deployment that left its commit running, newest first. */
  listGoodDeployments(stackId: number): DeploymentRow[]
  /** The newest attempt at this commit, whatever became of it. */
  lastAttemptAt(stackId: number, commit: string): DeploymentRow | undefined
  /** Marks the repository's `pending` deployments as interrupted; returns how many. */
  markInterrupted(repositoryId: number): number
  /** Attempts with this trigger since `since`, not counting interrupted ones. */
  countDeploymentsSince(stackId: number, trigger: DeploymentTrigger, since: Date): number
  countDeploymentsByStatus(): DeploymentCount[]

  insertNotificationChannel(values: Omit<NotificationChannelRow, 'id'>): NotificationChannelRow
  deleteNotificationChannel(id: number): boolean

  /** The new row; undefined, and nothing written, when a token already has its name. */
  insertAccessToken(values: Omit<AccessTokenRow, 'id'>): AccessTokenRow | undefined
  /** Records when the token was last presented (never moving it back). */
  recordAccessTokenUse(id: number, usedAt: Date): void
  /** The deleted row; undefined when no token has this name. */
  deleteAccessToken(name: string): AccessTokenRow | undefined

  /** The new row; undefined, and nothing written, when an engine already has its name. */
  insertEngine(values: Omit<EngineRow, 'id'>): EngineRow | undefined
  /** Records host keys learned on first use, or the identity learned on first contact. */
  updateEngine(id: number, values: Partial<Pick<EngineRow, 'knownHosts' | 'identity'>>): void
  /** Deletes the engine unless a repository or stack is set to it, or a stack's newest deployment ran on it; says which. */
  deleteEngine(name: string): {deleted: boolean; users: {repositories: string[]; stacks: string[]}}

  /** Takes the lock for `holder` unless a live holder (per `isAlive`) has it, in one transaction. */
  tryTakeLock(name: string, holder: LockHolder, isAlive: (current: LockRow) => boolean): {taken: true} | {taken: false; current: LockRow}
  dropLock(name: string, holder: Pick<LockHolder, 'host' | 'pid' | 'processStart'>): void

  /** The error as a storage fault of the home (full, read-only, not writable), or null when it is not one. */
  storageFault(error: unknown, options?: {anyError?: boolean}): KedgeError | null
  /** Whether the error is already one of storageFault's (home_full, home_read_only, home_not_writable). */
  isStorageFault(error: KedgeError): boolean
}
