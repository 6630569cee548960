import {createHash} from 'node:crypto'

import type {SecretFile} from '../../model/config/secrets-config.js'
import {ExternalError, InvalidInputError} from '../../model/errors.js'
import type {RepositoryRow} from '../../model/rows.js'
import {parseAgeIdentities} from '../../model/secrets/age-identities.js'
import {registerSecret} from '../../model/secrets/redaction.js'
import type {DecryptedSecret} from '../../ports/sops.js'
import type {KedgeContext} from '../context.js'

/** A SOPS file holds a stack's secrets, not data: one far larger is refused before it is parsed. */
export const SECRET_FILE_MAX_BYTES = 1024 * 1024

/** Which purpose the keyed digests of plaintext are made for (Secrets.keyedDigest). */
const DIGEST_PURPOSE = 'sops plaintext'

export interface OpenedSecret {
  declared: SecretFile
  secret: DecryptedSecret
}

/**
 * The age identities a repository's SOPS files are decrypted with: those stored with `repo set
 * --age-key-stdin`, and those of the file KEDGE_AGE_KEY_FILE names. Each is known to redaction once read.
 */
export function ageIdentitiesOf(context: Pick<KedgeContext, 'secrets'>, repository: Pick<RepositoryRow, 'name' | 'ageKey'>): string[] {
  const identities: string[] = []
  if (repository.ageKey) {
    const text = context.secrets.open(repository.ageKey, ageKeyBinding(repository.name), `the age key of repository "${repository.name}"`)
    identities.push(...parseAgeIdentities(text, `the age key of repository "${repository.name}"`))
  }
  const file = context.secrets.ageKeyFile()
  if (file) identities.push(...parseAgeIdentities(file.text, file.source))
  return identities
}

export function ageKeyBinding(repositoryName: string): string {
  return `repository:${repositoryName}:age_key`
}

/**
 * Decrypts the SOPS files `declared` names, read from `root` (the clone, or the stack directory once the
 * commit's files are placed there), in memory. Every value is registered with redaction before anything
 * could print it. Fails before anything on the host changes: a file missing from the commit or not SOPS
 * (invalid_secret_file), no identity (age_key_missing), none that opens it, or a file changed since it
 * was encrypted (secret_undecryptable, secret_tampered).
 */
export async function openStackSecrets(
  context: Pick<KedgeContext, 'secrets' | 'sops' | 'files'>,
  repository: Pick<RepositoryRow, 'name' | 'ageKey'>,
  root: string,
  declared: readonly SecretFile[],
): Promise<OpenedSecret[]> {
  if (declared.length === 0) return []
  const identities = ageIdentitiesOf(context, repository)
  if (identities.length === 0) {
    throw new ExternalError(`kedge.yaml declares SOPS files (${declared.map((entry) => entry.file).join(', ')}), and kedge has no age identity for repository "${repository.name}"`, {
      code: 'age_key_missing',
      hint: `give it one: kedge repo set ${repository.name} --age-key-stdin < keys.txt, or set KEDGE_AGE_KEY_FILE`,
    })
  }
  const opened: OpenedSecret[] = []
  for (const entry of declared) {
    const content = context.files.readText(root, entry.file, SECRET_FILE_MAX_BYTES)
    if (content === null) {
      throw new InvalidInputError(`${entry.file}: kedge.yaml declares it as a SOPS file, and the commit has no such file`, {
        code: 'invalid_secret_file',
        hint: 'commit the encrypted file, or remove it from kedge.yaml\'s secrets',
      })
    }
    const secret = await decrypted(context, content, entry, identities)
    registerSecret(secret.text)
    for (const [, value] of secret.entries ?? []) registerSecret(value)
    opened.push({declared: entry, secret})
  }
  return opened
}

/**
 * A SOPS file's plaintext. A `binary` one is SOPS's JSON wrapping of any file: its plaintext is the
 * `data` it holds, put in the containers as the file it was.
 */
async function decrypted(context: Pick<KedgeContext, 'sops'>, content: string, entry: SecretFile, identities: readonly string[]): Promise<DecryptedSecret> {
  if (entry.format !== 'binary') return context.sops.decrypt(content, entry.format, identities, entry.file)
  const wrapped = await context.sops.decrypt(content, 'json', identities, entry.file)
  const data = wrapped.entries?.find(([name]) => name === 'data')?.[1]
  if (data === undefined) {
    throw new InvalidInputError(`${entry.file}: a binary SOPS file holds its content as "data", and this one does not`, {
      code: 'invalid_secret_file',
      hint: 'encrypt it with sops --input-type binary, or name its format',
    })
  }
  return {text: data, entries: null}
}

/** Whether a declared secret is for `service`: the ones it lists, or every service when it lists none. */
export function usesSecret(declared: SecretFile, service: string): boolean {
  return declared.services === undefined || declared.services.includes(service)
}

/**
 * Each service's digest of the secrets it uses (withSecretsDigest), from keyed digests of their plaintext:
 * the digest shows on its containers' labels, and an HMAC lets no one who reads it test a guess of a secret.
 * A service that uses none has none.
 */
export function secretDigests(context: Pick<KedgeContext, 'secrets'>, opened: readonly OpenedSecret[], services: readonly string[]): Map<string, string> {
  const digests = new Map<string, string>()
  // Where the plaintext goes is part of what the service is given: a new target or mode recreates it too.
  const keyed = opened.map(({declared, secret}) => `${declared.file}\0${declared.target ?? 'environment'}\0${declared.mode ?? ''}\0${context.secrets.keyedDigest(secret.text, DIGEST_PURPOSE)}`)
  for (const service of services) {
    const used = opened.flatMap((entry, index) => (usesSecret(entry.declared, service) ? [keyed[index]!] : []))
    if (used.length > 0) digests.set(service, createHash('sha256').update(used.join('\n')).digest('hex'))
  }
  return digests
}

/** A secret handed to Compose as an env file: dotenv text Compose reads as it reads any env file. A YAML or JSON file must be a flat mapping for that. */
export function envFileText({declared, secret}: OpenedSecret): string {
  if (declared.format === 'dotenv') return secret.text.endsWith('\n') || secret.text === '' ? secret.text : `${secret.text}\n`
  if (secret.entries === null) {
    throw new InvalidInputError(`${declared.file}: a ${declared.format} file given as environment must be a flat mapping of names to values`, {
      code: 'invalid_secret_file',
      hint: 'make it a mapping of names to strings, numbers or booleans, as a dotenv file would hold them',
    })
  }
  return secret.entries.map(([name, value]) => `${name}=${dotenvValue(value)}\n`).join('')
}

/** A value as an env file line holds it literally: bare when it can be, else quoted so that Compose neither interpolates nor trims it. */
function dotenvValue(value: string): string {
  if (/^[\w@%+=:,./-]*$/.test(value)) return value
  if (!/['\n\r]/.test(value)) return `'${value}'`
  return `"${value.replace(/[\\"$]/g, (char) => `\\${char}`).replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`
}
