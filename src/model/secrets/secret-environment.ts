import {registerSecret} from './redaction.js'

/**
 * Environment variables that hold credentials (a repository's --token-env): kedge reads them, but the
 * tools it runs for a stack must not see them, or a compose file could put them into a container.
 */
const secretVariables = new Set<string>()

export function registerSecretVariable(name: string): void {
  secretVariables.add(name)
  registerSecret(process.env[name])
}

/** kedge's own variables (KEDGE_SECRET_KEY, ...) and the registered ones are left out. */
export function environmentWithoutSecrets(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !isKedgeVariable(name) && !secretVariables.has(name)))
}

/**
 * KEDGE_* variables are kedge's own, and some hold its secrets (KEDGE_SECRET_KEY, KEDGE_ADMIN_TOKEN):
 * never a repository's token, which kedge sends to whatever URL the repository names.
 */
export function isKedgeVariable(name: string): boolean {
  return name.startsWith('KEDGE_')
}
