import type {KedgeError} from '../../model/errors.js'
import type {KedgeContext} from '../context.js'

/** Why an attempt recorded as cut short by the host is tried again rather than held against its commit. */
export const HOST_FAILED_NOTE = 'cut short by the host (its Docker engine or its disk); tried again once it is back'

/**
 * Whether a deploy or heal failed because of the host rather than the stack: the kedge home's disk, a
 * Docker engine that could not be reached, one that does not answer now, or one kedge lost since the
 * attempt began (`engineLossesBefore`, Engine.connectionLosses when it began). A daemon restarting stops
 * its containers first, so its failure can look like the stack's own; and one restarted within a second
 * answers again by the time the failure is seen. Such an attempt is recorded as interrupted: it is
 * retried, not rolled back (a rollback needs the same host), and not counted by the flap guard.
 */
export async function failedForTheHost(context: KedgeContext, error: KedgeError, engineLossesBefore: number): Promise<boolean> {
  if (context.store.isStorageFault(error) || error.code === 'engine_unavailable') return true
  return context.engine.connectionLosses() > engineLossesBefore || !(await context.engine.answers())
}

/** How a failed attempt is recorded: as interrupted, its note naming the host, when the host or kedge's own stop cut it short. */
export async function failedAttempt(
  context: KedgeContext,
  error: KedgeError,
  note: string | null,
  engineLossesBefore: number,
  signal?: AbortSignal,
): Promise<{interrupted: boolean; note: string | null}> {
  if (signal?.aborted === true) return {interrupted: true, note}
  if (!(await failedForTheHost(context, error, engineLossesBefore))) return {interrupted: false, note}
  return {interrupted: true, note: note ? `${note} (${HOST_FAILED_NOTE})` : HOST_FAILED_NOTE}
}
