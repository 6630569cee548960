import type {Secrets} from '../../ports/secrets.js'
import {loadAdminToken} from './admin-token.js'
import {seal, unseal} from './secret-box.js'

/** The Secrets port over the home at `homeRoot`: its secret.key (or KEDGE_SECRET_KEY) and its admin.token (or KEDGE_ADMIN_TOKEN). */
export function homeSecrets(homeRoot: string): Secrets {
  return {
    seal: (plaintext, binding) => seal(homeRoot, plaintext, binding),
    open: (sealed, binding, owner, options) => unseal(homeRoot, sealed, binding, owner, options?.composite),
    adminToken: () => loadAdminToken(homeRoot),
  }
}
