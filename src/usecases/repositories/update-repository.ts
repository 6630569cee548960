import {commitStatusSetting} from '../../model/notify/commit-status.js'
import {InvalidInputError} from '../../model/errors.js'
import type {AuthKind} from '../../model/repository/column-values.js'
import type {RepositoryChanges} from '../../ports/store.js'
import type {KedgeContext} from '../context.js'
import {choosesEngine, registerChosenEngine, resolveEngineChoice, type EngineChoice} from '../engines/engine-choice.js'
import {engineName, engineRowOf, engineRowOfDeployment} from '../engines/stack-engine.js'
import {requireOneStack, stackLabel} from '../stacks/stacks.js'
import type {RepositoryRow, StackTarget} from '../../model/rows.js'
import {repositoryView} from './list-repositories.js'
import {parseInterval} from '../../model/repository/repository-interval.js'
import {requireRepository} from './require-repository.js'
import {unknownBranch, validateBranchName} from '../../model/repository/branch-name.js'
import {withRepositoryAccess} from './credentials.js'
import type {RepositoryView} from '../../model/repository/repository-view.js'

export interface RepositorySettings {
  /** The branch to deploy from now on: it must exist on the remote. serve deploys its head at the next round. */
  branch?: string
  /** A duration, or null to defer to kedge.yaml and serve's default again. */
  interval?: string | null
  /** Whether the repository's hooks may run on the host. */
  allowHooks?: boolean
  /** The forge to post commit statuses to (a name, `auto`, or `off`). */
  commitStatus?: string
  /** The forge's API base, when the remote's URL does not imply it; null for the implied one. */
  commitStatusApi?: string | null
  /** The engine its stacks run on from now on: refused while one of them runs on another. */
  engine?: EngineChoice
}

/**
 * Changes what can change without cloning again; a running serve picks it up at the repository's next
 * round. Every setting is checked before any is written: a refused one changes nothing.
 */
export async function updateRepositorySettings(context: KedgeContext, name: string, settings: RepositorySettings): Promise<RepositoryView> {
  return (await planRepositorySettings(context, name, settings)).apply()
}

/**
 * The settings checked, and how to write them: a command that changes something else too (repo set's
 * local env file) checks everything before it writes anything.
 */
export async function planRepositorySettings(context: KedgeContext, name: string, settings: RepositorySettings): Promise<{apply: () => RepositoryView}> {
  const repository = requireRepository(context, name)
  const changes: RepositoryChanges = {}
  const branch = settings.branch === undefined ? undefined : validateBranchName(settings.branch)
  if (settings.interval !== undefined) changes.intervalMs = settings.interval === null ? null : parseInterval(settings.interval)
  if (settings.allowHooks !== undefined) changes.allowHooks = settings.allowHooks
  if (settings.commitStatus !== undefined || settings.commitStatusApi !== undefined) {
    const requested = settings.commitStatus ?? repository.commitStatus ?? 'off'
    const api = settings.commitStatusApi === undefined ? repository.commitStatusApi : settings.commitStatusApi
    if (requested === 'off' && settings.commitStatusApi) throw apiWithoutForge()
    const status = commitStatusSetting(repository.url, requested, api)
    if (status.commitStatus !== null) requireTokenAuth(repository.authKind, repository.name)
    Object.assign(changes, status)
  }
  const engineChoice = settings.engine && choosesEngine(settings.engine) ? resolveEngineChoice(context, settings.engine) : null
  if (engineChoice) refuseMovingRunningStacks(context, repository, 'row' in engineChoice ? (engineChoice.row?.id ?? null) : -1)
  // Asked last, once everything that needs no remote passed: a branch the remote does not have is refused.
  let branchMoved = false
  if (branch !== undefined && branch !== repository.branch) {
    const {value: heads} = await withRepositoryAccess(context, repository, (access) => context.git.remoteBranches(repository.url, {access}))
    const head = heads.get(branch)
    if (head === undefined) throw unknownBranch(branch, repository.url, [...heads.keys()])
    // What was known of the old branch (its head, a change waiting on it, its poll's error) is not the new one's.
    Object.assign(changes, {branch, remoteHead: head, remoteCheckedAt: context.clock.now(), lastError: null, lastErrorAt: null})
    branchMoved = true
  }
  return {
    apply: () => {
      if (branchMoved) for (const stack of context.store.listStacks(repository.id)) context.store.updateStack(stack.id, {pendingCommit: null, pendingChanges: null})
      if (engineChoice) changes.engineId = registerChosenEngine(context, engineChoice)?.id ?? null
      if (Object.keys(changes).length > 0) context.store.updateRepository(repository.id, changes)
      return repositoryView(context, name)
    },
  }
}

