import type {AccessRole} from './access/access-token.js'
import type {AuthKind, DeploymentStatus, DeploymentTrigger, Forge, StackHold} from './repository/column-values.js'

/** A registered repository as the store keeps it (src/store/schema.ts checks that its table has exactly these columns). */
export interface RepositoryRow {
  id: number
  name: string
  url: string
  branch: string
  /** Sub-directory of the repository that holds kedge.yaml and the compose files; '' is the root. */
  path: string
  /** Poll interval set with `repo add --interval`; null defers to kedge.yaml, then to `serve --interval`. */
  intervalMs: number | null
  createdAt: Date
  /** Last branch head seen on the remote, and when it was asked. */
  remoteHead: string | null
  remoteCheckedAt: Date | null
  /** The last error of the repository itself (the remote did not answer, the fetch failed), for `status`. */
  lastError: string | null
  lastErrorAt: Date | null
  authKind: AuthKind | null
  /** The deploy key (ssh_key) or the token (token), sealed with the home's secret key: never plain text. */
  authSecret: string | null
  /** For token_env: the environment variable that holds the token when kedge runs; the token is never stored. */
  tokenEnv: string | null
  /** For ssh_key: the deploy key's fingerprint, which tells which public key the server must accept. */
  authKeyFingerprint: string | null
  /** The SSH host keys kedge trusts for this remote (known_hosts format): given at add, or learned on first use. */
  knownHosts: string | null
  /** The secret push webhooks are signed with: the variable that holds it, or the secret sealed. */
  webhookSecretEnv: string | null
  webhookSecret: string | null
  /** Host-local variables for Compose's interpolation (`repo set --env-file`), sealed with the home's secret key. */
  localEnv: string | null
  /** The age identities its SOPS files are decrypted with (`repo set --age-key-stdin`), sealed with the home's secret key. */
  ageKey: string | null
  /** Whether the repository's hooks (kedge.yaml `hooks:`) may run on the host: set by the operator, never by the repository. */
  allowHooks: boolean
  /** The forge kedge posts commit statuses to (`repo add --commit-status`); null posts none. */
  commitStatus: Forge | null
  /** The forge's API base, when it is not the one the remote's URL implies. */
  commitStatusApi: string | null
  /** The engine its stacks run on (`repo add --engine`); null is the local engine. Set by the operator, never by a commit. */
  engineId: number | null
}

/** What a new registration must give; the rest has defaults or starts empty. */
export type NewRepositoryRow = Pick<RepositoryRow, 'name' | 'url' | 'branch' | 'createdAt'> & Partial<Omit<RepositoryRow, 'id' | 'name' | 'url' | 'branch' | 'createdAt'>>

/** One stack of a registered repository (a directory with a compose file), with the state kedge keeps for it. */
export interface StackRow {
  id: number
  repositoryId: number
  /** Unique within the repository: its directory's name, or the name kedge.yaml gives it; a root stack takes the repository's. */
  name: string
  /** The stack's directory, relative to the repository root; '' is the root. */
  path: string
  createdAt: Date
  /** Set by `kedge down` or `kedge suspend`: kedge neither deploys nor heals the stack until `up` or `resume`. */
  hold: StackHold | null
  heldAt: Date | null
  /** The last error of a deploy, a plan or a check of this stack, for `status`. */
  lastError: string | null
  lastErrorAt: Date | null
  /** Set by a rollback: the commit kept deployed instead of the branch head. */
  pinnedCommit: string | null
  pinReason: string | null
  /** The branch head when the pin was set: a head other than this one is a new commit, which unpins. */
  pinnedAtHead: string | null
  /** A branch head found to change nothing the stack reads: the stack counts as running it, without a deploy. */
  unchangedHead: string | null
  /** In notify and manual modes: a branch head seen but not applied, and what applying it would change. */
  pendingCommit: string | null
  pendingChanges: string | null
  /** In notify and manual modes: the new images the registry has for the stack's tags (JSON, see PendingImage[]), and when they were last asked for. */
  pendingImages: string | null
  imagesCheckedAt: Date | null
  /** The drift found by the last check (JSON), and when it was checked. */
  drift: string | null
  driftCheckedAt: Date | null
  /** The engine this stack runs on, over its repository's (`repo set NAME/STACK --engine`); null follows the repository. */
  engineId: number | null
}

