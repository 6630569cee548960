import type {StackRow} from '../rows.js'
import {holdOf, type HoldView} from './stack-hold.js'

/** A stack's part in a round that has nothing to do for it, as the poll's decision names it. */
export type QuietVerdict =
  | {kind: 'up-to-date'; commit: string}
  | {kind: 'pinned'; commit: string}
  | {kind: 'stack-held'; hold: HoldView}
  | {kind: 'gone'; commit: string; prune: false}

/**
 * What the branch head `head` calls for, for a stack, when it calls for nothing: no deploy, no fetch,
 * nothing written on the stack's row. Null when the round has something to do or to record for it (a
 * commit to deploy, a pin the branch moved past, an error or a pending change to clear), which the
 * round decides under the repository's lock. `lastGood` is the stack's last good deployment.
 */
export function quietVerdict(stack: StackRow, head: string, lastGood: {commit: string} | undefined): QuietVerdict | null {
  // A stack gone from the repository is looked for again in every head it was not looked for in.
  if (stack.hold === 'gone') return stack.unchangedHead === head ? {kind: 'gone', commit: head, prune: false} : null
  const hold = holdOf(stack)
  if (hold) return {kind: 'stack-held', hold}
  if (stack.pinnedCommit) {
    // A rollback holds until the branch moves past the head it rolled back from.
    const holds = head === stack.pinnedAtHead || head === stack.pinnedCommit
    return holds && !stack.lastError ? {kind: 'pinned', commit: stack.pinnedCommit} : null
  }
  const runsHead = lastGood !== undefined && (lastGood.commit === head || stack.unchangedHead === head)
  return runsHead && !stack.pendingCommit && !stack.lastError ? {kind: 'up-to-date', commit: head} : null
}
