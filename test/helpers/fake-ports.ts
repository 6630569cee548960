import {createHash, createHmac} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {parse as parseYaml, stringify as stringifyYaml} from 'yaml'

import {checkoutFiles} from '../../src/adapters/files/checkout-files.js'
import type {ComposeProject} from '../../src/model/compose/compose-invocation.js'
import {COMPOSE_LABELS, LABELS} from '../../src/model/compose/labels.js'
import {isHoldTrigger} from '../../src/model/repository/column-values.js'
import {ComposeFailedError, ExternalError, InvalidInputError, isKedgeError, type KedgeError} from '../../src/model/errors.js'
import {resolveHome, type KedgeHome} from '../../src/model/home.js'
import type {ContainerMount} from '../../src/model/home-mount.js'
import type {AccessTokenRow, DeploymentRow, EngineRow, LockRow, NewRepositoryRow, NewStackRow, NotificationChannelRow, RepositoryRow, StackRow, StackTarget} from '../../src/model/rows.js'
import type {StackContainer} from '../../src/model/stack/containers.js'
import type {Announcer, KedgeEvent} from '../../src/ports/announcer.js'
import type {Clock} from '../../src/ports/clock.js'
import type {Compose} from '../../src/ports/compose.js'
import {NetworkInUseError, NotSwarmManagerError, type ContainerFile, type Engine, type ImageDetails, type LabelledImage, type StackObject, type StackObjects} from '../../src/ports/engine.js'
import {STACK_NAMESPACE_LABEL, type StackService, type StackTask, type SwarmNode} from '../../src/model/swarm/swarm-services.js'
import type {SwarmStackState} from '../../src/model/swarm/swarm-state.js'
import type {StackCli, StackDeployRunOptions, StackProject} from '../../src/ports/stack-cli.js'
import type {ConnectedEngine, EngineAddress, EngineIdentity, EngineMaterial, Engines} from '../../src/ports/engines.js'
import type {Git, GitAccess} from '../../src/ports/git.js'
import type {HookExit, HookRun, HookRunner} from '../../src/ports/hook-runner.js'
import type {Messenger} from '../../src/ports/messenger.js'
import {NO_PROGRESS} from '../../src/ports/progress.js'
import type {Delivery, OutgoingMessage} from '../../src/model/notify/outgoing-message.js'
import type {ProcessIdentity, Processes} from '../../src/ports/processes.js'
import type {Secrets} from '../../src/ports/secrets.js'
import type {SopsFiles} from '../../src/ports/sops.js'
import type {PrivateFiles} from '../../src/ports/private-files.js'
import type {Registries} from '../../src/ports/registry.js'
import type {DeploymentCount, DeploymentOutcome, RepositoryChanges, StackChanges, Store} from '../../src/ports/store.js'
import type {KedgeContext} from '../../src/usecases/context.js'
import {EMPTY_STACK_STATE} from '../../src/model/stack/stack-row.js'

/*
 * Fakes behind every port of KedgeContext, for unit tests of the use cases' decisions: no Docker, no git
 * process, no SQLite. The files port is the real one (checkoutFiles) over a temp dir, which is simpler
 * than a fake and touches nothing else.
 */

/** A clock that moves only when told to, or when something sleeps on it. */
export class FakeClock implements Clock {
  constructor(private current = Date.parse('2026-01-01T00:00:00Z')) {}
  now(): Date {
    return new Date(this.current)
  }
  advance(ms: number): void {
    this.current += ms
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    this.current += ms
  }
}

const FAULT_CODES = new Set(['home_full', 'home_read_only', 'home_not_writable'])

/**
 * kedge.db in memory, with the semantics of src/store: ids increasing, rows handed out as copies,
 * timestamps from the test's clock (so that the flap guard's window can be driven by it).
 */
export class MemoryStore implements Store {
  readonly repositories = new Map<number, RepositoryRow>()
  readonly stacks = new Map<number, StackRow>()
  readonly deployments: DeploymentRow[] = []
  readonly locks = new Map<string, LockRow>()
  readonly channels: NotificationChannelRow[] = []
  readonly accessTokens: AccessTokenRow[] = []
  readonly engines: EngineRow[] = []
  private nextEngineId = 1
  private nextRepositoryId = 1
  private nextAccessTokenId = 1
  private nextStackId = 1
  private nextDeploymentId = 1

  constructor(private readonly clock: Clock) {}

