import {readFileSync} from 'node:fs'
import path from 'node:path'

import {registerSecret} from '../../model/secrets/redaction.js'

/** Files of the home that hold kedge's own secrets: the key that seals credentials, and the API's admin token. */
const SECRET_FILES = ['secret.key', 'admin.token']

/**
 * Makes kedge's own secrets known to redaction as soon as a process opens its home, before it runs any
 * tool: a commit can make Compose quote a file of the home (an env_file that is a symbolic link to
 * secret.key) in an error kedge logs and records. A file that is missing or cannot be read is left out:
 * it holds no secret yet, or none that the tools kedge runs, as the same user, could read either.
 */
export function registerHomeSecrets(homeRoot: string): void {
  for (const name of SECRET_FILES) {
    let content: string
    try {
      content = readFileSync(path.join(homeRoot, name), 'utf8')
    } catch {
      continue
    }
    registerSecret(content)
  }
}
