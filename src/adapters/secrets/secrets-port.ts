import {randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {ExternalError} from '../../model/errors.js'

import type {Secrets} from '../../ports/secrets.js'
import {loadAdminToken} from './admin-token.js'
import {keyedDigest, seal, unseal} from './secret-box.js'

/** Names a file of age identities, for hosts that keep it outside kedge's home (a mounted secret, say). */
export const AGE_KEY_FILE_ENV = 'KEDGE_AGE_KEY_FILE'
/** An age key file holds a few lines; one far larger is not one. */
const AGE_KEY_FILE_MAX_BYTES = 64 * 1024

/** The Secrets port over the home at `homeRoot`: its secret.key (or KEDGE_SECRET_KEY), its admin.token (or KEDGE_ADMIN_TOKEN), and node:crypto's random bytes. */
export function homeSecrets(homeRoot: string): Secrets {
  return {
    seal: (plaintext, binding) => seal(homeRoot, plaintext, binding),
    open: (sealed, binding, owner, options) => unseal(homeRoot, sealed, binding, owner, options?.composite),
    adminToken: () => loadAdminToken(homeRoot),
    randomBytes: (count) => randomBytes(count),
    keyedDigest: (value, purpose) => keyedDigest(homeRoot, value, purpose),
    ageKeyFile: () => readAgeKeyFile(),
  }
}

function readAgeKeyFile(): {text: string; source: string} | null {
  const file = process.env[AGE_KEY_FILE_ENV]
  if (file === undefined || file === '') return null
  const source = `${AGE_KEY_FILE_ENV} (${file})`
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ExternalError(`${source} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`, {
      code: 'secret_key_unreadable',
      hint: `make the file readable by kedge's user, or unset ${AGE_KEY_FILE_ENV}`,
    })
  }
  if (text.length > AGE_KEY_FILE_MAX_BYTES) throw new ExternalError(`${source} is larger than an age key file (${AGE_KEY_FILE_MAX_BYTES} bytes)`, {code: 'secret_key_unreadable'})
  return {text, source}
}