  findRepository(name: string): RepositoryRow | undefined {
    const row = [...this.repositories.values()].find((repository) => repository.name === name)
    return row && {...row}
  }
  listRepositories(): RepositoryRow[] {
    return [...this.repositories.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((row) => ({...row}))
  }
  repositoryRegistry(): Array<{name: string; tokenEnv: string | null; webhookSecretEnv: string | null}> {
    return this.listRepositories().map(({name, tokenEnv, webhookSecretEnv}) => ({name, tokenEnv, webhookSecretEnv}))
  }
  secretVariableNames(): string[] {
    return [...this.repositories.values()].flatMap((row) => [row.tokenEnv, row.webhookSecretEnv]).filter((name): name is string => !!name)
  }
  listStacks(repositoryId: number): StackRow[] {
    return [...this.stacks.values()]
      .filter((stack) => stack.repositoryId === repositoryId)
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((row) => ({...row}))
  }
  listAllStacks(): StackRow[] {
    return [...this.stacks.values()]
      .sort((a, b) => a.repositoryId - b.repositoryId || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((row) => ({...row}))
  }
  latestDeployments(): Map<number, DeploymentRow> {
    const latest = new Map<number, DeploymentRow>()
    for (const row of this.deployments) latest.set(row.stackId, {...row})
    return latest
  }
  listDeployments(stackId: number, limit: number): DeploymentRow[] {
    return this.newestFirst(stackId).slice(0, limit)
  }
  newestAttempt(stackId: number): DeploymentRow | undefined {
    return this.newestFirst(stackId).find((row) => !isHoldTrigger(row.trigger))
  }
  lastGoodDeployment(stackId: number): DeploymentRow | undefined {
    return this.newestFirst(stackId).find(isGood)
  }
  lastAppliedDeployment(stackId: number): DeploymentRow | undefined {
    return this.lastGoodDeployment(stackId) ?? this.newestFirst(stackId).find((row) => row.status === 'failed' && row.snapshot !== null)
  }
  lastGoodSummary(stackId: number): {id: number; commit: string} | undefined {
    const row = this.lastGoodDeployment(stackId)
    return row && {id: row.id, commit: row.commit}
  }
  hasPendingDeployment(repositoryId: number): boolean {
    return this.deployments.some((row) => row.repositoryId === repositoryId && row.status === 'pending')
  }

  insertRepository(values: NewRepositoryRow, commitGate?: (row: RepositoryRow) => void): RepositoryRow {
    if (this.findRepository(values.name)) throw new Error(`UNIQUE constraint failed: repositories.name (${values.name})`)
    const row: RepositoryRow = {...emptyRepository(), path: '', ...values, id: this.nextRepositoryId}
    // The gate runs inside the insert's transaction: it sees the row, and what it writes goes if it throws.
    const stackIdBefore = this.nextStackId
    this.repositories.set(row.id, row)
    try {
      commitGate?.({...row})
    } catch (error) {
      for (const stack of this.listStacks(row.id)) this.stacks.delete(stack.id)
      this.repositories.delete(row.id)
      this.nextStackId = stackIdBefore
      throw error
    }
    this.nextRepositoryId++
    return {...row}
  }
  updateRepository(id: number, values: RepositoryChanges): void {
    const row = this.repositories.get(id)
    if (row) Object.assign(row, definedOnly(values))
  }
  recordRemoteHead(id: number, head: string, checkedAt: Date): void {
    this.updateRepository(id, {remoteHead: head, remoteCheckedAt: checkedAt})
  }
  recordRepositoryError(id: number, error: unknown): void {
    this.updateRepository(id, {lastError: error instanceof Error ? error.message : String(error), lastErrorAt: this.clock.now()})
  }
  /** Its stacks and deployments go with it (the foreign keys cascade). */
  deleteRepository(name: string): boolean {
    const row = this.findRepository(name)
    if (!row) return false
    for (const stack of this.listStacks(row.id)) this.deleteStack(stack.id)
    this.deployments.splice(0, this.deployments.length, ...this.deployments.filter((deployment) => deployment.repositoryId !== row.id))
    return this.repositories.delete(row.id)
  }

  insertStack(values: NewStackRow): StackRow {
    if (!this.repositories.has(values.repositoryId)) throw new Error(`FOREIGN KEY constraint failed: stacks.repository_id (${values.repositoryId})`)
    if (this.listStacks(values.repositoryId).some((stack) => stack.name === values.name)) {
      throw new Error(`UNIQUE constraint failed: stacks.repository_id, stacks.name (${values.name})`)
    }
    const row: StackRow = {...emptyStack(), ...values, id: this.nextStackId++}
    this.stacks.set(row.id, row)
    return {...row}
  }
  updateStack(id: number, values: StackChanges): void {
    const row = this.stacks.get(id)
    if (row) Object.assign(row, definedOnly(values))
  }
  recordStackError(id: number, error: unknown): void {
    this.updateStack(id, {lastError: error instanceof Error ? error.message : String(error), lastErrorAt: this.clock.now()})
  }
  recordDriftCheck(id: number, drift: string, checkedAt: Date): void {
    this.updateStack(id, {drift, driftCheckedAt: checkedAt})
  }
  /** Its deployments go with it (the foreign key cascades). */
  deleteStack(id: number): boolean {
    this.deployments.splice(0, this.deployments.length, ...this.deployments.filter((deployment) => deployment.stackId !== id))
    return this.stacks.delete(id)
  }

  startDeployment(values: {repositoryId: number; stackId: number; commit: string; trigger: DeploymentRow['trigger']; engineId?: number | null}): DeploymentRow {
    const stack = this.stacks.get(values.stackId)
    if (!stack || stack.repositoryId !== values.repositoryId) {
      throw new Error(`FOREIGN KEY constraint failed: deployments.stack_id (${values.stackId} of repository ${values.repositoryId})`)
    }
    const row: DeploymentRow = {
      id: this.nextDeploymentId++,
      ...values,
      engineId: values.engineId ?? null,
      status: 'pending',
      startedAt: this.clock.now(),
      finishedAt: null,
      error: null,
      snapshot: null,
      replacedCommit: null,
      note: null,
      project: null,
      interrupted: false,
      leftFailed: false,
      reason: null,
      hooks: null,
      buildOutput: null,
    }
    this.deployments.push(row)
    return {...row}
  }
  finishDeployment(id: number, outcome: DeploymentOutcome): DeploymentRow {
    const row = this.deployments.find((candidate) => candidate.id === id)
    if (!row) throw new Error(`no deployment ${id}`)
    Object.assign(row, definedOnly(outcome), {finishedAt: this.clock.now()})
    return {...row}
  }
  recordDeploymentHooks(id: number, hooks: string): void {
    const row = this.deployments.find((candidate) => candidate.id === id)
    if (!row) throw new Error(`no deployment ${id}`)
    row.hooks = hooks
  }
  listNotificationChannels(): NotificationChannelRow[] {
    return this.channels.map((row) => ({...row}))
  }
  insertNotificationChannel(values: Omit<NotificationChannelRow, 'id'>): NotificationChannelRow {
    const row = {...values, id: this.channels.length + 1}
    this.channels.push(row)
    return {...row}
  }
  deleteNotificationChannel(id: number): boolean {
    const index = this.channels.findIndex((row) => row.id === id)
    if (index >= 0) this.channels.splice(index, 1)
    return index >= 0
  }
  listAccessTokens(): AccessTokenRow[] {
    return [...this.accessTokens].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((row) => ({...row}))
  }
  findAccessTokenByHash(tokenHash: string): AccessTokenRow | undefined {
    const row = this.accessTokens.find((candidate) => candidate.tokenHash === tokenHash)
    return row && {...row}
  }
  findAccessTokenById(id: number): AccessTokenRow | undefined {
    const row = this.accessTokens.find((candidate) => candidate.id === id)
    return row && {...row}
  }
  /** A name taken answers undefined and writes nothing, as kedge.db's store does; a hash taken is refused, as its unique index does. */
  insertAccessToken(values: Omit<AccessTokenRow, 'id'>): AccessTokenRow | undefined {
    if (this.accessTokens.some((row) => row.name === values.name)) return undefined
    if (this.accessTokens.some((row) => row.tokenHash === values.tokenHash)) throw new Error('UNIQUE constraint failed: access_tokens.token_hash')
    const row = {...values, id: this.nextAccessTokenId++}
    this.accessTokens.push(row)
    return {...row}
  }
  recordAccessTokenUse(id: number, usedAt: Date): void {
    const row = this.accessTokens.find((candidate) => candidate.id === id)
    if (row && (row.lastUsedAt === null || row.lastUsedAt.getTime() <= usedAt.getTime())) row.lastUsedAt = usedAt
  }
  deleteAccessToken(name: string): AccessTokenRow | undefined {
    const index = this.accessTokens.findIndex((row) => row.name === name)
    return index >= 0 ? this.accessTokens.splice(index, 1)[0] : undefined
  }
  listEngines(): EngineRow[] {
    return [...this.engines].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((row) => ({...row}))
  }
  findEngine(name: string): EngineRow | undefined {
    const row = this.engines.find((candidate) => candidate.name === name)
    return row && {...row}
  }
  findEngineById(id: number): EngineRow | undefined {
    const row = this.engines.find((candidate) => candidate.id === id)
    return row && {...row}
  }
  insertEngine(values: Omit<EngineRow, 'id'>): EngineRow | undefined {
    if (this.engines.some((row) => row.name === values.name)) return undefined
    const row = {...values, id: this.nextEngineId++}
    this.engines.push(row)
    return {...row}
  }
  updateEngine(id: number, values: Partial<Pick<EngineRow, 'knownHosts' | 'identity'>>): void {
    const row = this.engines.find((candidate) => candidate.id === id)
    if (row) Object.assign(row, definedOnly(values))
  }
  deleteEngine(name: string): {deleted: boolean; users: {repositories: string[]; stacks: string[]}} {
    const row = this.engines.find((candidate) => candidate.name === name)
    if (!row) return {deleted: false, users: {repositories: [], stacks: []}}
    const repositories = [...this.repositories.values()].filter((repository) => repository.engineId === row.id).map((repository) => repository.name).sort()
    const stacks = [...this.stacks.values()]
      .filter((stack) => stack.engineId === row.id || this.newestFirst(stack.id)[0]?.engineId === row.id)
      .map((stack) => `${this.repositories.get(stack.repositoryId)!.name}/${stack.name}`)
      .sort()
    if (repositories.length > 0 || stacks.length > 0) return {deleted: false, users: {repositories, stacks}}
    for (const deployment of this.deployments) if (deployment.engineId === row.id) deployment.engineId = null
    this.engines.splice(this.engines.indexOf(row), 1)
    return {deleted: true, users: {repositories, stacks}}
  }
  listGoodDeployments(stackId: number): DeploymentRow[] {
    return this.newestFirst(stackId).filter(isGood)
  }
  lastAttemptAt(stackId: number, commit: string): DeploymentRow | undefined {
    return this.newestFirst(stackId).find((row) => row.commit === commit && !isHoldTrigger(row.trigger))
  }
  markInterrupted(repositoryId: number): number {
    const pending = this.deployments.filter((row) => row.repositoryId === repositoryId && row.status === 'pending')
    for (const row of pending) {
      Object.assign(row, {status: 'failed', interrupted: true, error: 'interrupted: kedge stopped before the deployment finished', finishedAt: this.clock.now()})
    }
    return pending.length
  }
  countDeploymentsSince(stackId: number, trigger: DeploymentRow['trigger'], since: Date): number {
    return this.deployments.filter(
      (row) => row.stackId === stackId && row.trigger === trigger && row.startedAt.getTime() >= since.getTime() && !row.interrupted,
    ).length
  }
  countDeploymentsByStatus(): DeploymentCount[] {
    const counts = new Map<string, DeploymentCount>()
    for (const row of this.deployments) {
      const repo = this.repositories.get(row.repositoryId)?.name
      const stack = this.stacks.get(row.stackId)?.name
      if (repo === undefined || stack === undefined || row.status === 'pending') continue
      const key = `${repo}\0${stack}\0${row.status}`
      const count = counts.get(key) ?? {repo, stack, status: row.status, total: 0}
      count.total++
      counts.set(key, count)
    }
    return [...counts.values()]
  }

  tryTakeLock(name: string, holder: Omit<LockRow, 'name'>, isAlive: (current: LockRow) => boolean): {taken: true} | {taken: false; current: LockRow} {
    const current = this.locks.get(name)
    if (current && isAlive({...current})) return {taken: false, current: {...current}}
    this.locks.set(name, {name, ...holder})
    return {taken: true}
  }
  dropLock(name: string, holder: Pick<LockRow, 'host' | 'pid' | 'processStart'>): void {
    const current = this.locks.get(name)
    if (current && current.host === holder.host && current.pid === holder.pid && current.processStart === holder.processStart) this.locks.delete(name)
  }

  /** Only an error that already is a storage fault is one: the fake has no disk to inspect. */
  storageFault(error: unknown): KedgeError | null {
    return isKedgeError(error) && FAULT_CODES.has(error.code) ? error : null
  }
  isStorageFault(error: KedgeError): boolean {
    return FAULT_CODES.has(error.code)
  }

  /** The stack's deployments, oldest first, as copies: what a test asserts on. */
  history(stackId: number): DeploymentRow[] {
    return this.deployments.filter((row) => row.stackId === stackId).map((row) => ({...row}))
  }

  /** The stack as stored now, a copy: what a test asserts on after a use case has written it. */
  stack(stackId: number): StackRow {
    const row = this.stacks.get(stackId)
    if (!row) throw new Error(`no stack ${stackId}`)
    return {...row}
  }

  /** The stack as stored now, with its repository as stored now: what a use case is handed. */
  target(stackId: number): StackTarget {
    const stack = this.stack(stackId)
    const repository = this.repositories.get(stack.repositoryId)
    if (!repository) throw new Error(`no repository ${stack.repositoryId}`)
    return {repository: {...repository}, stack}
  }

  private newestFirst(stackId: number): DeploymentRow[] {
    return this.deployments
      .filter((row) => row.stackId === stackId)
      .sort((a, b) => b.id - a.id)
      .map((row) => ({...row}))
  }
}

function isGood(row: DeploymentRow): boolean {
  return (row.status === 'success' || row.status === 'rolled_back') && !isHoldTrigger(row.trigger)
}

/** drizzle's `set` leaves a column alone when its value is undefined. */
function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>
}

function emptyRepository(): Omit<RepositoryRow, 'id' | 'name' | 'url' | 'branch' | 'createdAt'> {
  return {
    path: '',
    intervalMs: null,
    remoteHead: null,
    remoteCheckedAt: null,
    lastError: null,
    lastErrorAt: null,
    authKind: null,
    authSecret: null,
    tokenEnv: null,
    authKeyFingerprint: null,
    knownHosts: null,
    webhookSecretEnv: null,
    webhookSecret: null,
    localEnv: null,
    ageKey: null,
    allowHooks: false,
    commitStatus: null,
    commitStatusApi: null,
    engineId: null,
  }
}

function emptyStack(): Omit<StackRow, 'id' | keyof NewStackRow> {
  return {
    ...EMPTY_STACK_STATE,
  }
}

/** A repository registered as `repo add` leaves it: the row and its root stack, named after it. */
export interface RegisteredRepository {
  repository: RepositoryRow
  stack: StackRow
  target: StackTarget
}

/** The stack a repository registered with one compose project has: named after it, at its `--path`. */
export function rootStackValues(repository: Pick<RepositoryRow, 'id' | 'name' | 'path' | 'createdAt'>) {
  return {repositoryId: repository.id, name: repository.name, path: repository.path, createdAt: repository.createdAt}
}

/** Where the repository of the decision tests lives: `app`, branch main (see registerApp). */
export const APP_URL = 'https://git.example/app.git'

/** Registers the repository `app` (APP_URL, branch main) in the world, as `repo add` leaves it: what the decision tests start from. */
export function registerApp(world: Pick<FakeWorld, 'store' | 'clock'>): RegisteredRepository {
  return registerRepository(world.store, {name: 'app', url: APP_URL, branch: 'main', createdAt: world.clock.now()})
}

/** Inserts a repository and its root stack, as add-repository does inside its commit gate. */
export function registerRepository(store: MemoryStore, values: NewRepositoryRow): RegisteredRepository {
  let stack: StackRow | undefined
  const repository = store.insertRepository(values, (row) => {
    stack = store.insertStack(rootStackValues(row))
  })
  return {repository, stack: stack!, target: {repository, stack: stack!}}
}

export type EngineMutation =
  | {action: 'remove' | 'stop-and-remove' | 'restart'; id: string; service: string}
  | {action: 'signal'; id: string; service: string; signal: string}

/** A removal of a swarm object, as FakeEngine records it; `name` is empty for an object it did not have. */
export interface SwarmRemoval {
  kind: 'service' | 'network' | 'config' | 'secret'
  id: string
  name: string
}

/**
 * A Docker engine holding containers in memory, filtered by label as the real engine's queries are.
 * `available = false` makes every call fail with engine_unavailable, as a stopped daemon does.
 */
export class FakeEngine implements Engine {
  containers: StackContainer[] = []
  /** Image references the engine has, and their ids. */
  readonly images = new Map<string, string>()
  /** The labels of each image, by id (those Compose's build gave it). */
  readonly imageLabels = new Map<string, Record<string, string>>()
  /** The digests each image was pulled by (RepoDigests), by id. */
  readonly repoDigests = new Map<string, string[]>()
  /** Every image removal asked for, in order, and whether the engine did it. */
  readonly imageRemovals: Array<{reference: string; removed: boolean}> = []
  available = true
  /** The mounts of the container kedge runs in; null: kedge runs on the host. */
  ownMounts: ContainerMount[] | null = null
  readonly mutations: EngineMutation[] = []
  /** The swarm's services, tasks and nodes, every stack's: swarmState gives a namespace's services and their tasks. */
  swarm: {services: StackService[]; tasks: StackTask[]; nodes: SwarmNode[]} = {services: [], tasks: [], nodes: []}
  /** The stacks' networks, configs and secrets: listStackObjects gives those with a namespace's label. */
  stackObjects: StackObjects = {networks: [], configs: [], secrets: []}
  /** False: the engine is no swarm manager, and every swarm call fails with NotSwarmManagerError. */
  swarmManager = true
  /** Network ids that removeNetwork refuses with NetworkInUseError, as for a service that still uses them. */
  readonly networksInUse = new Set<string>()
  /** Every removal of a swarm object asked for, in order; the object leaves the lists above. */
  readonly swarmRemovals: SwarmRemoval[] = []
  private nextId = 1

