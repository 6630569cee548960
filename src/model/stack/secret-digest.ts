import {createHash} from 'node:crypto'

/**
 * A service's hash once the SOPS files it uses are counted in: `digest` is the keyed digest of their
 * plaintext (stack-secrets.ts), never the plaintext, so a changed secret changes the hash of exactly the
 * services that use it. A service that uses none keeps its hash as it was.
 */
export function withSecretsDigest(hash: string, digest: string | undefined): string {
  if (digest === undefined) return hash
  return createHash('sha256').update(hash).update('\nsops ').update(digest).digest('hex').slice(0, 32)
}
