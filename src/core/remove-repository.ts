import {existsSync, rmSync} from 'node:fs'

import {composeDown} from '../adapters/compose.js'
import {lastGoodDeployment} from '../store/deployments.js'
import {deleteRepository} from '../store/repositories.js'
import type {RepositoryRow} from '../store/schema.js'
import type {KedgeContext} from './context.js'
import {composeProjectOf, listOwnedContainers, stackPaths} from './deploy.js'
import {parseSnapshot} from './stack-snapshot.js'
import {withRepositoryLock} from './lock.js'
import {requireRepository} from './require-repository.js'

export interface RemoveRepositoryResult {
  name: string
  removed: true
  /** What `--down` did to the stack; null when it was not asked for. */
  down: {action: 'removed'; project: string} | {action: 'none'; reason: string} | null
  /** Where the stack's files stay when it keeps running. */
  keptStackDir: string | null
}

const REMOVE_LOCK_WAIT_MS = 60_000

/**
 * Forgets a repository. Without `down` its stack keeps running as it is, and so its files stay where
 * its bind mounts point; kedge never heals it again. With `down`, kedge takes it down first.
 */
export async function removeRepository(context: KedgeContext, name: string, options: {down: boolean}): Promise<RemoveRepositoryResult> {
  const repository = requireRepository(context, name)
  return withRepositoryLock(context, repository, {purpose: 'kedge repo remove', waitMs: REMOVE_LOCK_WAIT_MS}, async () => {
    const down = options.down ? await takeDownStack(context, repository) : null
    deleteRepository(context.db, repository.name)
    const paths = stackPaths(context, repository.name)
    rmSync(paths.repoDir, {recursive: true, force: true})
    rmSync(context.home.generatedDir(repository.name), {recursive: true, force: true})
    const keptStackDir = existsSync(paths.stackDir) && !options.down ? paths.stackDir : null
    if (options.down) rmSync(paths.stackDir, {recursive: true, force: true})
    return {name: repository.name, removed: true as const, down, keptStackDir}
  })
}

async function takeDownStack(context: KedgeContext, repository: RepositoryRow): Promise<RemoveRepositoryResult['down']> {
  const snapshot = parseSnapshot(lastGoodDeployment(context.db, repository.id)?.snapshot ?? null)
  const paths = stackPaths(context, repository.name)
  if (!snapshot || !existsSync(paths.overrideFile)) return {action: 'none', reason: 'kedge has not deployed this repository'}
  await listOwnedContainers(repository.name, snapshot.project)
  await composeDown(composeProjectOf(paths, snapshot))
  return {action: 'removed', project: snapshot.project}
}
