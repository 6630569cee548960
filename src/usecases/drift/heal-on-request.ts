import {ExternalError, InvalidInputError, type KedgeError, NotFoundError} from '../../model/errors.js'
import type {DeploymentRow} from '../../model/rows.js'
import {holdRelease} from '../../model/stack/stack-hold.js'
import type {KedgeContext} from '../context.js'
import {describeHolder, withRepositoryLock} from '../deploying/lock.js'
import {SYNC_LOCK_WAIT_MS} from '../deploying/sync.js'
import {requireRepository} from '../repositories/require-repository.js'
import {requireSomeStacks, splitAddress, stackLabel} from '../stacks/stacks.js'
import {healLocked, type HealResult} from './heal.js'

/** What a heal asked for did to one stack. */
export interface HealOnRequest {
  stack: string
  /** How commands name it: `<repository>`, or `<repository>/<stack>`. */
  address: string
  /**
   * `healed`; `in-sync` when there was nothing to heal; `skipped` when the stack, one of several the
   * address named, cannot be healed now (held, gone, nothing deployed): `reason` says why.
   */
  result: 'healed' | 'in-sync' | 'skipped'
  reason: string | null
  /** The heal's deployment; none when there was nothing to heal. */
  deployment: DeploymentRow | null
  /** Why the stack could not be healed, or why its heal failed; null when it was healed or in sync. */
  error: KedgeError | null
}

/**
 * Heals the stacks of an address now, whatever their mode: the deployed commit is applied again to
 * what drifted from it, as serve heals in `auto` mode, and nothing else is deployed (a commit waiting
 * in `notify` or `manual` mode still waits). For the API's and the dashboard's Heal.
 */
export async function healOnRequest(context: KedgeContext, address: string, options: {signal?: AbortSignal} = {}): Promise<HealOnRequest[]> {
  const repository = requireRepository(context, splitAddress(address).repositoryName)
  // As a sync does, it waits for a round of serve (its drift check, say) to let go of the repository.
  const lockOptions = {purpose: 'a heal asked for', waitMs: SYNC_LOCK_WAIT_MS, signal: options.signal}
  return withRepositoryLock(context, repository, lockOptions, async () => {
    const results: HealOnRequest[] = []
    // Read under the lock: the drift to heal is the one recorded last.
    const targets = requireSomeStacks(context, address)
    for (const target of targets) {
      const healed = await healLocked(context, target, {byOperator: true, signal: options.signal})
      const result = resultOf(healed, target.stack.name, stackLabel(target))
      // Of several stacks, one that cannot be healed now is passed over, as `sync` passes over a stack it may not deploy: the others are healed.
      results.push(result.error && targets.length > 1 && healed.kind !== 'healed' ? {...result, result: 'skipped', reason: result.error.message, error: null} : result)
    }
    return results
  })
}

/** `label` is how commands name the stack (its address). */
function resultOf(healed: HealResult, stack: string, label: string): HealOnRequest {
  const refused = (error: KedgeError): HealOnRequest => ({stack, address: label, result: 'skipped', reason: error.message, deployment: null, error})
  switch (healed.kind) {
    case 'healed':
      return {stack, address: label, result: 'healed', reason: null, deployment: healed.outcome.deployment, error: healed.outcome.error}
    // An operator's heal is neither left to the mode nor stopped by the flap guard: those two are kedge's own answers.
    case 'in-sync':
    case 'recorded':
    case 'flapping':
      return {stack, address: label, result: 'in-sync', reason: null, deployment: null, error: null}
    case 'nothing-deployed':
      return refused(new NotFoundError(`${label} has nothing deployed to heal`, {hint: `run "kedge sync ${label}" to deploy it`}))
    case 'busy':
      return refused(new ExternalError(`${label} is busy: ${describeHolder(healed.holder)}`, {code: 'busy', hint: 'try again once it is done'}))
    case 'stack-held':
      return refused(new InvalidInputError(`${label} is ${healed.hold.kind}`, {code: 'stack_held', hint: holdRelease(healed.hold.kind, label)}))
    case 'held':
      return refused(new InvalidInputError(`${label} is not healed: ${healed.reason}`, {code: 'stack_held', hint: `deploy a commit that comes up ("kedge sync ${label}"), or roll back`}))
  }
}
