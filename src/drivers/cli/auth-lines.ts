import type {AuthView} from '../../model/repository/repository-view.js'

/**
 * What to show of a repository's credentials, as label and text pairs for the caller's own layout
 * (repo add, status): the kind, the deploy key's fingerprint, the host keys kedge trusts. Never a secret.
 */
export function authLines(auth: AuthView): Array<[label: string, text: string]> {
  switch (auth.kind) {
    case 'none':
      return []
    case 'token':
      return [['auth', 'token (stored encrypted)']]
    case 'token_env':
      return [['auth', `token from $${auth.tokenEnv}`]]
    case 'ssh_key': {
      const hostKeys = auth.hostKeys ?? []
      return [
        ['auth', `deploy key ${auth.keyFingerprint ?? ''} (stored encrypted)`],
        ...(hostKeys.length === 0
          ? [['host key', 'not known yet: accepted and recorded on first contact'] as [string, string]]
          : hostKeys.map((key): [string, string] => ['host key', `${key.hosts} ${key.type} ${key.fingerprint}`])),
      ]
    }
  }
}
