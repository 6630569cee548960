import {parsePendingImages, type ImageUpdate} from '../../model/images/image-updates.js'
import {DEFAULT_RECONCILIATION_MODE, type ReconciliationMode} from '../../model/config/reconciliation-mode.js'
import {errorMessage, isKedgeError, quoted, type KedgeError} from '../../model/errors.js'
import type {DeploymentRow, RepositoryRow, StackRow, StackTarget} from '../../model/rows.js'
import type {StackContainer} from '../../model/stack/containers.js'
import type {ReadContext} from '../context.js'
import type {Drift} from '../../model/stack/drift.js'
import {LABELS} from '../../model/compose/labels.js'
import type {ServiceChange} from '../../model/stack/plan.js'
import {isRootStack} from '../../model/stack/stack-names.js'
import {requireStacks} from '../stacks/stacks.js'
import {requireRepository} from './require-repository.js'
import {authView, type AuthView} from '../../model/repository/repository-view.js'
import {checkDeploymentRow, checkRepositoryRow, checkStackRow, isRepositoryName} from '../../model/repository/row-checks.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import {parseSnapshot} from '../../model/stack/stored-snapshot.js'
import {EMPTY_STACK_STATE} from '../../model/stack/stack-row.js'
import {holdOf, type HoldView} from '../../model/stack/stack-hold.js'
import {stackHealth, type StackHealth} from '../../model/stack/stack-health.js'
import {isHoldTrigger} from '../../model/repository/column-values.js'
import {engineName, engineRowOf} from '../engines/stack-engine.js'
import {LOCAL_ENGINE} from '../../model/engine/engine-name.js'
import {swarmTasksAsContainers} from '../../model/swarm/swarm-tasks-view.js'

export interface ServiceStatus {
  service: string
  /** The image the deployed commit (else the failed deploy that started the container) wants; null for a container of a service it does not have. */
  image: string | null
  containers: Array<Pick<StackContainer, 'id' | 'name' | 'state' | 'status' | 'image' | 'health' | 'exitCode'>>
}

export interface RepositoryStatus {
  /** The repository's name. */
  name: string
  /** The stack's name: for a repository of one root stack, the repository's. */
  stack: string
  /** How commands name the stack: the repository's name for its root stack, else `<repository>/<stack>`. */
  address: string
  url: string
  branch: string
  mode: ReconciliationMode
  auth: AuthView
  project: string | null
  /** The engine the stack runs on: "local", or a registered engine's name (kedge engine list). */
  engine: string
  /** The branch head as last seen on the remote. */
  head: {commit: string; checkedAt: string | null} | null
  deployed: {commit: string; at: string; trigger: string} | null
  /** `at` is when it finished (else started); `startedAt` and `finishedAt` (null while under way) time it. */
  lastDeployment: {commit: string; status: string; trigger: string; at: string; startedAt: string; finishedAt: string | null; error: string | null} | null
  inSync: boolean
  /** The stack's state at a glance (model/stack/stack-health.ts), as the dashboard shows it. */
  health: StackHealth
  /** Set when no deployment succeeded yet a failed one left containers kedge labelled: the commit it tried. */
  failedAttempt: {commit: string; at: string} | null
  pending: {commit: string; changes: ServiceChange[]} | null
  /** In notify and manual modes: the tags whose registry names a new image (reconciliation.image_updates), waiting for `kedge sync`. */
  pendingImages: ImageUpdate[]
  pinned: {commit: string; reason: string | null} | null
  /** Set by `kedge down` or `kedge suspend`: kedge neither deploys nor heals the stack until `up` or `resume`. */
  hold: HoldView | null
  lastError: {message: string; at: string | null} | null
  /** The drift the last check found (serve checks on every engine event and every interval), and when. */
  drift: {entries: Array<Omit<Drift, 'containerId'>>; checkedAt: string | null}
  services: ServiceStatus[]
  /** Set when the Docker engine could not be asked; the rest still holds. */
  engineError: string | null
  /**
   * Set when the repository's rows could not be read, e.g. kedge.db holds what kedge never writes
   * (corrupt_row): the status shows only its name, and lastError says the same.
   */
  rowError: {code: string; message: string; hint: string | null} | null
}

/**
 * Every stack's status, or those of the address (`<repository>` or `<repository>/<stack>`). A stack whose
 * rows are corrupt (corrupt_row) is listed with that error and the others as they are; asked for by
 * name, it is the error.
 */
