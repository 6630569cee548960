import {createDecipheriv, createHash, timingSafeEqual} from 'node:crypto'

import {invalid, pathText, tampered, type ScalarValue, type SopsMapping, type SopsValue} from './sops-format.js'
import {formatFloatF, goRfc3339, parseGoBool, parseGoFloat, parseGoInt} from './sops-go-scalars.js'
import type {SopsMetadata} from './sops-metadata.js'
import type {EncryptedPaths} from './sops-rules.js'

/**
 * The `ENC[AES256_GCM,…]` values (aes/cipher.go) and the MAC over the plaintext (sops.go: Tree.Decrypt).
 * Values are hashed as SOPS's Go code prints them: a value printed otherwise would fail the check.
 */

/** The additional data a value is encrypted with: its key path, each key followed by ":". */
export function additionalData(path: readonly string[]): string {
  return `${path.join(':')}:`
}

/**
 * SOPS's pattern, `^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]`, read without backtracking:
 * data, iv and tag must be base64 to decode, so none holds a comma, and the type runs to the line's last "]".
 */
const ENCRYPTED_PREFIX = /^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]+),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

interface EncryptedValue {
  data: Buffer
  iv: Buffer
  tag: Buffer
  type: string
}

function parseEncrypted(text: string): EncryptedValue | null {
  const match = ENCRYPTED_PREFIX.exec(text)
  if (!match) return null
  const rest = text.slice(match[0].length).split('\n', 1)[0]!
  const end = rest.lastIndexOf(']')
  if (end < 1 || ![match[1]!, match[2]!, match[3]!].every((part) => BASE64.test(part))) return null
  return {data: Buffer.from(match[1]!, 'base64'), iv: Buffer.from(match[2]!, 'base64'), tag: Buffer.from(match[3]!, 'base64'), type: rest.slice(0, end)}
}

/** AES-256-GCM as Go's gcm.Open reads data and tag: their concatenation, whose last 16 bytes are the tag. */
function openGcm(value: EncryptedValue, key: Buffer, aad: string): Buffer | null {
  const sealed = Buffer.concat([value.data, value.tag])
  if (value.iv.length === 0 || sealed.length < 16) return null
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, value.iv, {authTagLength: 16})
    decipher.setAAD(Buffer.from(aad, 'utf8'))
    decipher.setAuthTag(sealed.subarray(sealed.length - 16))
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()])
  } catch {
    return null
  }
}

export interface OpenedValue {
  value: ScalarValue
  /** What the MAC hashes for it (sops.go: ToBytes of the decrypted value). */
  macBytes: Buffer
}

/**
 * An encrypted value's plaintext, typed as its `type:` says (str, int, float, bool, bytes, time, comment).
 * An empty string is SOPS's encryption of an empty value. Fails `tampered` when it does not authenticate,
 * `invalid` when it authenticates but is not a value of its type.
 */
export function decryptValue(text: string, key: Buffer, aad: string, where: readonly string[]): OpenedValue {
  if (text === '') return {value: '', macBytes: Buffer.alloc(0)}
  const parsed = parseEncrypted(text)
  if (parsed === null) throw tampered(`the value of ${pathText(where)} should be encrypted, and is not a value SOPS encrypted`)
  const plain = openGcm(parsed, key, aad)
  if (plain === null) throw tampered(`the value of ${pathText(where)} does not decrypt with the file's data key`)
  const text_ = plain.toString('utf8')
  const notOfType = () => invalid(`the value of ${pathText(where)} is not of the type SOPS recorded for it`)
  switch (parsed.type) {
    case 'str':
    case 'bytes':
    case 'comment':
      return {value: text_, macBytes: plain}
    case 'int': {
      const value = parseGoInt(text_)
      if (value === null) throw notOfType()
      return {value, macBytes: Buffer.from(value.toString())}
    }
    case 'float': {
      const value = parseGoFloat(text_)
      if (value === null) throw notOfType()
      return {value, macBytes: Buffer.from(formatFloatF(value))}
    }
    case 'bool': {
      const value = parseGoBool(text_)
      if (value === null) throw notOfType()
      return {value, macBytes: Buffer.from(value ? 'True' : 'False')}
    }
    case 'time': {
      const value = goRfc3339(text_, true)
      if (value === null) throw notOfType()
      return {value, macBytes: Buffer.from(value)}
    }
    default:
      throw invalid(`the value of ${pathText(where)} has a type SOPS does not write`)
  }
}

/** A comment's plaintext when it is one SOPS encrypted under one of `aads`; else the comment as it is. */
export function decryptComment(text: string, key: Buffer, aads: readonly string[]): string {
  const parsed = parseEncrypted(text)
  if (parsed === null || parsed.type !== 'comment') return text
  for (const aad of aads) {
    const plain = openGcm(parsed, key, aad)
    if (plain !== null) return plain.toString('utf8')
  }
  return text
}

/** sha256("sops"): what a MAC over encrypted values only starts with, so that it never equals a full one. */
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex')

/**
 * Decrypts every encrypted value in place, in SOPS's order (each mapping's items in turn, a list's
 * items under the list's own path), and returns the MAC of the plaintext: SHA-512, in upper-case hex, of
 * each value's bytes (only of those encrypted, with mac_only_encrypted). nil values are skipped.
 */
export function decryptTree(branches: readonly SopsMapping[], metadata: SopsMetadata, encrypted: EncryptedPaths, key: Buffer): string {
  const hash = createHash('sha512')
  if (metadata.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT)
  const visit = (value: SopsValue, path: string[]): void => {
    if (value.kind === 'mapping') {
      for (const item of value.items) visit(item.value, [...path, item.key])
      return
    }
    if (value.kind === 'sequence') {
      for (const item of value.items) visit(item, path)
      return
    }
    if (value.value === null) return
    const isEncrypted = encrypted(path)
    let bytes: Buffer
    if (isEncrypted) {
      if (typeof value.value !== 'string') throw tampered(`the value of ${pathText(path)} should be encrypted, and is not`)
      const opened = decryptValue(value.value, key, additionalData(path), path)
      value.value = opened.value
      bytes = opened.macBytes
    } else {
      bytes = Buffer.from(macText(value.value))
    }
    if (!metadata.macOnlyEncrypted || isEncrypted) hash.update(bytes)
  }
  for (const branch of branches) visit(branch, [])
  return hash.digest('hex').toUpperCase()
}

/** Whether the file's MAC, decrypted with `lastmodified` as its additional data, is `computed`. */
export function verifyMac(metadata: SopsMetadata, computed: string, key: Buffer): void {
  const parsed = parseEncrypted(metadata.mac)
  const stored = parsed === null ? null : openGcm(parsed, key, metadata.lastModified)
  if (stored === null) throw tampered('its MAC does not decrypt with its data key (the MAC or lastmodified was changed)')
  const expected = Buffer.from(computed)
  if (stored.length !== expected.length || !timingSafeEqual(stored, expected)) throw tampered('its MAC does not match its values')
}

/** A value left in cleartext as the MAC hashes it (sops.go: ToBytes), which prints a bool True or False. */
function macText(value: string | bigint | number | boolean): string {
  if (typeof value === 'string') return value
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  return formatFloatF(value)
}
