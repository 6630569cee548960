import {sql} from 'drizzle-orm'
import {index, integer, sqliteTable, text, uniqueIndex} from 'drizzle-orm/sqlite-core'

import {ACCESS_ROLES} from '../model/access/access-token.js'
import {AUTH_KINDS, DEPLOYMENT_STATUSES, DEPLOYMENT_TRIGGERS, FORGES, STACK_HOLDS} from '../model/repository/column-values.js'
import type {AccessTokenRow, DeploymentRow, EngineRow, LockRow, NotificationChannelRow, RepositoryRow, StackRow} from '../model/rows.js'

export {AUTH_KINDS, DEPLOYMENT_STATUSES, DEPLOYMENT_TRIGGERS, STACK_HOLDS, type AuthKind, type DeploymentStatus, type DeploymentTrigger, type StackHold} from '../model/repository/column-values.js'

/** Docker engines other than the local one (`kedge engine add`), with their TLS material and ssh key sealed. */
export const engines = sqliteTable('engines', {
  id: integer('id').primaryKey({autoIncrement: true}),
  name: text('name').notNull().unique(),
  /** The endpoint (unix://, tcp://, ssh://); null for a context. */
  host: text('host'),
  context: text('context'),
  dockerConfig: text('docker_config'),
  /** Sealed JSON {ca, cert, key} with the home's secret key. */
  tlsSecret: text('tls_secret'),
  tlsSummary: text('tls_summary'),
  /** The ssh private key, sealed. */
  sshKey: text('ssh_key'),
  sshKeyFingerprint: text('ssh_key_fingerprint'),
  knownHosts: text('known_hosts'),
  /** The engine's ID or its Swarm cluster's, learned on first contact. */
  identity: text('identity'),
  createdAt: integer('created_at', {mode: 'timestamp_ms'}).notNull(),
})

export const repositories = sqliteTable('repositories', {
  id: integer('id').primaryKey({autoIncrement: true}),
  name: text('name').notNull().unique(),
  url: text('url').notNull(),
  branch: text('branch').notNull(),
  /** Sub-directory of the repository that holds kedge.yaml and the compose files; '' is the root. */
  path: text('path').notNull().default(''),
  /** Poll interval set with `repo add --interval`; null defers to kedge.yaml, then to `serve --interval`. */
  intervalMs: integer('interval_ms'),
  createdAt: integer('created_at', {mode: 'timestamp_ms'}).notNull(),
  /** Last branch head seen on the remote, and when it was asked. */
  remoteHead: text('remote_head'),
  remoteCheckedAt: integer('remote_checked_at', {mode: 'timestamp_ms'}),
  /** The last error of the repository itself (the remote did not answer, the fetch failed). */
  lastError: text('last_error'),
  lastErrorAt: integer('last_error_at', {mode: 'timestamp_ms'}),
  authKind: text('auth_kind', {enum: AUTH_KINDS}),
  /** The deploy key (ssh_key) or the token (token), sealed with the home's secret key: never plain text. */
  authSecret: text('auth_secret'),
  /** For token_env: the environment variable that holds the token when kedge runs; the token is never stored. */
  tokenEnv: text('token_env'),
  /** For ssh_key: the deploy key's fingerprint, which tells which public key the server must accept. */
  authKeyFingerprint: text('auth_key_fingerprint'),
  /** The SSH host keys kedge trusts for this remote (known_hosts format): given at add, or learned on first use. */
  knownHosts: text('known_hosts'),
  /** The secret push webhooks are signed with: the variable that holds it, or the secret sealed. */
  webhookSecretEnv: text('webhook_secret_env'),
  webhookSecret: text('webhook_secret'),
  /** Host-local variables for Compose's interpolation (`repo set --env-file`), sealed with the home's secret key. */
  localEnv: text('local_env'),
  /** The age identities its SOPS files are decrypted with (`repo set --age-key-stdin`), sealed with the home's secret key. */
  ageKey: text('age_key'),
  /** Whether the repository's hooks (kedge.yaml `hooks:`) may run on the host: set by the operator, never by the repository. */
  allowHooks: integer('allow_hooks', {mode: 'boolean'}).notNull().default(false),
  /** The forge kedge posts commit statuses to (`repo add --commit-status`); null posts none. */
  commitStatus: text('commit_status', {enum: FORGES}),
  /** The forge's API base, when it is not the one the remote's URL implies. */
  commitStatusApi: text('commit_status_api'),
  /** The engine its stacks run on (`repo add --engine`); null is the local engine. */
  engineId: integer('engine_id').references(() => engines.id, {onDelete: 'restrict'}),
})

