import type {AuthView} from '../core/repository-view.js'

/** The lines that tell which deploy key and which host keys a repository uses, for text output (repo add, status). */
export function authLines(auth: AuthView): string[] {
  if (auth.kind !== 'ssh_key') return auth.kind === 'none' ? [] : [`auth     ${auth.kind === 'token' ? 'token (stored encrypted)' : `token from $${auth.tokenEnv}`}`]
  const lines = [`auth     deploy key ${auth.keyFingerprint ?? ''} (stored encrypted)`]
  const hostKeys = auth.hostKeys ?? []
  if (hostKeys.length === 0) lines.push('host key not known yet: accepted and recorded on first contact')
  for (const key of hostKeys) lines.push(`host key ${key.hosts} ${key.type} ${key.fingerprint}`)
  return lines
}