  async listKedgeContainers(project: string): Promise<StackContainer[]> {
    this.check()
    return this.copies((container) => container.managedByKedge && container.labels[LABELS.project] === project)
  }
  async listAllKedgeContainers(): Promise<StackContainer[]> {
    this.check()
    return this.copies((container) => container.managedByKedge)
  }
  async listComposeProjectContainers(project: string): Promise<StackContainer[]> {
    this.check()
    return this.copies((container) => container.labels[COMPOSE_LABELS.project] === project)
  }
  async stopAndRemoveContainer(id: string): Promise<void> {
    this.check()
    this.mutations.push({action: 'stop-and-remove', id, service: this.serviceOf(id)})
    this.containers = this.containers.filter((container) => container.id !== id)
  }
  async removeContainer(id: string): Promise<void> {
    this.check()
    this.mutations.push({action: 'remove', id, service: this.serviceOf(id)})
    this.containers = this.containers.filter((container) => container.id !== id)
  }
  async restartContainer(id: string): Promise<void> {
    this.check()
    this.mutations.push({action: 'restart', id, service: this.serviceOf(id)})
  }
  async signalContainer(id: string, signal: string): Promise<void> {
    this.check()
    this.mutations.push({action: 'signal', id, service: this.serviceOf(id), signal})
  }
  async currentImageIds(references: string[]): Promise<Map<string, string>> {
    this.check()
    return new Map(references.filter((reference) => this.images.has(reference)).map((reference) => [reference, this.images.get(reference)!]))
  }
  async imageDetails(references: string[]): Promise<Map<string, ImageDetails>> {
    this.check()
    return new Map(references.filter((reference) => this.images.has(reference)).map((reference) => {
      const id = this.images.get(reference)!
      return [reference, {id, repoDigests: [...(this.repoDigests.get(id) ?? [])]}]
    }))
  }
  async listImagesByLabel(labels: Record<string, string>): Promise<LabelledImage[]> {
    this.check()
    const ids = [...new Set([...this.images.values(), ...this.imageLabels.keys()])]
    return ids
      .filter((id) => Object.entries(labels).every(([key, value]) => this.imageLabels.get(id)?.[key] === value))
      .map((id) => ({id, tags: this.tagsOf(id), labels: {...this.imageLabels.get(id)}, created: new Date(0)}))
  }
  async tagImage(id: string, reference: string): Promise<void> {
    this.check()
    if (![...this.images.values(), ...this.imageLabels.keys()].includes(id)) throw new ExternalError(`the Docker engine refused: (HTTP code 404) no such object - No such image: ${id}`, {code: 'engine_error'})
    this.images.set(reference, id)
  }
  /** The files put in each container, by id, as kedge put them. */
  readonly containerFiles = new Map<string, ContainerFile[]>()
  async putContainerFiles(id: string, files: readonly ContainerFile[]): Promise<void> {
    this.check()
    if (!this.containers.some((container) => container.id === id)) throw new ExternalError(`the Docker engine refused: (HTTP code 404) no such container - ${id}`, {code: 'engine_error'})
    this.containerFiles.set(id, [...(this.containerFiles.get(id) ?? []), ...files.map((file) => ({...file}))])
  }
  /** As the engine does, unforced: another tag of the image, or its id, keeps it; a container of it keeps the last one (false). */
  async removeImage(reference: string): Promise<boolean> {
    this.check()
    const id = this.images.get(reference) ?? ([...this.images.values(), ...this.imageLabels.keys()].includes(reference) ? reference : undefined)
    const done = (removed: boolean) => {
      this.imageRemovals.push({reference, removed})
      return removed
    }
    if (id === undefined) return done(true)
    if (id !== reference && this.tagsOf(id).length > 1) {
      this.images.delete(reference)
      return done(true)
    }
    if (this.containers.some((container) => container.imageId === id || container.image === reference)) return done(false)
    for (const tag of this.tagsOf(id)) this.images.delete(tag)
    this.imageLabels.delete(id)
    this.repoDigests.delete(id)
    return done(true)
  }
  async answers(): Promise<boolean> {
    return this.available
  }
  async ping(): Promise<void> {
    this.check()
  }
  /** Each call made while the engine is not available is one; a test adds restarts the engine came back from (see restarted). */
  losses = 0
  connectionLosses(): number {
    return this.losses
  }
  /**
   * The daemon restarted, within a second: it stopped the stack's running containers (their command
   * exited on its SIGTERM, code 0) and answers again.
   */
  restarted(): void {
    this.losses++
    for (const container of this.containers) {
      if (container.state !== 'running') continue
      container.state = 'exited'
      container.exitCode = 0
      container.status = 'Exited (0) Less than a second ago'
    }
  }
  async ownContainerMounts(): Promise<ContainerMount[] | null> {
    this.check()
    return this.ownMounts
  }
  async watchEvents(): Promise<void> {
    this.check()
  }

