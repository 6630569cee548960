import {randomBytes} from 'node:crypto'

import type {Secrets} from '../../ports/secrets.js'
import {loadAdminToken} from './admin-token.js'
import {seal, unseal} from './secret-box.js'

/** The Secrets port over the home at `homeRoot`: its secret.key (or KEDGE_SECRET_KEY), its admin.token (or KEDGE_ADMIN_TOKEN), and node:crypto's random bytes. */
export function homeSecrets(homeRoot: string): Secrets {
  return {
    seal: (plaintext, binding) => seal(homeRoot, plaintext, binding),
    open: (sealed, binding, owner, options) => unseal(homeRoot, sealed, binding, owner, options?.composite),
    adminToken: () => loadAdminToken(homeRoot),
    randomBytes: (count) => randomBytes(count),
  }
}
