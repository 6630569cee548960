import type {DeploymentTrigger} from '../../model/repository/column-values.js'
import type {KedgeError} from '../../model/errors.js'
import type {DeploymentRow, StackTarget} from '../../model/rows.js'
import type {ServiceChange} from '../../model/stack/plan.js'
import {keptBuildOutput} from '../../model/compose/build-output.js'
import {BuildFailedError} from '../../ports/compose.js'
import type {DeploymentOutcome, StackChanges} from '../../ports/store.js'
import type {KedgeContext} from '../context.js'

/** What a deploy, a rollback or a heal ends with. */
export interface DeployOutcome {
  deployment: DeploymentRow
  /** The stack's name. */
  stack: string
  changes: ServiceChange[]
  /** Why it failed; null on success. */
  error: KedgeError | null
}

/** How an attempt that did its work is recorded: its row, and what the stack's row takes (the pin, the errors cleared). */
export interface AttemptSucceeded {
  outcome: DeploymentOutcome & {status: 'success' | 'rolled_back'}
  stackChanges?: StackChanges
}

/** How a failed attempt is recorded: the error (its message goes on the row and the stack) and the row's other fields. */
export interface AttemptFailed {
  error: KedgeError
  outcome: Omit<DeploymentOutcome, 'status' | 'error'>
}

export interface AttemptSteps {
  /** Does the attempt's work; whatever it throws is handed to `failed`. */
  work: () => Promise<AttemptSucceeded>
  /**
   * Makes the failure's record; runs before the row is finished, so it may do more work first (deploy's
   * automatic rollback). `engineLossesBefore` is the engine's connectionLosses as the attempt began (see
   * failedForTheHost).
   */
  failed: (caught: unknown, engineLossesBefore: number) => Promise<AttemptFailed>
}

/**
 * One attempt at a stack, as history shows it: a `pending` row for the commit, the work, then the row
 * finished as the work succeeded (and the stack's row updated) or failed (and the error recorded on the
 * stack; a build that failed leaves its output on the row). A row left `pending` by a crash is marked
 * interrupted by the lock's next holder. Its start and its end are announced (notifications, commit
 * status), which never changes or delays its outcome.
 */
export async function runAttempt(
  context: KedgeContext,
  target: StackTarget,
  start: {commit: string; trigger: DeploymentTrigger; previousCommit?: string | null},
  steps: AttemptSteps,
): Promise<{deployment: DeploymentRow; stack: string; error: KedgeError | null}> {
  const {store, announcer} = context
  const {repository, stack} = target
  const engineLossesBefore = context.engine.connectionLosses()
  const deployment = store.startDeployment({repositoryId: repository.id, stackId: stack.id, commit: start.commit, trigger: start.trigger, engineId: context.engineInUse?.id ?? null})
  announcer.announce({kind: 'deploy_started', target, deployment})
  const finished = (row: DeploymentRow) => announcer.announce({kind: 'deployment_finished', target, deployment: row, previousCommit: start.previousCommit ?? null})
  try {
    const {outcome, stackChanges} = await steps.work()
    const row = store.finishDeployment(deployment.id, outcome)
    // What runs now is this attempt's: a head found to leave the stack alone before no longer says so.
    store.updateStack(stack.id, {unchangedHead: null, ...stackChanges})
    finished(row)
    return {deployment: row, stack: stack.name, error: null}
  } catch (caught) {
    const {error, outcome} = await steps.failed(caught, engineLossesBefore)
    const buildOutput = caught instanceof BuildFailedError ? keptBuildOutput(caught.output) : null
    const failed: DeploymentOutcome = {...outcome, status: 'failed', error: error.message, ...(buildOutput === null ? {} : {buildOutput})}
    const row = store.finishDeployment(deployment.id, failed)
    store.recordStackError(stack.id, error)
    if (stack.unchangedHead) store.updateStack(stack.id, {unchangedHead: null})
    finished(row)
    return {deployment: row, stack: stack.name, error}
  }
}