  async swarmState(namespace: string): Promise<SwarmStackState> {
    this.checkSwarm()
    const services = this.swarm.services.filter((service) => service.namespace === namespace).map((service) => ({...service, labels: {...service.labels}}))
    const ids = new Set(services.map((service) => service.id))
    return {services, tasks: this.swarm.tasks.filter((task) => ids.has(task.serviceId)).map((task) => ({...task})), nodes: this.swarm.nodes.map((node) => ({...node}))}
  }
  async removeService(id: string): Promise<void> {
    this.checkSwarm()
    // Swarm stops a removed service's tasks by itself; here they are gone at once.
    this.swarmRemovals.push({kind: 'service', id, name: this.swarm.services.find((service) => service.id === id)?.name ?? ''})
    this.swarm.services = this.swarm.services.filter((service) => service.id !== id)
    this.swarm.tasks = this.swarm.tasks.filter((task) => task.serviceId !== id)
  }
  async listStackObjects(namespace: string): Promise<StackObjects> {
    this.checkSwarm()
    const ofStack = (objects: StackObject[]) => objects.filter((object) => object.labels[STACK_NAMESPACE_LABEL] === namespace).map((object) => ({...object, labels: {...object.labels}}))
    return {networks: ofStack(this.stackObjects.networks), configs: ofStack(this.stackObjects.configs), secrets: ofStack(this.stackObjects.secrets)}
  }
  async removeNetwork(id: string): Promise<void> {
    this.checkSwarm()
    if (this.networksInUse.has(id)) throw new NetworkInUseError(id, 'service other_web', `the Docker engine keeps network ${id}: it is still in use by service other_web`)
    this.removeStackObject('network', 'networks', id)
  }
  async removeConfig(id: string): Promise<void> {
    this.checkSwarm()
    this.removeStackObject('config', 'configs', id)
  }
  async removeSecret(id: string): Promise<void> {
    this.checkSwarm()
    this.removeStackObject('secret', 'secrets', id)
  }