export const stacks = sqliteTable(
  'stacks',
  {
    id: integer('id').primaryKey({autoIncrement: true}),
    repositoryId: integer('repository_id')
      .notNull()
      .references(() => repositories.id, {onDelete: 'cascade'}),
    name: text('name').notNull(),
    /** The stack's directory, relative to the repository root; '' is the root. */
    path: text('path').notNull().default(''),
    createdAt: integer('created_at', {mode: 'timestamp_ms'}).notNull(),
    /** `down` or `suspended`: kedge neither deploys nor heals the stack; null is active. */
    hold: text('hold', {enum: STACK_HOLDS}),
    heldAt: integer('held_at', {mode: 'timestamp_ms'}),
    lastError: text('last_error'),
    lastErrorAt: integer('last_error_at', {mode: 'timestamp_ms'}),
    /** Set by a rollback: the commit kept deployed instead of the branch head. */
    pinnedCommit: text('pinned_commit'),
    pinReason: text('pin_reason'),
    /** The branch head when the pin was set: a head other than this one is a new commit, which unpins. */
    pinnedAtHead: text('pinned_at_head'),
    /** A branch head found to change nothing the stack reads: the stack counts as running it, without a deploy. */
    unchangedHead: text('unchanged_head'),
    /** In notify and manual modes: a branch head seen but not applied, and what applying it would change. */
    pendingCommit: text('pending_commit'),
    pendingChanges: text('pending_changes'),
    /** In notify and manual modes: the new images the registry has for the stack's tags (JSON, see PendingImage[]), and when they were last asked for. */
    pendingImages: text('pending_images'),
    imagesCheckedAt: integer('images_checked_at', {mode: 'timestamp_ms'}),
    /** The drift found by the last check (JSON), and when it was checked. */
    drift: text('drift'),
    driftCheckedAt: integer('drift_checked_at', {mode: 'timestamp_ms'}),
    /** The engine this stack runs on, over its repository's; null follows the repository. */
    engineId: integer('engine_id').references(() => engines.id, {onDelete: 'restrict'}),
  },
  (table) => [uniqueIndex('stacks_repository_name').on(table.repositoryId, table.name)],
)