/** What a new stack must give; its state starts empty. */
export type NewStackRow = Pick<StackRow, 'repositoryId' | 'name' | 'path' | 'createdAt'>

/** What a deploy, a heal or a rollback acts on: one stack, with the repository it belongs to. */
export interface StackTarget {
  repository: RepositoryRow
  stack: StackRow
}

/** One attempt to deploy, roll back or heal a stack. */
export interface DeploymentRow {
  id: number
  repositoryId: number
  stackId: number
  commit: string
  trigger: DeploymentTrigger
  status: DeploymentStatus
  startedAt: Date
  finishedAt: Date | null
  error: string | null
  /** JSON of what was applied (compose files, kedge.yaml), enough to restore it without the remote. */
  snapshot: string | null
  /** For a rollback: the commit it replaced. */
  replacedCommit: string | null
  /** Free-form detail, e.g. why a rollback was automatic. */
  note: string | null
  /** The Compose project it applied. */
  project: string | null
  /** Failed because kedge stopped or crashed mid-way, not because of the commit: worth retrying. */
  interrupted: boolean
  /** A failed deploy left as it failed because rollback_on_failure is off: drift healing holds until the next deploy. */
  leftFailed: boolean
  /** Why it happened (JSON, see DeployReason): the trigger's source, the files the stack reads that changed, the services recreated, the drift healed. */
  reason: string | null
  /** What the repository's hooks did (JSON, see HookRun[]): each hook's exit, or why it was skipped, and its output, redacted. */
  hooks: string | null
  /** What building the stack's images printed (its last 64 KiB, redacted), kept when a build failed. */
  buildOutput: string | null
  /** The engine it ran on; null is the local engine. */
  engineId: number | null
}

/** An advisory lock's holder: a process (host, pid and start time), so that a crashed holder's lock is free. */
export interface LockRow {
  name: string
  host: string
  pid: number
  processStart: string
  purpose: string
  acquiredAt: Date
}

/** Where kedge sends notifications (see src/model/notify). */
export interface NotificationChannelRow {
  id: number
  /** The URL sealed with the home's secret key: never plain text. */
  url: string
  /** The URL with its secrets masked, for `notify list` and the log. */
  display: string
  /** The events it is sent (JSON array of names); null is every event. */
  events: string | null
  /** Only this repository's events; null is every repository's. */
  repositoryId: number | null
  createdAt: Date
}

/** A named access token (`kedge token create`): never the token itself, only its hash (see src/model/access). */
export interface AccessTokenRow {
  id: number
  /** Unique; a repository name's rule. */
  name: string
  role: AccessRole
  /** The token's SHA-256 in hex: what a presented token is looked up by. */
  tokenHash: string
  createdAt: Date
  /** null: it never expires. */
  expiresAt: Date | null
  /** When it was last presented, to the minute (a write per request would be a write per page view). */
  lastUsedAt: Date | null
}

/**
 * A Docker engine other than the local one, registered with `kedge engine add`: reached at `host`
 * (unix://, tcp:// with TLS, ssh://), or through a Docker context. Its TLS material and ssh key are
 * sealed with the home's secret key: never plain text.
 */
export interface EngineRow {
  id: number
  name: string
  /** The endpoint as kedge reaches it (canonical URL); null for a context. */
  host: string | null
  /** A Docker context's name, read from `dockerConfig` (null: the default ~/.docker) each time kedge connects. */
  context: string | null
  dockerConfig: string | null
  /** Sealed JSON {ca, cert, key} (PEM) for tcp:// with TLS. */
  tlsSecret: string | null
  /** What the client certificate says (subject, issuer, expiry): shown, never secret. */
  tlsSummary: string | null
  /** The ssh private key for ssh://, sealed. */
  sshKey: string | null
  sshKeyFingerprint: string | null
  /** The engine host's ssh host keys (known_hosts format): given at add, or learned on first use. */
  knownHosts: string | null
  /** The engine's ID (or its Swarm cluster's), learned on first contact: another answer later is another engine. */
  identity: string | null
  createdAt: Date
}
