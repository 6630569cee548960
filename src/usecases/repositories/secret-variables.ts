import {registerSecretVariable} from '../../model/secrets/secret-environment.js'
import {secretVariableNames} from '../../store/repositories.js'
import type {RepositoryRow} from '../../store/schema.js'
import type {ReadContext} from '../context.js'

/**
 * Tells the process which variables hold repositories' secrets, so that the tools it runs for any
 * stack never see them, whichever repository it works on. `rows`: the registry, when the caller has just read it.
 */
export function registerSecretVariables(context: ReadContext, rows?: RepositoryRow[]): void {
  const names = rows ? rows.flatMap((row) => [row.tokenEnv, row.webhookSecretEnv]) : secretVariableNames(context.db)
  for (const name of names) {
    if (name) registerSecretVariable(name)
  }
}