  /** A container as Compose creates it: Compose's labels, and kedge's from the override file. */
  create(project: string, service: string, image: string, labels: Record<string, string>, state: Partial<StackContainer> = {}): StackContainer {
    const id = `${String(this.nextId++).padStart(4, '0')}${'c'.repeat(60)}`
    const container: StackContainer = {
      id,
      name: `${project}-${service}-1`,
      service,
      state: 'running',
      status: 'Up 5 seconds',
      image,
      imageId: this.images.get(image) ?? `sha256:${createHash('sha256').update(image).digest('hex')}`,
      health: null,
      exitCode: null,
      labels: {...labels, [COMPOSE_LABELS.project]: project, [COMPOSE_LABELS.service]: service},
      managedByKedge: labels[LABELS.managed] === 'true',
      ...state,
    }
    this.containers.push(container)
    return container
  }

  /** The services running in a project, with the commit kedge's label says each runs. */
  running(project: string): Record<string, string> {
    return Object.fromEntries(
      this.containers
        .filter((container) => container.labels[COMPOSE_LABELS.project] === project && container.state === 'running')
        .map((container) => [container.service, container.labels[LABELS.commit] ?? '']),
    )
  }

  private check(): void {
    if (this.available) return
    this.losses++
    throw new ExternalError('the Docker engine does not answer', {code: 'engine_unavailable'})
  }
  private checkSwarm(): void {
    this.check()
    if (!this.swarmManager) throw new NotSwarmManagerError('the Docker engine is not a swarm manager: a swarm stack is deployed and read through a manager')
  }
  private removeStackObject(kind: SwarmRemoval['kind'], list: keyof StackObjects, id: string): void {
    this.swarmRemovals.push({kind, id, name: this.stackObjects[list].find((object) => object.id === id)?.name ?? ''})
    this.stackObjects[list] = this.stackObjects[list].filter((object) => object.id !== id)
  }
  private tagsOf(id: string): string[] {
    return [...this.images].filter(([, image]) => image === id).map(([reference]) => reference).sort()
  }
  private serviceOf(id: string): string {
    return this.containers.find((container) => container.id === id)?.service ?? ''
  }
  private copies(keep: (container: StackContainer) => boolean): StackContainer[] {
    return this.containers.filter(keep).map((container) => ({...container, labels: {...container.labels}}))
  }
}

export interface ComposeCall {
  action: 'config' | 'pull' | 'build' | 'create' | 'up' | 'down'
  project: string
  services?: string[]
  /** For a build: the directory it read the commit's files from. */
  directory?: string
}

/**
 * What the next `up` does instead of succeeding: fail before changing anything, or change the containers
 * first (they come up exited, as a crashing service does) and then fail, or be cut short by the host
 * (the engine goes away mid-way).
 */
export type UpFailure = {error: Error; touchesHost?: boolean; engineGoesAway?: boolean; whileRunning?: () => void}

/**
 * Docker Compose over the fake engine. `config` resolves the project's compose files as `compose config`
 * would for a small stack (the files merged, the project named); `up` creates the named services'
 * containers with the labels of kedge's override file, replacing the old ones.
 */
export class FakeCompose implements Compose {
  readonly calls: ComposeCall[] = []
  /** Failures for the next `up`s, in order; an `up` with none queued succeeds. */
  readonly upFailures: UpFailure[] = []
  configFailure: Error | null = null
  pullFailure: Error | null = null
  /** What the next builds fail with, until cleared; null: they succeed. */
  buildFailure: Error | null = null
  private builds = 0

  constructor(private readonly engine: FakeEngine) {}

