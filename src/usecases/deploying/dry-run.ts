import {randomBytes} from 'node:crypto'
import {mkdirSync, rmSync} from 'node:fs'
import path from 'node:path'

import {errorMessage, NotFoundError, quoted} from '../../model/errors.js'
import {isRootStack} from '../../model/stack/stack-names.js'
import {planChanges, type ServiceChange} from '../../model/stack/plan.js'
import {parseSnapshot} from '../../model/stack/stored-snapshot.js'
import type {KedgeContext} from '../context.js'
import {withRepositoryAccess} from '../repositories/credentials.js'
import {requireRepository} from '../repositories/require-repository.js'
import {stackPathsOf} from '../repositories/stack-paths.js'
import {readCheckoutStacks, type CheckoutStack} from '../stacks/checkout-stacks.js'
import {splitAddress, stackLabel} from '../stacks/stacks.js'
import {readDesiredStack} from './desired-stack.js'
import {listOwnedContainers} from './owned-containers.js'
import {changedReads} from './stack-changes.js'
import {onStackEngine} from '../engines/stack-engine.js'

/** What `kedge sync` would do to one stack. */
export interface DryRunStack {
  stack: string
  /** `<repository>/<stack>`, or the repository's name for its root stack. */
  address: string
  /** `deploy`: sync would apply it; `unchanged`: serve would leave it alone; `held`: kedge leaves it alone; `failed`: the commit cannot be applied. */
  action: 'deploy' | 'unchanged' | 'held' | 'failed'
  /** The files the stack reads that the branch head changes; null when that cannot be told (never deployed, the whole tree read). */
  changedFiles: string[] | null
  /** What applying it would create, recreate, start or remove. */
  changes: ServiceChange[]
  /** Why it cannot be applied, or why kedge leaves it alone. */
  reason: string | null
}

export interface DryRunResult {
  repo: string
  /** The branch head it read. */
  commit: string
  stacks: DryRunStack[]
}

/**
 * `kedge sync --dry-run`: which stacks the branch head would redeploy and why (the files it changes
 * that each reads), and what applying each would change. It reads the head from a clone of its own in
 * the home's staging directory, removed after, and records nothing: the repository's clone, its stacks,
 * the database and the host are left as they were, and no lock is taken.
 */
export async function dryRunSync(context: KedgeContext, address: string, options: {signal?: AbortSignal} = {}): Promise<DryRunResult> {
  const {repositoryName, stackName} = splitAddress(address)
  const repository = requireRepository(context, repositoryName)
  mkdirSync(context.home.stagingDir, {recursive: true})
  const staged = path.join(context.home.stagingDir, `${repository.name}-dry-run-${randomBytes(4).toString('hex')}`)
  try {
    await withRepositoryAccess(context, repository, (access) => context.git.cloneBranch(repository.url, repository.branch, staged, {signal: options.signal, access}))
    const commit = await context.git.checkoutHead(staged)
    const layout = readCheckoutStacks(context, repository, commit, {repoDir: staged, record: false})
    if (layout.error && layout.stacks.length === 0) throw layout.error
    const chosen = stackName === undefined ? layout.stacks : layout.stacks.filter((entry) => entry.target.stack.name.toLowerCase() === stackName.toLowerCase())
    if (chosen.length === 0) {
      throw new NotFoundError(`${repository.name} has no stack named ${quoted(stackName ?? '')} at ${commit.slice(0, 7)}`, {
        hint: `its stacks: ${layout.stacks.map((entry) => entry.target.stack.name).join(', ')}`,
      })
    }
    const stacks: DryRunStack[] = []
    for (const entry of chosen) stacks.push(await dryRunStack(context, entry, staged, commit, options.signal))
    return {repo: repository.name, commit, stacks}
  } finally {
    rmSync(staged, {recursive: true, force: true})
  }
}

async function dryRunStack(context: KedgeContext, {target, checkout}: CheckoutStack, staged: string, commit: string, signal?: AbortSignal): Promise<DryRunStack> {
  const shown = {stack: target.stack.name, address: stackLabel(target)}
  if (target.stack.hold) return {...shown, action: 'held', changedFiles: null, changes: [], reason: `held: ${target.stack.hold}`}
  if ('error' in checkout) return {...shown, action: 'failed', changedFiles: null, changes: [], reason: errorMessage(checkout.error)}
  context = await onStackEngine(context, target)
  const lastGood = target.stack.id < 0 ? undefined : context.store.lastGoodDeployment(target.stack.id)
  const deployed = parseSnapshot(lastGood?.snapshot ?? null, lastGood?.id ?? null)
  const changedFiles = deployed ? await changedReads(context, target, deployed, {repoDir: staged, commit}, signal) : null
  if (!isRootStack(target) && changedFiles?.length === 0) return {...shown, action: 'unchanged', changedFiles, changes: [], reason: null}
  try {
    const paths = {...stackPathsOf(context, target), repoDir: staged}
    const {snapshot} = await readDesiredStack(context, paths, target, commit, deployed, signal, {checkout})
    const actual = await listOwnedContainers(context, target.repository.name, snapshot.project, {deployedHere: deployed?.project === snapshot.project, services: snapshot.services})
    return {...shown, action: 'deploy', changedFiles, changes: planChanges(snapshot.services, actual, deployed?.services), reason: null}
  } catch (error) {
    return {...shown, action: 'failed', changedFiles, changes: [], reason: errorMessage(error)}
  }
}
