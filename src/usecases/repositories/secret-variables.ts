import {registerSecretVariable} from '../../model/secrets/secret-environment.js'
import type {RepositoryRow} from '../../model/rows.js'
import type {ReadContext} from '../context.js'

/**
 * Tells the process which variables hold repositories' secrets, so that the tools it runs for any
 * stack never see them, whichever repository it works on. `rows`: the registry, when the caller has just read it.
 */
export function registerSecretVariables(context: Pick<ReadContext, 'store'>, rows?: Array<Pick<RepositoryRow, 'tokenEnv' | 'webhookSecretEnv'>>): void {
  const names = rows ? rows.flatMap((row) => [row.tokenEnv, row.webhookSecretEnv]) : context.store.secretVariableNames()
  for (const name of names) {
    if (name) registerSecretVariable(name)
  }
}