  async command() {
    return {argv: ['docker', 'compose'], generation: 'v2' as const}
  }
  async config(project: ComposeProject): Promise<string> {
    this.calls.push({action: 'config', project: project.name})
    if (this.configFailure) throw this.configFailure
    const services: Record<string, Record<string, unknown>> = {}
    for (const file of project.files) {
      const document = parseYaml(readFileSync(path.resolve(project.directory, file), 'utf8')) as {services?: Record<string, Record<string, unknown>>}
      for (const [name, service] of Object.entries(document.services ?? {})) services[name] = {...services[name], ...service}
    }
    // As Compose prints it: a local build context absolute, resolved against the project directory.
    for (const service of Object.values(services)) {
      const build = typeof service.build === 'string' ? {context: service.build} : (service.build as Record<string, unknown> | undefined)
      if (build && typeof build.context === 'string' && !/^[a-z]+:\/\/|^git@/.test(build.context)) service.build = {...build, context: path.resolve(project.directory, build.context)}
    }
    return stringifyYaml({name: project.name, services, networks: {default: {name: `${project.name}_default`}}})
  }
  async pull(project: ComposeProject, services: string[]): Promise<void> {
    this.calls.push({action: 'pull', project: project.name, services})
    if (this.pullFailure) throw this.pullFailure
    for (const image of Object.values(this.imagesOf(project))) if (!this.engine.images.has(image)) this.engine.images.set(image, `sha256:${hex(image)}`)
  }
  /** Makes a new image for each service under the `image:` kedge's override file gives it, with the build labels it gives. */
  async build(project: ComposeProject, services: string[]): Promise<void> {
    this.calls.push({action: 'build', project: project.name, services, directory: project.directory})
    if (this.buildFailure) throw this.buildFailure
    const images = this.imagesOf(project)
    const labels = this.buildLabelsOf(project)
    for (const service of services) {
      const image = images[service]
      if (!image) throw composeFailure('build the images', `service "${service}" has no image to build`)
      const id = `sha256:${hex(`${image}\0build ${this.builds++}`)}`
      this.engine.images.set(image, id)
      this.engine.imageLabels.set(id, labels[service] ?? {})
    }
  }
  async up(project: ComposeProject, options: {services?: readonly string[]; noStart?: boolean}): Promise<void> {
    const services = [...(options.services ?? [])]
    // `up --no-start` is recorded as `create`: what a test asserts on is which containers were made, and when started.
    this.calls.push({action: options.noStart ? 'create' : 'up', project: project.name, services})
    const failure = this.upFailures.shift()
    failure?.whileRunning?.()
    if (failure?.engineGoesAway) {
      this.engine.available = false
      throw failure.error
    }
    if (failure && !failure.touchesHost) throw failure.error
    const labels = this.labelsOf(project)
    const images = this.imagesOf(project)
    for (const service of services) {
      const current = this.engine.containers.filter((container) => container.labels[COMPOSE_LABELS.project] === project.name && container.service === service)
      // As Compose does: a container created with the same configuration is started, not made anew.
      const created = current.length > 0 && current.every((container) => container.state === 'created' && container.labels[LABELS.configHash] === labels[service]?.[LABELS.configHash])
      if (created && !options.noStart && !failure) {
        for (const container of current) Object.assign(container, {state: 'running', status: 'Up 1 second'})
        continue
      }
      for (const old of current) {
        this.engine.containers = this.engine.containers.filter((container) => container.id !== old.id)
      }
      const state = failure ? {state: 'exited', status: 'Exited (1) 1 second ago', exitCode: 1} : options.noStart ? {state: 'created', status: 'Created'} : {}
      this.engine.create(project.name, service, images[service] ?? 'unknown:latest', labels[service] ?? {}, state)
    }
    if (failure) throw failure.error
  }
  async down(project: ComposeProject): Promise<void> {
    this.calls.push({action: 'down', project: project.name})
    this.engine.containers = this.engine.containers.filter((container) => container.labels[COMPOSE_LABELS.project] !== project.name)
  }

  /** The actions Compose was asked for, in order: what a test asserts on. */
  actions(): string[] {
    return this.calls.map((call) => (call.services ? `${call.action} ${call.services.join(',')}` : call.action))
  }

