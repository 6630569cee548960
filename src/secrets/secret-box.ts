import {createCipheriv, createDecipheriv, createHash, randomBytes} from 'node:crypto'
import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {ExternalError, InvalidInputError, errorMessage} from '../errors.js'
import {registerSecret} from './redaction.js'

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
/** Binds a sealed value to its use, so a value cannot be moved into another column and opened there. */
const ASSOCIATED_DATA = Buffer.from('kedge repository credential')

interface SecretKey {
  key: Buffer
  id: string
  source: string
}

export function secretKeyFile(home: string): string {
  return path.join(home, KEY_FILE)
}

export function seal(home: string, plaintext: string): string {
  const secretKey = loadKey(home, true)
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv(ALGORITHM, secretKey.key, iv)
  cipher.setAAD(ASSOCIATED_DATA)
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return [FORMAT, secretKey.id, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':')
}

/** `owner` names what the value belongs to, for the error. */
export function unseal(home: string, sealed: string, owner: string): string {
  const [format, keyId, iv, tag, ciphertext] = sealed.split(':')
  if (format !== FORMAT || !keyId || !iv || !tag || ciphertext === undefined) {
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
    const decipher = createDecipheriv(ALGORITHM, secretKey.key, Buffer.from(iv, 'base64'))
    decipher.setAAD(ASSOCIATED_DATA)
    decipher.setAuthTag(Buffer.from(tag, 'base64'))
    const plaintext = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString('utf8')
    registerSecret(plaintext)
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
  const key = randomBytes(32)
  mkdirSync(path.dirname(file), {recursive: true})
  try {
    // 'wx': two processes creating it at once must not end up with different keys.
    writeFileSync(file, `${key.toString('base64')}\n`, {mode: 0o600, flag: 'wx'})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return parseKey(readFileSync(file, 'utf8'), file)
    throw new ExternalError(`cannot create the secret key ${file}: ${errorMessage(error)}`, {code: 'secret_key_unreadable', cause: error})
  }
  chmodSync(file, 0o600)
  return key
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
  const id = createHash('sha256').update(key).digest('hex').slice(0, 8)
  return {key, id, source}
}
