import type {ReadContext} from '../../usecases/context.js'

/**
 * What a command's body needs from whatever runs it (its oclif class, or the fast path in
 * bin/run.cjs): the home and its database, and output that passes through redaction.
 */
export interface CommandIO {
  context(): Promise<ReadContext>
  /** A line for people; nothing in JSON mode, where the command's result is printed instead. */
  log(message?: string): void
}