  /** kedge's labels per service, from the override file (the last of the project's files, as kedge passes them). */
  private labelsOf(project: ComposeProject): Record<string, Record<string, string>> {
    const labels: Record<string, Record<string, string>> = {}
    for (const file of project.files) {
      const document = parseYaml(readFileSync(path.resolve(project.directory, file), 'utf8')) as {services?: Record<string, {labels?: Record<string, string>}>}
      for (const [name, service] of Object.entries(document.services ?? {})) if (service.labels) labels[name] = {...labels[name], ...service.labels}
    }
    return labels
  }
  private buildLabelsOf(project: ComposeProject): Record<string, Record<string, string>> {
    const labels: Record<string, Record<string, string>> = {}
    for (const file of project.files) {
      const document = parseYaml(readFileSync(path.resolve(project.directory, file), 'utf8')) as {services?: Record<string, {build?: {labels?: Record<string, string>}}>}
      for (const [name, service] of Object.entries(document.services ?? {})) if (service.build?.labels) labels[name] = {...labels[name], ...service.build.labels}
    }
    return labels
  }
  private imagesOf(project: ComposeProject): Record<string, string> {
    const images: Record<string, string> = {}
    for (const file of project.files) {
      const document = parseYaml(readFileSync(path.resolve(project.directory, file), 'utf8')) as {services?: Record<string, {image?: string}>}
      for (const [name, service] of Object.entries(document.services ?? {})) if (service.image) images[name] = service.image
    }
    return images
  }
}

/** A failure as Compose reports it. */
export function composeFailure(action: string, reason: string): ComposeFailedError {
  return new ComposeFailedError(action, reason)
}

function hex(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/**
 * git over remotes held in memory: each commit is a set of files, each remote a head per branch. A clone is
 * a real directory (the use cases read its files through the files port), holding a `.git` marker.
 */
export class FakeGit implements Git {
  /** Commit id → its files (path → content). */
  readonly commits = new Map<string, Record<string, string>>()
  /** URL → branch → head. */
  readonly remotes = new Map<string, Map<string, string>>()
  /** When set, asking the remote fails with it, as an unreachable host does. */
  unreachable: Error | null = null
  private readonly trees = new Map<string, Record<string, string>>()
  private readonly fetched = new Map<string, Set<string>>()
  private readonly placed = new Map<string, Set<string>>()
  private nextTree = 1

  /** Adds a commit with these files and makes it the branch's head; returns its id. */
  push(url: string, branch: string, files: Record<string, string>): string {
    const id = hex(`${url}\0${branch}\0${this.commits.size}\0${JSON.stringify(files)}`).slice(0, 40)
    this.commits.set(id, files)
    this.setHead(url, branch, id)
    return id
  }
  setHead(url: string, branch: string, head: string | null): void {
    const branches = this.remotes.get(url) ?? new Map<string, string>()
    if (head === null) branches.delete(branch)
    else branches.set(branch, head)
    this.remotes.set(url, branches)
  }

  async withAccess<T>(_url: string, credentials: Parameters<Git['withAccess']>[1], action: (access: GitAccess) => Promise<T>): Promise<T> {
    return action({credentials, env: {}, httpAuthorization: null, knownHosts: () => null, close: () => undefined})
  }
  isCredentialRefusal(): boolean {
    return false
  }
  async remoteBranches(url: string): Promise<Map<string, string>> {
    this.reach()
    return new Map(this.remotes.get(url) ?? [])
  }
  async remoteBranchHead(url: string, branch: string): Promise<string | null> {
    this.reach()
    return this.remotes.get(url)?.get(branch) ?? null
  }
  async cloneBranch(_url: string, _branch: string, directory: string): Promise<void> {
    this.reach()
    mkdirSync(path.join(directory, '.git'), {recursive: true})
  }
  async fetchBranch(directory: string, url: string, branch: string): Promise<string> {
    this.reach()
    const head = this.remotes.get(url)?.get(branch)
    if (!head) throw new ExternalError(`couldn't find remote ref ${branch}`, {code: 'git_failed'})
    for (const entry of readdirSync(directory)) if (entry !== '.git') rmSync(path.join(directory, entry), {recursive: true, force: true})
    writeFiles(directory, this.commits.get(head)!)
    writeFileSync(path.join(directory, '.git', 'HEAD'), head)
    const fetched = this.fetched.get(directory) ?? new Set<string>()
    fetched.add(head)
    this.fetched.set(directory, fetched)
    return head
  }
  async checkoutHead(directory: string): Promise<string> {
    return readFileSync(path.join(directory, '.git', 'HEAD'), 'utf8')
  }
  async updateTree(_repository: string, commit: string, target: string): Promise<void> {
    const files = this.commits.get(commit) ?? this.trees.get(commit)
    if (!files) throw new ExternalError(`fatal: not a tree object: ${commit}`, {code: 'git_failed'})
    for (const old of this.placed.get(target) ?? []) if (!(old in files)) rmSync(path.join(target, old), {force: true})
    writeFiles(target, files)
    this.placed.set(target, new Set(Object.keys(files)))
  }
  async importTree(_repository: string, directory: string): Promise<string> {
    const id = `tree-${this.nextTree++}`
    this.trees.set(id, readFiles(directory))
    return id
  }
  async initRepository(directory: string): Promise<void> {
    mkdirSync(path.join(directory, '.git'), {recursive: true})
  }
  async hasCommit(repository: string, commit: string): Promise<boolean> {
    return this.fetched.get(repository)?.has(commit) ?? false
  }
  /** The fake's history has no parents: a commit not the same is one ahead, as a branch moved by one push. */
  async commitsAhead(repository: string, from: string, to: string): Promise<number | null> {
    if (!(await this.hasCommit(repository, from)) || !(await this.hasCommit(repository, to))) return null
    return from === to ? 0 : 1
  }
  /** A file's id is its content's hash; a directory's, that of every file under it (as a tree's id is, in git). */
  async objectIds(_repository: string, commit: string, paths: string[]): Promise<Map<string, string>> {
    const files = this.commits.get(commit) ?? {}
    const ids = new Map<string, string>()
    for (const wanted of paths) {
      if (wanted in files) ids.set(wanted, hex(files[wanted]!).slice(0, 40))
      const under = Object.entries(files).filter(([file]) => file.startsWith(`${wanted}/`) || wanted === '.')
      if (!(wanted in files) && under.length > 0) ids.set(wanted, hex(JSON.stringify(under.sort())).slice(0, 40))
    }
    return ids
  }
  async changedFiles(_repository: string, from: string, to: string, paths: readonly string[]): Promise<string[]> {
    const before = this.commits.get(from) ?? {}
    const after = this.commits.get(to) ?? {}
    const under = (file: string) => paths.length === 0 || paths.some((wanted) => wanted === '.' || file === wanted || file.startsWith(`${wanted}/`))
    return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((file) => under(file) && before[file] !== after[file]).sort()
  }
  async derivePublicKey(): Promise<string> {
    throw new Error('the fake git holds no keys')
  }

  private reach(): void {
    if (this.unreachable) throw this.unreachable
  }
}

function writeFiles(root: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), {recursive: true})
    writeFileSync(path.join(root, file), content)
  }
}

function readFiles(root: string, prefix = ''): Record<string, string> {
  const files: Record<string, string> = {}
  for (const entry of readdirSync(path.join(root, prefix))) {
    const relative = path.join(prefix, entry)
    if (statSync(path.join(root, relative)).isDirectory()) Object.assign(files, readFiles(root, relative))
    else files[relative] = readFileSync(path.join(root, relative), 'utf8')
  }
  return files
}

/** This process, and the processes a test says still run. */
export class FakeProcesses implements Processes {
  readonly alive: ProcessIdentity[] = []
  current(): ProcessIdentity {
    return {host: 'test-host', pid: 4242, processStart: 'ns/1'}
  }
  isRunning(identity: ProcessIdentity): boolean {
    return this.alive.some((other) => other.host === identity.host && other.pid === identity.pid && other.processStart === identity.processStart)
  }
}

/** Bytes that differ on each call yet are the same in every run: the n-th call's are the SHA-256 of n. */
let randomCalls = 0
function repeatableBytes(count: number): Uint8Array {
  const bytes = Buffer.alloc(count)
  for (let filled = 0; filled < count; filled += 32) createHash('sha256').update(`fake random ${randomCalls++}`).digest().copy(bytes, filled)
  return bytes
}

/** Seals by wrapping: the fake has no key, only the binding is checked. Its random bytes are repeatable. */
export const fakeSecrets: Secrets = {
  seal: (plaintext, binding) => JSON.stringify({binding, plaintext}),
  open: (sealed, binding, owner) => {
    const value = JSON.parse(sealed) as {binding: string; plaintext: string}
    if (value.binding !== binding) throw new ExternalError(`the secret of ${owner} does not open here`, {code: 'secret_unreadable'})
    return value.plaintext
  },
  adminToken: () => ({token: 'test-token', source: 'test'}),
  randomBytes: repeatableBytes,
  keyedDigest: (value, purpose) => createHmac('sha256', `fake key: ${purpose}`).update(value).digest('hex'),
  ageKeyFile: () => null,
}

/**
 * SOPS as the use cases see it: a "file" is `fake-sops:<identity>\n` and its plaintext, opened by that
 * identity; entries are its `KEY=value` lines.
 */
export const fakeSops: SopsFiles = {
  async decrypt(content, _format, identities, file) {
    const [header, ...lines] = content.split('\n')
    if (!header?.startsWith('fake-sops:')) throw new InvalidInputError(`${file}: not a SOPS file`, {code: 'invalid_secret_file'})
    if (!identities.includes(header.slice('fake-sops:'.length))) throw new ExternalError(`${file}: no identity opens it`, {code: 'secret_undecryptable'})
    const text = lines.join('\n')
    const entries = lines.filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const)
    return {text, entries}
  },
}

