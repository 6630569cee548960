import {asKedgeError, InvalidInputError, isKedgeError, type KedgeError} from '../../model/errors.js'
import type {HoldTrigger, StackHold} from '../../model/repository/column-values.js'
import type {DeploymentRow, StackTarget} from '../../model/rows.js'
import {holdOf, holdRelease, type HoldView} from '../../model/stack/stack-hold.js'
import type {KedgeContext} from '../context.js'
import {withRepositoryLock} from '../deploying/lock.js'
import {requireRepository} from '../repositories/require-repository.js'
import {requireStacks, splitAddress, stackLabel, stacksOf} from './stacks.js'
import {takeDownStack, type StackTakenDown} from './take-down.js'
import {engineRowOf} from '../engines/stack-engine.js'

const HOLD_LOCK_WAIT_MS = 10 * 60_000

export interface HoldOptions {
  /** Who asked, for the history row's note: a user name, or "the API". */
  by: string
  signal?: AbortSignal
}

/** What `kedge down`, `suspend` or `resume` did to one stack. */
export interface HoldChange {
  /** How commands name the stack. */
  address: string
  stack: string
  /** The stack's hold afterwards. */
  hold: HoldView | null
  /** False when the stack already was as asked (or stays down, for resume): nothing was recorded. */
  changed: boolean
  /** The history row of the change; null when nothing was recorded. */
  deployment: DeploymentRow | null
  /** For down: what was taken off the host; null when kedge had put nothing of the stack there. */
  takenDown?: StackTakenDown | null
  /** Set when taking it down failed: the stack keeps the hold it had (none: kedge keeps acting on it). */
  error?: KedgeError
}

/**
 * `kedge down`: stops and removes the containers kedge labelled for each stack the address names, and
 * keeps them down (no deploy, no heal) until `kedge up`. Volumes and the stack directory stay. Each
 * stack records a `down` row in its history; one that fails to come down records it failed and is not
 * held.
 */
export async function downStacks(context: KedgeContext, address: string, options: HoldOptions): Promise<HoldChange[]> {
  return underLock(context, address, 'kedge down', options, async (targets) => {
    const changes: HoldChange[] = []
    for (const target of targets) changes.push(await downOne(context, target, options))
    return changes
  })
}

async function downOne(context: KedgeContext, target: StackTarget, options: HoldOptions): Promise<HoldChange> {
  const {store} = context
  const {stack} = target
  // A stack its repository no longer holds was settled then (taken down, or left running with prune off): it stays as it is.
  if (stack.hold === 'gone') return unchanged(target)
  const address = stackLabel(target)
  const row = startRow(context, target, 'down')
  try {
    context.progress.step(`${address}: taking the stack down`)
    const takenDown = await takeDownStack(context, target, {volumes: false})
    const heldAt = stack.hold === 'down' ? stack.heldAt : context.clock.now()
    // A stack without containers has no drift: what was recorded was of the containers it had.
    store.updateStack(stack.id, {hold: 'down', heldAt, drift: null, driftCheckedAt: null, lastError: null, lastErrorAt: null})
    const removed = takenDown?.containers.length ? `removed ${takenDown.containers.join(', ')}` : 'no container of it was running'
    const note = `taken down by ${options.by}: ${removed}; kept down until "kedge up ${address}"`
    const deployment = row && store.finishDeployment(row.id, {status: 'success', note})
    context.announcer.announce({kind: 'stack_held', target, hold: 'down', deployment, note})
    return {address, stack: stack.name, hold: holdOf({hold: 'down', heldAt}), changed: true, deployment, takenDown}
  } catch (caught) {
    const error = asKedgeError(caught, 'compose_failed')
    store.recordStackError(stack.id, error)
    const deployment = row && store.finishDeployment(row.id, {status: 'failed', error: error.message, note: `kedge down by ${options.by} failed`})
    // The row says it failed; an error kedge did not expect is still a bug, and reported as one.
    if (!isKedgeError(caught)) throw caught
    return {address, stack: stack.name, hold: holdOf(stack), changed: false, deployment, error}
  }
}

/** `kedge suspend`: kedge stops acting on the stacks (no deploy, no heal) and leaves their containers as they are, until `kedge resume`. A stack that is down stays down. */
export async function suspendStacks(context: KedgeContext, address: string, options: HoldOptions): Promise<HoldChange[]> {
  return underLock(context, address, 'kedge suspend', options, async (targets) =>
    targets.map((target) => {
      if (target.stack.hold) return unchanged(target)
      const note = `suspended by ${options.by}: kedge leaves it as it runs until "kedge resume ${stackLabel(target)}"`
      return setHold(context, target, 'suspended', 'suspend', note)
    }),
  )
}