export async function repositoryStatuses(context: ReadContext, address?: string): Promise<RepositoryStatus[]> {
  if (address !== undefined) {
    const targets = requireStacks(context, address)
    // A repository whose stacks are not known yet (its remote did not answer when it was added) still has a status: its own error.
    if (targets.length === 0) {
      const repository = requireRepository(context, address)
      return [await statusOf(context, {repository, stack: rootStackless(repository)})]
    }
    return Promise.all(targets.map((target) => statusOf(context, target)))
  }
  const stacks = new Map<number, StackRow[]>()
  for (const stack of context.store.listAllStacks()) stacks.set(stack.repositoryId, [...(stacks.get(stack.repositoryId) ?? []), stack])
  return Promise.all(
    context.store.listRepositories().flatMap((repository) =>
      (stacks.get(repository.id) ?? [rootStackless(repository)]).map((stack) =>
        statusOf(context, {repository, stack}).catch((error: unknown) => {
          // A corrupt row, or a snapshot whose kedge.yaml no longer parses: that stack's error, not the listing's.
          if (!isKedgeError(error)) throw error
          return unreadableStatus(repository, stack, error)
        }),
      ),
    ),
  )
}

/** A repository without a stack row (its registration was cut short): listed with nothing deployed. */
function rootStackless(repository: RepositoryRow): StackRow {
  return {
    id: -1,
    repositoryId: repository.id,
    name: repository.name,
    path: repository.path,
    createdAt: repository.createdAt,
    ...EMPTY_STACK_STATE,
  }
}

async function statusOf(context: ReadContext, target: StackTarget): Promise<RepositoryStatus> {
  const repository = checkRepositoryRow(target.repository)
  const stack = checkStackRow(target.stack, repository.name)
  const applied = checkedDeployment(context.store.lastAppliedDeployment(stack.id))
  const good = applied && applied.status !== 'failed' ? applied : undefined
  const latest = checkedDeployment(context.store.listDeployments(stack.id, 1)[0])
  // A hold's rows (down, suspend, resume) deploy nothing: how the last attempt went is told by the one before
  // them, unless the hold is under way (a `down` stopping containers), which is the stack's news.
  const lastAttempt = latest && isHoldTrigger(latest.trigger) && latest.status !== 'pending' ? checkedDeployment(context.store.newestAttempt(stack.id)) : latest
  // Without a good deployment, a failed attempt's snapshot names the project its containers run in.
  const attempted = parseSnapshot(applied?.snapshot ?? null, applied?.id ?? null)
  const snapshot = good ? attempted : null
  let containers: StackContainer[] = []
  let engineError: string | null = null
  const row = engineRowOf(context, target)
  if (attempted) {
    try {
      const engine = row ? await context.registeredEngine(row) : context.engine
      // A swarm stack's services run as Swarm's tasks, over the nodes: shown as its containers are.
      containers = (
        attempted.target === 'swarm' ? swarmTasksAsContainers(attempted.project, await engine.swarmState(attempted.project)) : await engine.listKedgeContainers(attempted.project)
      ).filter((container) => container.labels[LABELS.repository] === repository.name)
    } catch (error) {
      engineError = errorMessage(error)
    }
  }
  // A failed first deploy's services are those whose containers it left; the rest it never started.
  const wanted = snapshot ?? (containers.length > 0 ? attempted : null)
  const serviceNames = [...new Set([...(snapshot?.services.map((service) => service.name) ?? []), ...containers.map((container) => container.service)])].sort()
  const lastError = newestError(repository, stack)
  const status: Omit<RepositoryStatus, 'health'> = {
    name: repository.name,
    stack: stack.name,
    address: isRootStack({repository, stack}) ? repository.name : `${repository.name}/${stack.name}`,
    url: repository.url,
    branch: repository.branch,
    mode: await deployedMode(snapshot),
    auth: authView(repository),
    project: wanted?.project ?? null,
    engine: engineName(row),
    head: repository.remoteHead ? {commit: repository.remoteHead, checkedAt: repository.remoteCheckedAt?.toISOString() ?? null} : null,
    deployed: good ? {commit: good.commit, at: (good.finishedAt ?? good.startedAt).toISOString(), trigger: good.trigger} : null,
    lastDeployment: latest
      ? {
          commit: latest.commit,
          status: latest.status,
          trigger: latest.trigger,
          at: (latest.finishedAt ?? latest.startedAt).toISOString(),
          startedAt: latest.startedAt.toISOString(),
          finishedAt: latest.finishedAt?.toISOString() ?? null,
          error: latest.error,
        }
      : null,
    failedAttempt: !good && applied && containers.length > 0 ? {commit: applied.commit, at: (applied.finishedAt ?? applied.startedAt).toISOString()} : null,
    // A stack taken down runs nothing: it is not in sync, whatever commit it last ran. One gone from the
    // repository is, once taken down (prune on); left running (prune off), it is drift.
    inSync:
      stack.hold === 'gone'
        ? latest?.status === 'removed'
        : stack.hold !== 'down' && good !== undefined && (good.commit === (stack.pinnedCommit ?? repository.remoteHead) || (stack.pinnedCommit === null && stack.unchangedHead === repository.remoteHead)),
    pending: stack.pendingCommit ? {commit: stack.pendingCommit, changes: JSON.parse(stack.pendingChanges ?? '[]') as ServiceChange[]} : null,
    pendingImages: parsePendingImages(stack.pendingImages),
    pinned: stack.pinnedCommit ? {commit: stack.pinnedCommit, reason: stack.pinReason} : null,
    hold: holdOf(stack),
    lastError: lastError ? {message: lastError.message, at: lastError.at?.toISOString() ?? null} : null,
    drift: {entries: JSON.parse(stack.drift ?? '[]') as Array<Omit<Drift, 'containerId'>>, checkedAt: stack.driftCheckedAt?.toISOString() ?? null},
    services: serviceNames.map((service) => ({
      service,
      image: wanted?.services.find((candidate) => candidate.name === service)?.image ?? null,
      containers: containers
        .filter((container) => container.service === service)
        .map(({id, name, state, status, image, health, exitCode}) => ({id: id.slice(0, 12), name, state, status, image, health, exitCode})),
    })),
    engineError,
    rowError: null,
  }
  return {...status, health: healthOf(status, lastAttempt)}
}

