import type {StackHold} from '../repository/column-values.js'
import type {StackRow} from '../rows.js'

/** A stack kedge leaves alone on purpose, as `status` and the API show it. */
export interface HoldView {
  kind: StackHold
  /** When it was set (ISO 8601); null when the row does not say. */
  since: string | null
}

export function holdOf(stack: Pick<StackRow, 'hold' | 'heldAt'>): HoldView | null {
  return stack.hold ? {kind: stack.hold, since: stack.heldAt?.toISOString() ?? null} : null
}

/** What ends a hold, for a person: `address` is how commands name the stack. */
export function holdRelease(kind: StackHold, address: string): string {
  if (kind === 'gone') return 'its repository no longer holds it; a commit that holds it again brings it back'
  return kind === 'down' ? `"kedge up ${address}" deploys it again` : `"kedge resume ${address}" lets kedge act on it again`
}
