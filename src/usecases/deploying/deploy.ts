import {existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {composePull, composeUp} from '../../adapters/compose/compose.js'
import {
  currentImageIds,
  listComposeProjectContainers,
  listKedgeContainers,
  missingImages,
  pingEngine,
  removeContainer,
  restartContainer,
  signalContainer,
  stopAndRemoveContainer,
} from '../../adapters/engine/docker-engine.js'
import {cloneBranch, fetchBranch, updateTree} from '../../adapters/git/git.js'
import {asKedgeError, ExternalError, type KedgeError} from '../../model/errors.js'
import {finishDeployment, lastGoodDeployment, startDeployment} from '../../store/deployments.js'
import {recordRepositoryError, updateRepository} from '../../store/repositories.js'
import type {DeploymentRow, DeploymentTrigger, RepositoryRow} from '../../store/schema.js'
import {storageFault} from '../../store/storage-errors.js'
import type {ComposeProject} from '../../model/compose/compose-invocation.js'
import {isInterruptedRecreate, type StackContainer} from '../../model/stack/containers.js'
import type {KedgeContext} from '../context.js'
import {withRepositoryAccess} from '../repositories/credentials.js'
import type {KedgeConfig} from '../../model/config/kedge-config.js'
import {readDesiredStack} from './desired-stack.js'
import {stackPaths, type StackPaths} from '../repositories/stack-paths.js'
import {snapshotConfig} from '../../model/stack/snapshot-config.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import {parseSnapshot} from '../../model/stack/stored-snapshot.js'
import {containersToReplace, driftBaseline, driftToRepair, type Drift} from '../../model/stack/drift.js'
import {fileChangeSteps, placeKeepingMountedInodes, readPlacedFiles, recordPlacedFiles} from './file-change.js'
import {FILE_CHANGE_ACTIONS} from '../../model/compose/mounted-files.js'
import {LABELS} from '../../model/compose/labels.js'
import {ownedContainers} from '../../model/stack/project-ownership.js'
import {keepRunningLabels} from '../../model/stack/running-labels.js'
import {waitForServices} from './health-gate.js'
import {failedForTheHost, HOST_FAILED_NOTE} from './host-failure.js'
import {renderOverrideFile} from '../../model/compose/override-file.js'
import {joinersToReplace, planChanges, type DesiredService, type ServiceChange} from '../../model/stack/plan.js'
import {keepRelease} from '../rollback/releases.js'
import {rollbackTo} from '../rollback/rollback.js'

export interface DeployOutcome {
  deployment: DeploymentRow
  changes: ServiceChange[]
  /** Why it failed; null on success. */
  error: KedgeError | null
}

/**
 * The note on a deploy that failed after changing the host and was not rolled back because
 * `rollback_on_failure` is off: drift healing must not roll it back either.
 */
export const LEFT_AS_FAILED = 'left as it failed: rollback_on_failure is off'

/**
 * Brings the repository's clone to its branch head (cloning it first if needed) and returns that
 * commit. Records what the remote said, or the error, on the repository.
 */
export async function fetchHead(context: KedgeContext, repository: RepositoryRow, signal?: AbortSignal): Promise<string> {
  const {repoDir} = stackPaths(context, repository.name)
  try {
    const {value: commit} = await withRepositoryAccess(context, repository, async (access) => {
      if (!existsSync(path.join(repoDir, '.git'))) {
        rmSync(repoDir, {recursive: true, force: true})
        await cloneBranch(repository.url, repository.branch, repoDir, {signal, access})
      }
      return fetchBranch(repoDir, repository.url, repository.branch, {signal, access})
    })
    updateRepository(context.db, repository.id, {remoteHead: commit, remoteCheckedAt: new Date()})
    return commit
  } catch (error) {
    recordRepositoryError(context.db, repository.id, error)
    throw error
  }
}

/**
 * Applies the commit checked out in the clone. Nothing on the host changes until the commit has been
 * validated by Compose and its images are present: a broken commit fails here and the running stack
 * keeps running. Every attempt is recorded, with Compose's own error text when it fails. While the
 * Docker engine does not answer nothing is attempted (engine_unavailable is thrown); an attempt the
 * host cut short (see failedForTheHost) is no fault of the commit: it is recorded as interrupted and retried.
 */
export async function applyCheckedOutCommit(
  context: KedgeContext,
  repository: RepositoryRow,
  commit: string,
  trigger: DeploymentTrigger,
  signal?: AbortSignal,
): Promise<DeployOutcome> {
  await pingEngine()
  const deployment = startDeployment(context.db, {repositoryId: repository.id, commit, trigger})
  const previous = lastGoodDeployment(context.db, repository.id)
  const previousSnapshot = parseSnapshot(previous?.snapshot ?? null)
  const paths = stackPaths(context, repository.name)
  let snapshot: StackSnapshot | null = null
  let config: KedgeConfig | null = null
  let changes: ServiceChange[] = []
  let touchedHost = false
  try {
    const desired = await readDesiredStack(paths, repository, commit, previousSnapshot, signal)
    config = desired.config
    const actual = await listOwnedContainers(repository.name, desired.snapshot.project, {
      deployedHere: previousSnapshot?.project === desired.snapshot.project,
      services: desired.snapshot.services,
    })
    snapshot = {...desired.snapshot, services: keepRunningLabels(desired.snapshot.services, actual)}
    changes = planChanges(snapshot.services, actual, previousSnapshot?.services)
    await ensureImages(snapshot, paths, signal)
    // Drift of what runs now is repaired on the way, measured against the commit that runs (see driftToRepair).
    const baseline = driftBaseline(previousSnapshot?.services ?? [], snapshot.services, actual)
    const drift = driftToRepair(baseline, snapshot.services, actual, await currentImageIds(imagesOfServices(baseline)))
    signal?.throwIfAborted()
    touchedHost = true
    await applyStack(paths, repository.name, snapshot, actual, {drift, prune: config.prune, signal})
    // Every service, not only the changed ones: a deploy succeeds only when the whole stack is up.
    await waitForServices(repository.name, snapshot.project, snapshot.services, config.healthTimeoutMs, signal)
    if (previousSnapshot) await removeOtherProject(repository.name, previousSnapshot.project, snapshot.project)
    const finished = finishDeployment(context.db, deployment.id, {status: 'success', snapshot: JSON.stringify(snapshot), project: snapshot.project})
    updateRepository(context.db, repository.id, {lastError: null, lastErrorAt: null, pendingCommit: null, pendingChanges: null})
    await keepRelease(context, repository.name, commit, config.keepReleases, snapshot.placedPaths).catch(() => undefined)
    return {deployment: finished, changes, error: null}
  } catch (caught) {
    const interrupted = signal?.aborted === true
    const error = interrupted
      ? new ExternalError('interrupted: kedge stopped before the deployment finished', {code: 'interrupted'})
      : (storageFault(context.home, caught) ?? asKedgeError(caught, 'deploy_failed'))
    let hostFailed = !interrupted && (await failedForTheHost(error))
    let note: string | null = null
    if (touchedHost && !interrupted && !hostFailed && previous !== undefined) {
      if (config?.rollbackOnFailure === true) {
        const rollback = await rollbackTo(context, repository, previous, {
          trigger: 'auto_rollback',
          replacedCommit: commit,
          pinnedAtHead: commit,
          reason: `automatic: ${commit.slice(0, 7)} failed: ${error.message.split('\n')[0]}`,
          signal,
        })
        // The rollback's own record says whether the host cut it short (the engine went away while it
        // ran): then the commit's failure was the host's doing too.
        hostFailed = rollback.deployment.interrupted && !signal?.aborted
        note = rollback.error
          ? `the automatic rollback to ${previous.commit.slice(0, 7)} failed: ${rollback.error.message}`
          : `rolled back automatically to ${previous.commit.slice(0, 7)}`
      } else {
        note = LEFT_AS_FAILED
      }
    }
    if (hostFailed) note = HOST_FAILED_NOTE
    const finished = finishDeployment(context.db, deployment.id, {
      status: 'failed',
      error: error.message,
      note,
      snapshot: snapshot ? JSON.stringify(snapshot) : null,
      project: snapshot?.project ?? null,
      interrupted: interrupted || hostFailed,
    })
    recordRepositoryError(context.db, repository.id, error)
    return {deployment: finished, changes, error}
  }
}

/**
 * The repository's containers in the project (see ownedContainers): kedge's, and once kedge has deployed
 * there (`deployedHere`, or its containers are there), those Compose created in it without kedge's labels.
 * Refuses a project that is someone else's.
 */
export async function listOwnedContainers(
  repository: string,
  project: string,
  options: {deployedHere?: boolean; services?: readonly {name: string}[]} = {},
): Promise<StackContainer[]> {
  const [composed, labelled] = await Promise.all([listComposeProjectContainers(project), listKedgeContainers(project)])
  // kedge's labels without Compose's: a container made by hand to look like kedge's, still kedge's to replace.
  const byId = new Map([...composed, ...labelled.filter((container) => container.labels[LABELS.repository] === repository)].map((container) => [container.id, container]))
  const services = new Set((options.services ?? []).map((service) => service.name))
  return ownedContainers(repository, project, [...byId.values()], {deployedHere: options.deployedHere ?? false, services})
}

/** The stack as Compose runs it: from the stack directory, with kedge's override file last. */
export function composeProjectOf(paths: StackPaths, snapshot: StackSnapshot): ComposeProject {
  return {
    name: snapshot.project,
    files: [...snapshot.composeFiles.map((file) => file.path), paths.overrideFile],
    directory: path.join(paths.stackDir, snapshot.stackPath),
    profiles: snapshotConfig(snapshot).profiles,
    environment: paths.localEnvironment(),
  }
}

/** Pulls only the images the engine lacks, before anything on the host changes. */
async function ensureImages(snapshot: StackSnapshot, paths: StackPaths, signal?: AbortSignal): Promise<void> {
  const images = [...new Set(imagesOf(snapshot))]
  const missing = new Set(await missingImages(images))
  const services = snapshot.services.filter((service) => service.image !== null && missing.has(service.image)).map((service) => service.name)
  if (services.length === 0) return
  // From the clone: the stack directory must not change before the images are there.
  const candidate: ComposeProject = {
    name: snapshot.project,
    files: snapshot.composeFiles.map((file) => file.path),
    directory: path.join(paths.repoDir, snapshot.stackPath),
    profiles: snapshotConfig(snapshot).profiles,
    environment: paths.localEnvironment(),
  }
  await composePull(candidate, services, {signal})
}

/**
 * Puts the commit's files in the stack directory, writes kedge's override file beside them and runs
 * `up` for the services that need it, and no others (see UpOptions.services). First it removes the
 * containers `up` cannot put right (all of them kedge's own, by label): leftovers of a Compose v1
 * recreate that was cut short, drifted ones (see containersToReplace), and with `prune` those of
 * services the commit no longer has.
 */
export async function applyStack(
  paths: StackPaths,
  repository: string,
  snapshot: StackSnapshot,
  actual: StackContainer[],
  options: {drift: Drift[]; prune: boolean; signal?: AbortSignal; tree?: string},
): Promise<void> {
  mkdirSync(paths.stackDir, {recursive: true})
  mkdirSync(path.dirname(paths.indexFile), {recursive: true})
  const placed = readPlacedFiles(path.dirname(paths.indexFile))
  await placeKeepingMountedInodes(paths.stackDir, snapshot.services, () =>
    updateTree(paths.repoDir, options.tree ?? snapshot.commit, paths.stackDir, paths.indexFile, options.signal, snapshot.placedPaths),
  )
  writeFileSync(paths.overrideFile, renderOverrideFile(repository, snapshot))
  const leftovers = actual.filter((container) => isInterruptedRecreate(container, snapshot.project)).map((container) => container.id)
  const replaced = new Set([...leftovers, ...containersToReplace(options.drift, actual, options.prune)])
  for (const id of replaced) await removeContainer(id)
  const remaining = actual.filter((container) => !replaced.has(container.id))
  const changes = planChanges(snapshot.services, remaining, placed)
  for (const id of joinersToReplace(changes, remaining)) await stopAndRemoveContainer(id)
  if (options.prune) {
    const gone = new Set(changes.filter((change) => change.action === 'remove').map((change) => change.service))
    for (const container of remaining.filter((candidate) => gone.has(candidate.service))) await stopAndRemoveContainer(container.id)
  }
  const services = changes.filter((change) => change.action !== 'remove' && !FILE_CHANGE_ACTIONS.includes(change.action)).map((change) => change.service)
  if (services.length > 0) await composeUp(composeProjectOf(paths, snapshot), {signal: options.signal, services})
  for (const {container, signal} of fileChangeSteps(changes, remaining)) await (signal ? signalContainer(container.id, signal) : restartContainer(container.id))
  recordPlacedFiles(path.dirname(paths.indexFile), snapshot.services)
}

/** After a change of `docker.project_name`: the repository's containers under the old name are kedge's to remove. */
export async function removeOtherProject(repository: string, oldProject: string, newProject: string): Promise<void> {
  if (oldProject === newProject) return
  const old = (await listKedgeContainers(oldProject)).filter((container) => container.labels[LABELS.repository] === repository)
  for (const container of old) await removeContainer(container.id)
}

export function imagesOf(snapshot: StackSnapshot): string[] {
  return imagesOfServices(snapshot.services)
}

function imagesOfServices(services: readonly DesiredService[]): string[] {
  return services.map((service) => service.image).filter((image): image is string => image !== null)
}