/**
 * `kedge resume`: ends a suspension. It deploys nothing by itself: the next round of serve deploys the
 * branch head if it moved and heals drift, as usual. A stack that is down stays down (`kedge up` ends that).
 */
export async function resumeStacks(context: KedgeContext, address: string, options: HoldOptions): Promise<HoldChange[]> {
  return underLock(context, address, 'kedge resume', options, async (targets) =>
    targets.map((target) => {
      if (target.stack.hold !== 'suspended') return unchanged(target)
      return setHold(context, target, null, 'resume', `resumed by ${options.by}: the next round of serve deploys and heals it as usual`)
    }),
  )
}

/**
 * `kedge sync` and `kedge rollback` refuse a held stack (stack_held): the hold is the operator's word,
 * and only `up` or `resume` ends it. A stack the store does not know yet is not held.
 */
export function refuseHeld(context: Pick<KedgeContext, 'store'>, address: string, action: string): void {
  const {repositoryName, stackName} = splitAddress(address)
  const repository = requireRepository(context, repositoryName)
  const named = stacksOf(context, repository).filter((stack) => stackName === undefined || stack.name.toLowerCase() === stackName.toLowerCase())
  // A stack gone from the repository is settled by the fetched layout: the sync brings it back or leaves it.
  const held = named.filter((stack) => stack.hold === 'down' || stack.hold === 'suspended')
  const first = held[0]
  if (!first?.hold) return
  const target = {repository, stack: first}
  const others = held.length > 1 ? ` (and ${held.length - 1} more held stack${held.length > 2 ? 's' : ''})` : ''
  throw new InvalidInputError(`${stackLabel(target)} is ${first.hold}${others}: kedge does not ${action} it; nothing was changed`, {
    code: 'stack_held',
    hint: holdRelease(first.hold, stackLabel(target)),
  })
}

/** `kedge up` ends the stack's hold just before it deploys the branch head; the deploy's row (trigger `up`) records it. */
export function endHold(context: KedgeContext, {stack}: StackTarget): void {
  if (stack.hold) context.store.updateStack(stack.id, {hold: null, heldAt: null})
}

async function underLock(
  context: KedgeContext,
  address: string,
  purpose: string,
  options: HoldOptions,
  work: (targets: StackTarget[]) => Promise<HoldChange[]>,
): Promise<HoldChange[]> {
  const repository = requireRepository(context, splitAddress(address).repositoryName)
  return withRepositoryLock(context, repository, {purpose, waitMs: HOLD_LOCK_WAIT_MS, signal: options.signal}, async () => {
    // Read under the lock: a round that just ended may have recorded a stack, or another command a hold.
    const targets = requireStacks(context, address)
    if (targets.length === 0) throw new InvalidInputError(`${repository.name} has no stack yet`, {code: 'not_found', hint: `run "kedge sync --repo ${repository.name}" first`})
    return work(targets)
  })
}

function setHold(context: KedgeContext, target: StackTarget, hold: StackHold | null, trigger: HoldTrigger, note: string): HoldChange {
  const {store, clock} = context
  const heldAt = hold ? clock.now() : null
  const row = startRow(context, target, trigger)
  store.updateStack(target.stack.id, {hold, heldAt})
  const deployment = row && store.finishDeployment(row.id, {status: 'success', note})
  if (hold === 'suspended') context.announcer.announce({kind: 'stack_held', target, hold, deployment, note})
  return {address: stackLabel(target), stack: target.stack.name, hold: holdOf({hold, heldAt}), changed: true, deployment}
}

function unchanged(target: StackTarget): HoldChange {
  return {address: stackLabel(target), stack: target.stack.name, hold: holdOf(target.stack), changed: false, deployment: null}
}

/**
 * The history row of a hold, at the commit the stack runs (else the branch head last seen). A stack
 * kedge knows no commit of has no history yet, and gets no row: its hold still shows in `status`.
 */
function startRow(context: KedgeContext, target: StackTarget, trigger: HoldTrigger): DeploymentRow | null {
  const {repository, stack} = target
  const commit = context.store.lastAppliedDeployment(stack.id)?.commit ?? context.store.findRepository(repository.name)?.remoteHead ?? null
  if (commit === null) return null
  return context.store.startDeployment({repositoryId: repository.id, stackId: stack.id, commit, trigger, engineId: engineRowOf(context, target)?.id ?? null})
}
