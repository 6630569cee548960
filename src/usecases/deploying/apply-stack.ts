import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {FILE_CHANGE_ACTIONS} from '../../model/compose/mounted-files.js'
import {renderOverrideFile} from '../../model/compose/override-file.js'
import {isInterruptedRecreate, type StackContainer} from '../../model/stack/containers.js'
import {containersToReplace, type Drift} from '../../model/stack/drift.js'
import {joinersToReplace, planChanges} from '../../model/stack/plan.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import {snapshotConfig} from '../../model/stack/snapshot-config.js'
import type {RepositoryRow} from '../../model/rows.js'
import type {KedgeContext} from '../context.js'
import type {StackPaths} from '../repositories/stack-paths.js'
import {composeProjectOf} from './compose-project.js'
import {fileChangeSteps, placeKeepingMountedInodes, readPlacedFiles, recordPlacedFiles} from './file-change.js'
import {upWithSecrets} from './secrets-up.js'

/**
 * Puts the commit's files in the stack directory, writes kedge's override file beside them and runs
 * `up` for the services that need it, and no others (see UpOptions.services). First it removes the
 * containers `up` cannot put right (all of them kedge's own, by label): leftovers of a Compose v1
 * recreate that was cut short, drifted ones (see containersToReplace), and with `prune` those of
 * services the commit no longer has. Deploys, rollbacks and heals all apply a stack through here.
 */
export async function applyStack(
  context: KedgeContext,
  paths: StackPaths,
  repository: Pick<RepositoryRow, 'name' | 'ageKey'>,
  snapshot: StackSnapshot,
  actual: StackContainer[],
  options: {drift: Drift[]; prune: boolean; signal?: AbortSignal; tree?: string},
): Promise<void> {
  const {engine} = context
  mkdirSync(paths.stackDir, {recursive: true})
  mkdirSync(path.dirname(paths.indexFile), {recursive: true})
  const placed = readPlacedFiles(path.dirname(paths.indexFile))
  await placeKeepingMountedInodes(paths.stackDir, snapshot.services, () =>
    context.git.updateTree(paths.repoDir, options.tree ?? snapshot.commit, paths.stackDir, paths.indexFile, options.signal, snapshot.placedPaths),
  )
  writeFileSync(paths.overrideFile, renderOverrideFile(repository.name, snapshot))
  const leftovers = actual.filter((container) => isInterruptedRecreate(container, snapshot.project)).map((container) => container.id)
  const replaced = new Set([...leftovers, ...containersToReplace(options.drift, actual, options.prune)])
  for (const id of replaced) await engine.removeContainer(id)
  const remaining = actual.filter((container) => !replaced.has(container.id))
  const changes = planChanges(snapshot.services, remaining, placed)
  for (const id of joinersToReplace(changes, remaining)) await engine.stopAndRemoveContainer(id)
  if (options.prune) {
    const gone = new Set(changes.filter((change) => change.action === 'remove').map((change) => change.service))
    for (const container of remaining.filter((candidate) => gone.has(candidate.service))) await engine.stopAndRemoveContainer(container.id)
  }
  const services = changes.filter((change) => change.action !== 'remove' && !FILE_CHANGE_ACTIONS.includes(change.action)).map((change) => change.service)
  if (services.length > 0) {
    const declared = snapshotConfig(snapshot).secrets
    if (declared.length === 0) await context.compose.up(composeProjectOf(paths, snapshot), {signal: options.signal, services})
    else await upWithSecrets(context, paths, repository, snapshot, declared, services, options.signal)
  }
  for (const {container, signal} of fileChangeSteps(changes, remaining)) {
    await (signal ? engine.signalContainer(container.id, signal) : engine.restartContainer(container.id))
  }
  recordPlacedFiles(path.dirname(paths.indexFile), snapshot.services)
}
