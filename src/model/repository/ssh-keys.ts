import {createRequire} from 'node:module'

import {InvalidInputError} from '../errors.js'

export interface KnownHost {
  /** The host patterns of the line; hashed names (HashKnownHosts) are shown as such. */
  hosts: string
  type: string
  fingerprint: string
}

const KEY_TYPE = /^(ssh-|ecdsa-|sk-)/

/** OpenSSH's SHA256 fingerprint of a public key line (`type base64 [comment]`). */
export function fingerprintOf(publicKey: string): string {
  const blob = publicKey.trim().split(/\s+/)[1] ?? ''
  // Required on use: `repo list` and `status` show fingerprints only for repositories with host keys,
  // and loading Node's crypto would cost every other run of them over a millisecond.
  const {createHash} = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')
  return `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`
}

/** The keys of a known_hosts text; comments, blank lines and @revoked/@cert-authority markers' keys are skipped. */
export function parseKnownHosts(text: string): KnownHost[] {
  const hosts: KnownHost[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line.length === 0 || line.startsWith('#') || line.startsWith('@')) continue
    const [patterns, type, key] = line.split(/\s+/)
    if (!patterns || !type || !key || !KEY_TYPE.test(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) continue
    hosts.push({hosts: patterns.startsWith('|1|') ? '(hashed host name)' : patterns, type, fingerprint: fingerprintOf(`${type} ${key}`)})
  }
  return hosts
}

/** A --known-hosts file must hold at least one host key, or every connection would be refused. */
export function requireKnownHosts(text: string, source: string): string {
  if (parseKnownHosts(text).length === 0) {
    throw new InvalidInputError(`${source} holds no host key in known_hosts format`, {
      code: 'invalid_known_hosts',
      hint: 'create it with: ssh-keyscan -p PORT HOST > known_hosts',
    })
  }
  return text.endsWith('\n') ? text : `${text}\n`
}
