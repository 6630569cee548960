import type {ReconciliationMode} from '../../model/config/reconciliation-mode.js'
import type {HoldView} from '../../model/stack/stack-hold.js'
import type {StackHealth} from '../../model/stack/stack-health.js'
import type {Git} from '../../ports/git.js'
import type {ReadContext} from '../context.js'
import {repositoryStatuses, type RepositoryStatus} from '../repositories/repository-status.js'

/** One stack as the dashboard's overview lists it. */
export interface StackOverview {
  /** How commands name it: the repository's name for its root stack, else `<repository>/<stack>`. */
  address: string
  repo: string
  stack: string
  /** The repository's own stack, kept beside its kedge.yaml: the API names it by the repository alone. */
  root: boolean
  health: StackHealth
  mode: ReconciliationMode
  branch: string
  deployed: RepositoryStatus['deployed']
  head: RepositoryStatus['head']
  /** How many commits the branch head is ahead of the deployed commit; null when unknown (nothing deployed, or a commit not in the clone). */
  behind: number | null
  lastDeployment: (NonNullable<RepositoryStatus['lastDeployment']> & {seconds: number | null}) | null
  driftCount: number
  hold: HoldView | null
  lastError: RepositoryStatus['lastError']
  /** The engine it runs on: "local", or a registered engine's name. */
  engine: string
}

/** Every stack of every repository, with its health, newest first by nothing: the dashboard sorts. */
export async function stacksOverview(context: ReadContext & {git: Pick<Git, 'commitsAhead'>}): Promise<StackOverview[]> {
  const statuses = await repositoryStatuses(context)
  return Promise.all(statuses.map(async (status) => overviewOf(status, await behindOf(context, status))))
}

export function overviewOf(status: RepositoryStatus, behind: number | null): StackOverview {
  const last = status.lastDeployment
  const driftCount = status.drift.entries.length
  return {
    address: status.address,
    repo: status.name,
    stack: status.stack,
    root: status.address === status.name,
    health: status.health,
    mode: status.mode,
    branch: status.branch,
    deployed: status.deployed,
    head: status.head,
    behind,
    lastDeployment: last ? {...last, seconds: last.finishedAt ? Math.max(0, (Date.parse(last.finishedAt) - Date.parse(last.startedAt)) / 1000) : null} : null,
    driftCount,
    hold: status.hold,
    lastError: status.lastError,
    engine: status.engine,
  }
}

/** Counted only when the two differ: an in-sync stack costs no git process. */
async function behindOf(context: ReadContext & {git: Pick<Git, 'commitsAhead'>}, status: RepositoryStatus): Promise<number | null> {
  if (!status.deployed || !status.head || status.rowError) return null
  // In sync through a head that changed nothing of the stack (another stack's commit, a README) is no commit
  // behind; in sync with a pin is not: the branch went on without it.
  if ((status.inSync && !status.pinned) || status.deployed.commit === status.head.commit) return 0
  // Unknown (null) when git cannot tell, a commit missing from the clone say: the repository's own round reports a broken clone.
  return context.git.commitsAhead(context.home.repoDir(status.name), status.deployed.commit, status.head.commit)
}