export const deployments = sqliteTable(
  'deployments',
  {
    id: integer('id').primaryKey({autoIncrement: true}),
    repositoryId: integer('repository_id')
      .notNull()
      .references(() => repositories.id, {onDelete: 'cascade'}),
    stackId: integer('stack_id')
      .notNull()
      .references(() => stacks.id, {onDelete: 'cascade'}),
    commit: text('commit').notNull(),
    trigger: text('trigger', {enum: DEPLOYMENT_TRIGGERS}).notNull(),
    status: text('status', {enum: DEPLOYMENT_STATUSES}).notNull(),
    startedAt: integer('started_at', {mode: 'timestamp_ms'}).notNull(),
    finishedAt: integer('finished_at', {mode: 'timestamp_ms'}),
    error: text('error'),
    /** JSON of what was applied (compose files, kedge.yaml), enough to restore it without the remote. */
    snapshot: text('snapshot'),
    /** For a rollback: the commit it replaced. */
    replacedCommit: text('replaced_commit'),
    /** Free-form detail, e.g. why a rollback was automatic. */
    note: text('note'),
    /** The Compose project it applied. */
    project: text('project'),
    /** Failed because kedge stopped or crashed mid-way, not because of the commit: worth retrying. */
    interrupted: integer('interrupted', {mode: 'boolean'}).notNull().default(false),
    /** A failed deploy left as it failed because rollback_on_failure is off: drift healing holds until the next deploy. */
    leftFailed: integer('left_failed', {mode: 'boolean'}).notNull().default(false),
    /** Why it happened (JSON, see DeployReason): the trigger's source, the files the stack reads that changed, the services recreated, the drift healed. */
    reason: text('reason'),
    /** What the repository's hooks did (JSON, see HookRun[]): each hook's exit, or why it was skipped, and its output, redacted. */
    hooks: text('hooks'),
    /** What building the stack's images printed (its last 64 KiB, redacted), kept when a build failed. */
    buildOutput: text('build_output'),
    /** The engine it ran on; null is the local engine. */
    engineId: integer('engine_id').references(() => engines.id, {onDelete: 'restrict'}),
  },
  (table) => [index('deployments_repository_started').on(table.repositoryId, sql`${table.id} DESC`), index('deployments_stack_started').on(table.stackId, sql`${table.id} DESC`)],
)

export type {AccessTokenRow, DeploymentRow, EngineRow, LockRow, NewRepositoryRow, NewStackRow, NotificationChannelRow, RepositoryRow, StackRow} from '../model/rows.js'

/**
 * Advisory locks that outlive a crashed holder: a holder is a process (host, pid and start time), and a
 * lock whose holder no longer runs is free.
 */
export const locks = sqliteTable('locks', {
  name: text('name').primaryKey(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  processStart: text('process_start').notNull(),
  purpose: text('purpose').notNull(),
  acquiredAt: integer('acquired_at', {mode: 'timestamp_ms'}).notNull(),
})

/** Where kedge sends notifications: a URL in Apprise's forms, sealed (it carries secrets), and which events of which repository. */
export const notificationChannels = sqliteTable('notification_channels', {
  id: integer('id').primaryKey({autoIncrement: true}),
  /** The URL sealed with the home's secret key: never plain text. */
  url: text('url').notNull(),
  /** The URL with its secrets masked, for `notify list` and the log. */
  display: text('display').notNull(),
  /** The events it is sent (JSON array of names); null is every event. */
  events: text('events'),
  /** Only this repository's events; null is every repository's. */
  repositoryId: integer('repository_id').references(() => repositories.id, {onDelete: 'cascade'}),
  createdAt: integer('created_at', {mode: 'timestamp_ms'}).notNull(),
})

/** Named tokens for serve's dashboard and REST API (`kedge token`): only each token's hash, never the token. */
export const accessTokens = sqliteTable('access_tokens', {
  id: integer('id').primaryKey({autoIncrement: true}),
  name: text('name').notNull().unique(),
  role: text('role', {enum: ACCESS_ROLES}).notNull(),
  /** The token's SHA-256 in hex: what a presented token is looked up by. */
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: integer('created_at', {mode: 'timestamp_ms'}).notNull(),
  /** null: it never expires. */
  expiresAt: integer('expires_at', {mode: 'timestamp_ms'}),
  /** When it was last presented, to the minute. */
  lastUsedAt: integer('last_used_at', {mode: 'timestamp_ms'}),
})

/** The model's row types are these tables' rows exactly: a column added to one but not the other fails the type check here. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const rowTypesMatch: [
  Same<typeof repositories.$inferSelect, RepositoryRow>,
  Same<typeof stacks.$inferSelect, StackRow>,
  Same<typeof deployments.$inferSelect, DeploymentRow>,
  Same<typeof locks.$inferSelect, LockRow>,
  Same<typeof notificationChannels.$inferSelect, NotificationChannelRow>,
  Same<typeof accessTokens.$inferSelect, AccessTokenRow>,
  Same<typeof engines.$inferSelect, EngineRow>,
] = [true, true, true, true, true, true, true]
void rowTypesMatch