/** A commit status is posted with the repository's token: a repository reached otherwise has none to post it with. */
export function requireTokenAuth(authKind: AuthKind | null, name: string): void {
  if (authKind === 'token' || authKind === 'token_env') return
  const how = authKind === 'ssh_key' ? 'with an ssh key' : 'without credentials of its own'
  throw new InvalidInputError(`${name} is reached ${how}: kedge has no token to post commit statuses with`, {
    hint: 'register the repository with --token-stdin or --token-env (a token that may write commit statuses)',
  })
}

export function apiWithoutForge(): InvalidInputError {
  return new InvalidInputError('--commit-status-api names the API of a forge, and no forge is chosen', {hint: 'add --commit-status github, gitea or gitlab'})
}

/**
 * A stack that runs (its newest applied deployment ran, and it was not taken down since) stays where it
 * runs: moving the setting under it would leave its containers on the old engine, unwatched, and start a
 * second copy on the new one. `engineId` -1 is an engine not registered yet, where nothing runs.
 */
function refuseMovingRunningStacks(context: KedgeContext, repository: RepositoryRow, engineId: number | null): void {
  // A stack with an engine of its own stays on it, whatever its repository's setting.
  for (const stack of context.store.listStacks(repository.id)) if (stack.engineId === null) refuseMovingRunningStack(context, {repository, stack}, engineId)
}

/**
 * A stack that runs (its newest applied deployment ran, and it was not taken down since) stays where it
 * runs: moving the setting under it would leave its containers on the old engine, unwatched, and start a
 * second copy on the new one. `engineId` -1 is an engine not registered yet, where nothing runs.
 */
function refuseMovingRunningStack(context: KedgeContext, {repository, stack}: StackTarget, engineId: number | null): void {
  if (stack.hold === 'down') return
  const applied = context.store.lastAppliedDeployment(stack.id)
  if (!applied || (applied.engineId ?? null) === engineId) return
  const where = engineName(engineRowOfDeployment(context, applied))
  throw new InvalidInputError(`stack ${repository.name}/${stack.name} runs on engine ${where}: kedge will not move it while it runs`, {
    code: 'stack_running',
    hint: `take it down first ("kedge down ${repository.name}/${stack.name}"), set the engine, then "kedge up ${repository.name}/${stack.name}"`,
  })
}

/**
 * One stack's engine, over its repository's (`repo set NAME/STACK --engine`); "local" is the local engine
 * and `--engine repository` follows the repository's again. Refused while the stack runs elsewhere.
 */
export function setStackEngine(context: KedgeContext, address: string, choice: EngineChoice): {stack: string; engine: string} {
  const target = requireOneStack(context, address)
  const followsRepository = choice.engine === FOLLOW_REPOSITORY
  const resolved = followsRepository ? null : resolveEngineChoice(context, choice)
  const wanted = followsRepository ? target.repository.engineId : resolved && 'row' in resolved ? (resolved.row?.id ?? null) : -1
  refuseMovingRunningStack(context, target, wanted)
  // A stack set to "local" keeps a setting of its own (null would follow its repository): the local engine has no row, so it is stored as the repository's when that is local too.
  const engineId = followsRepository ? null : registerChosenEngine(context, resolved!)?.id ?? null
  if (!followsRepository && engineId === null && target.repository.engineId !== null) {
    throw new InvalidInputError(`stack ${address} cannot be set to the local engine while its repository runs on another`, {
      code: 'invalid_usage',
      hint: `set the repository's engine instead ("kedge repo set ${target.repository.name} --engine local"), and the other stacks to theirs`,
    })
  }
  context.store.updateStack(target.stack.id, {engineId})
  const row = engineRowOf(context, {repository: target.repository, stack: {...target.stack, engineId}})
  return {stack: stackLabel(target), engine: engineName(row)}
}

/** `--engine repository` for one stack: it follows its repository's engine again. */
export const FOLLOW_REPOSITORY = 'repository'
