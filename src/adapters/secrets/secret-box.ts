import {createCipheriv, createDecipheriv, createHash, createHmac, randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {ExternalError, InvalidInputError, errorMessage, isKedgeError} from '../../model/errors.js'
import {registerSecret} from '../../model/secrets/redaction.js'
import {writeFileOnce} from './write-once.js'

/**
 * AES-256-GCM with one random key per kedge home: `secret.key` in the home (created 0600 on first use),
 * or KEDGE_SECRET_KEY. A sealed value names the key it was sealed with, so a wrong key is reported as
 * such rather than as garbage.
 */
export const SECRET_KEY_ENV = 'KEDGE_SECRET_KEY'
const KEY_FILE = 'secret.key'
const FORMAT = 'kedge1'
const ALGORITHM = 'aes-256-gcm'
const IV_BYTES = 12
const TAG_BYTES = 16

interface SecretKey {
  key: Buffer
  id: string
  source: string
}

export function secretKeyFile(home: string): string {
  return path.join(home, KEY_FILE)
}

/**
 * `binding` names what the value is for (e.g. a repository and the kind of credential); opening it under
 * another binding fails, so a sealed value copied to another repository's row is useless there.
 */
export function seal(home: string, plaintext: string, binding: string): string {
  const secretKey = loadKey(home, true)
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv(ALGORITHM, secretKey.key, iv, {authTagLength: TAG_BYTES})
  cipher.setAAD(Buffer.from(binding))
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return [FORMAT, secretKey.id, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':')
}

/** See Secrets.keyedDigest: the key is derived from the home's secret key for `purpose`, so that no other use of that key meets it. */
export function keyedDigest(home: string, value: string, purpose: string): string {
  const derived = createHmac('sha256', loadKey(home, true).key).update(`kedge keyed digest: ${purpose}`).digest()
  return createHmac('sha256', derived).update(value, 'utf8').digest('hex')
}

/** `owner` names what the value belongs to, for the error; see Secrets.open for `composite`. */
export function unseal(home: string, sealed: string, binding: string, owner: string, composite = false): string {
  const [format, keyId, ivText, tagText, ciphertext] = sealed.split(':')
  const iv = Buffer.from(ivText ?? '', 'base64')
  const tag = Buffer.from(tagText ?? '', 'base64')
  if (format !== FORMAT || !keyId || iv.length !== IV_BYTES || tag.length !== TAG_BYTES || ciphertext === undefined) {
    throw new ExternalError(`the stored credential of ${owner} is not in a format this kedge reads`, {code: 'secret_unreadable'})
  }
  const secretKey = loadKey(home, false, owner)
  if (secretKey.id !== keyId) {
    throw new ExternalError(
      `the credential of ${owner} was encrypted with secret key ${keyId}, but ${secretKey.source} holds key ${secretKey.id}`,
      {code: 'secret_key_mismatch', hint: `use the ${KEY_FILE} or ${SECRET_KEY_ENV} it was stored with, or remove and add the repository again`},
    )
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, secretKey.key, iv, {authTagLength: TAG_BYTES})
    decipher.setAAD(Buffer.from(binding))
    decipher.setAuthTag(tag)
    const plaintext = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString('utf8')
    if (!composite) registerSecret(plaintext)
    return plaintext
  } catch {
    throw new ExternalError(`the stored credential of ${owner} does not decrypt with secret key ${secretKey.id}: it was altered`, {
      code: 'secret_unreadable',
      hint: 'remove and add the repository again',
    })
  }
}

function loadKey(home: string, createIfMissing: boolean, owner?: string): SecretKey {
  const fromEnv = process.env[SECRET_KEY_ENV]
  if (fromEnv !== undefined && fromEnv.length > 0) return toSecretKey(parseKey(fromEnv, SECRET_KEY_ENV), SECRET_KEY_ENV)
  const file = secretKeyFile(home)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ExternalError(`cannot read the secret key ${file}: ${errorMessage(error)}`, {code: 'secret_key_unreadable', cause: error})
    }
    if (!createIfMissing) {
      throw new ExternalError(`the secret key ${file} is missing, so the credential of ${owner ?? 'a repository'} cannot be decrypted`, {
        code: 'secret_key_missing',
        hint: `restore ${KEY_FILE} from a backup or set ${SECRET_KEY_ENV}, or remove and add the repository again`,
      })
    }
    return toSecretKey(createKeyFile(file), file)
  }
  return toSecretKey(parseKey(text, file), file)
}

function createKeyFile(file: string): Buffer {
  try {
    return parseKey(writeFileOnce(file, `${randomBytes(32).toString('base64')}\n`), file)
  } catch (error) {
    if (isKedgeError(error)) throw error
    throw new ExternalError(`cannot create the secret key ${file}: ${errorMessage(error)}`, {code: 'secret_key_unreadable', cause: error})
  }
}

/** 32 bytes as base64 (as kedge writes it) or as 64 hex digits. */
function parseKey(text: string, source: string): Buffer {
  const value = text.trim()
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64')
  if (key.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(value) && key.toString('base64') !== value)) {
    throw new InvalidInputError(`${source} does not hold a secret key: expected 32 bytes as base64 or 64 hex digits`, {
      code: 'invalid_secret_key',
      hint: 'generate one with: openssl rand -base64 32',
    })
  }
  return key
}

function toSecretKey(key: Buffer, source: string): SecretKey {
  // However it was written (base64, hex, with or without padding), in every form a tool could quote it.
  registerSecret(key.toString('base64'))
  registerSecret(key.toString('hex'))
  const id = createHash('sha256').update(key).digest('hex').slice(0, 8)
  return {key, id, source}
}