/** Private files in a temporary directory, removed after use as the real ones are; `written` keeps what each use saw. */
export class FakePrivateFiles implements PrivateFiles {
  readonly written: Array<Array<{path: string; content: string}>> = []

  async withFiles<T>(files: ReadonlyArray<{name: string; content: string}>, use: (paths: string[]) => Promise<T>): Promise<T> {
    const directory = mkdtempSync(path.join(tmpdir(), 'kedge-fake-private-'))
    try {
      const paths = files.map((file) => {
        const target = path.join(directory, file.name)
        writeFileSync(target, file.content, {mode: 0o600})
        return target
      })
      this.written.push(files.map((file, index) => ({path: paths[index]!, content: file.content})))
      return await use(paths)
    } finally {
      rmSync(directory, {recursive: true, force: true})
    }
  }
}

/** Registries as a test sets them: the digest each reference names now; a reference not set does not exist. */
export class FakeRegistries implements Registries {
  readonly digests = new Map<string, string>()
  readonly asked: string[] = []
  failure: Error | null = null

  async currentDigest(reference: string): Promise<string | null> {
    this.asked.push(reference)
    if (this.failure) throw this.failure
    return this.digests.get(reference) ?? null
  }
}

export interface FakeWorld {
  context: KedgeContext
  home: KedgeHome
  clock: FakeClock
  store: MemoryStore
  engine: FakeEngine
  compose: FakeCompose
  /** The registered engines: each a FakeEngine and FakeCompose of its own, made when the world first connects to it. */
  engines: FakeEngines
  git: FakeGit
  processes: FakeProcesses
  hooks: FakeHookRunner
  announcer: RecordingAnnouncer
  messenger: FakeMessenger
  /** Forgets the Compose calls and engine mutations so far, so that a test sees only those of the step it checks. */
  forgetCalls(): void
  /** Someone stops a service's container (docker stop). */
  stopService(service: string): void
  /** Removes the temp home. */
  cleanup(): void
  registries: FakeRegistries
}

/** A small stack's files: `web` at `version`, and `worker`, with kedge.yaml when given. */
export function stackFiles(version: string, kedgeYaml?: string): Record<string, string> {
  const compose = `services:\n  web:\n    image: web:${version}\n  worker:\n    image: worker:1\n`
  return {'compose.yaml': compose, ...(kedgeYaml === undefined ? {} : {'kedge.yaml': kedgeYaml})}
}

/** A KedgeContext over the fakes, its home in a new temp dir. */
export function fakeWorld(): FakeWorld {
  const root = mkdtempSync(path.join(tmpdir(), 'kedge-unit-'))
  const home = resolveHome(path.join(root, 'home'))
  const clock = new FakeClock()
  const store = new MemoryStore(clock)
  const engine = new FakeEngine()
  const compose = new FakeCompose(engine)
  const git = new FakeGit()
  const processes = new FakeProcesses()
  const hooks = new FakeHookRunner()
  const announcer = new RecordingAnnouncer()
  const messenger = new FakeMessenger()
  const engines = new FakeEngines()
  const stacks = new FakeStackCli()
  const registries = new FakeRegistries()
  const context: KedgeContext = {home, store, engine, compose, stacks, engines, registeredEngine: async (row) => engines.of(row.name).engine, git, files: checkoutFiles, clock, processes, secrets: fakeSecrets, sops: fakeSops, privateFiles: new FakePrivateFiles(), registries, hooks, messenger, announcer, progress: NO_PROGRESS}
  const forgetCalls = () => {
    compose.calls.length = 0
    engine.mutations.length = 0
  }
  const stopService = (service: string) => {
    const container = engine.containers.find((candidate) => candidate.service === service)
    if (!container) throw new Error(`no container of ${service} to stop`)
    Object.assign(container, {state: 'exited', status: 'Exited (0) 3 seconds ago', exitCode: 0})
  }
  return {context, home, clock, store, engine, compose, engines, registries, git, processes, hooks, announcer, messenger, forgetCalls, stopService, cleanup: () => existsSync(root) && rmSync(root, {recursive: true, force: true})}
}

/** Records each `docker stack deploy` asked for, and deploys nothing. */
export class FakeStackCli implements StackCli {
  readonly deploys: Array<{project: StackProject; options: StackDeployRunOptions}> = []
  async deploy(project: StackProject, options: StackDeployRunOptions): Promise<void> {
    this.deploys.push({project, options})
  }
}

/** Registered engines over fakes: each name gets an engine and a Compose of its own, so a test can tell which engine a use case acted on. */
export class FakeEngines implements Engines {
  readonly byName = new Map<string, {engine: FakeEngine; compose: FakeCompose; identity: EngineIdentity}>()
  readonly connections: Array<{key: string; name: string; address: EngineAddress; material: EngineMaterial}> = []
  /** Names whose engine does not answer: connecting fails with engine_unavailable. */
  readonly down = new Set<string>()

  of(name: string): {engine: FakeEngine; compose: FakeCompose; identity: EngineIdentity} {
    let entry = this.byName.get(name)
    if (!entry) {
      const engine = new FakeEngine()
      entry = {engine, compose: new FakeCompose(engine), identity: {id: `ID-${name}`, name, serverVersion: '20.10.24', swarm: {state: 'inactive', manager: false, clusterId: null}}}
      this.byName.set(name, entry)
    }
    return entry
  }

  async connect(key: string, name: string, address: EngineAddress, material: () => EngineMaterial): Promise<ConnectedEngine> {
    if (this.down.has(name)) throw new ExternalError(`engine ${name} did not answer`, {code: 'engine_unavailable'})
    this.connections.push({key, name, address, material: material()})
    const entry = this.of(name)
    return {engine: entry.engine, compose: entry.compose, stacks: new FakeStackCli(), environment: {DOCKER_HOST: `unix:///run/${name}.sock`}, identity: async () => entry.identity}
  }

  closeAll(): void {}
}

/** Runs no hook: records each run and answers with `exit` (exit 0, no output, by default). */
export class FakeHookRunner implements HookRunner {
  readonly runs: HookRun[] = []
  exit: Partial<HookExit> = {}
  async run(hook: HookRun): Promise<HookExit> {
    this.runs.push(hook)
    return {code: 0, signal: null, timedOut: false, output: '', seconds: 0, ...this.exit}
  }
}

/** Keeps every event announced, for a test to check what kedge would have told people. */
export class RecordingAnnouncer implements Announcer {
  readonly events: KedgeEvent[] = []
  announce(event: KedgeEvent): void {
    this.events.push(event)
  }
}

/** Delivers nothing: records each message and answers 200, or throws `failure` when one is set. */
export class FakeMessenger implements Messenger {
  readonly sent: OutgoingMessage[] = []
  failure: Error | null = null
  async deliver(message: OutgoingMessage): Promise<Delivery> {
    this.sent.push(message)
    if (this.failure) throw this.failure
    return {status: 200, answer: ''}
  }
}