function healthOf(status: Omit<RepositoryStatus, 'health'>, lastAttempt: DeploymentRow | undefined): StackHealth {
  return stackHealth({hold: status.hold, lastDeployment: lastAttempt ?? null, deployed: status.deployed, inSync: status.inSync, driftCount: status.drift.entries.length})
}

/** The repository's error (its remote, its fetch) or the stack's (a deploy, a plan), whichever came last. */
function newestError(repository: RepositoryRow, stack: StackRow): {message: string; at: Date | null} | null {
  const errors = [
    {message: repository.lastError, at: repository.lastErrorAt},
    {message: stack.lastError, at: stack.lastErrorAt},
  ].filter((error): error is {message: string; at: Date | null} => error.message !== null)
  errors.sort((a, b) => (b.at?.getTime() ?? 0) - (a.at?.getTime() ?? 0))
  return errors[0] ?? null
}

function checkedDeployment(row: DeploymentRow | undefined): DeploymentRow | undefined {
  return row && checkDeploymentRow(row)
}

/** What can be shown of a repository whose rows could not be read: its name and the error, nothing read from the rest. */
function unreadableStatus(row: RepositoryRow, stack: StackRow, error: KedgeError): RepositoryStatus {
  return {
    name: isRepositoryName(row.name) ? row.name : quoted(String(row.name)),
    stack: typeof stack.name === 'string' ? stack.name : quoted(String(stack.name)),
    address: isRepositoryName(row.name) ? row.name : quoted(String(row.name)),
    url: typeof row.url === 'string' ? row.url : '',
    branch: typeof row.branch === 'string' ? row.branch : '',
    mode: DEFAULT_RECONCILIATION_MODE,
    auth: {kind: 'none'},
    project: null,
    engine: LOCAL_ENGINE,
    head: null,
    deployed: null,
    lastDeployment: null,
    inSync: false,
    health: 'failed',
    failedAttempt: null,
    pending: null,
    pendingImages: [],
    pinned: null,
    hold: null,
    lastError: {message: error.message, at: null},
    drift: {entries: [], checkedAt: null},
    services: [],
    engineError: null,
    rowError: {code: error.code, message: error.message, hint: error.hint ?? null},
  }
}

/** The mode the deployed commit runs in. Its kedge.yaml is parsed only when it had one: the parser loads a YAML and a schema library. */
async function deployedMode(snapshot: StackSnapshot | null): Promise<ReconciliationMode> {
  if (!snapshot?.kedgeConfig) return DEFAULT_RECONCILIATION_MODE
  const {snapshotConfig} = await import('../../model/stack/snapshot-config.js')
  return snapshotConfig(snapshot).mode
}
