import {createDecipheriv, createHash, timingSafeEqual} from 'node:crypto'
import {runInNewContext} from 'node:vm'

/**
 * The parts of the SOPS format that do not depend on the file's layout (getsops/sops: aes/cipher.go,
 * sops.go, stores/stores.go, stores/flatten.go): the document as SOPS walks it, its `sops` metadata, the
 * `ENC[AES256_GCM,…]` values and the MAC over them. Values are printed as SOPS's Go code prints them,
 * because the MAC hashes those prints: a value printed otherwise would fail the check.
 */

/** A scalar as SOPS holds it: a Go string, int (bigint here: int64), float64, bool, or nil. */
export type ScalarValue = string | bigint | number | boolean | null

export interface SopsScalar {
  kind: 'scalar'
  value: ScalarValue
  /** Where the YAML layout keeps it, so that the plaintext can be written back into the document. */
  origin?: unknown
}

export interface SopsMapping {
  kind: 'mapping'
  /** In the file's order; a key may repeat in JSON, as it may in SOPS's own tree. */
  items: Array<{key: string; value: SopsValue}>
}

export interface SopsSequence {
  kind: 'sequence'
  items: SopsValue[]
}

export type SopsValue = SopsScalar | SopsMapping | SopsSequence

/**
 * Why a file is refused, in words that hold no plaintext: `invalid` for a file that is not SOPS as kedge
 * reads it, `tampered` for one whose values or MAC do not authenticate.
 */
export class SopsProblem extends Error {
  constructor(
    readonly kind: 'invalid' | 'tampered',
    readonly reason: string,
    /** What to do, when it is not the general advice for its kind. */
    readonly hint?: string,
  ) {
    super(reason)
  }
}

const invalid = (reason: string, hint?: string) => new SopsProblem('invalid', reason, hint)
const tampered = (reason: string) => new SopsProblem('tampered', reason)

/** How deep documents nest; SOPS files hold settings, and the walks below recurse. */
export const MAX_DEPTH = 64

export function scalar(value: ScalarValue, origin?: unknown): SopsScalar {
  return origin === undefined ? {kind: 'scalar', value} : {kind: 'scalar', value, origin}
}

/** A key path as errors show it (keys are cleartext in a SOPS file; values never are shown). */
export function pathText(path: readonly string[]): string {
  return JSON.stringify(path.join('.').slice(0, 80))
}

// ---------------------------------------------------------------------------------------------------
// Metadata

export type EncryptionRule =
  | {kind: 'unencrypted_suffix' | 'encrypted_suffix'; suffix: string}
  | {kind: 'unencrypted_regex' | 'encrypted_regex'; pattern: string}

export interface AgeStanza {
  recipient: string
  enc: string
}

export interface SopsMetadata {
  /** The age keys of the file's one key group. */
  age: AgeStanza[]
  /** The other kinds of keys it is encrypted to (pgp, kms, …), for the message when no age key opens it. */
  otherKeys: string[]
  /** `lastmodified` as SOPS prints it again (RFC 3339 to the second): the MAC's additional data. */
  lastModified: string
  mac: string
  macOnlyEncrypted: boolean
  rule: EncryptionRule
}

const UNSUPPORTED_HINT =
  'kedge decrypts SOPS files whose age recipients are in one key group, encrypted by key (a suffix or a regex): encrypt it again that way'

/** More age keys than this in one file is no file SOPS wrote for people. */
const MAX_AGE_KEYS = 64
/** An age-encrypted data key is a few hundred bytes (a post-quantum one a few thousand). */
const MAX_ENC_LENGTH = 16 * 1024

const OTHER_KEY_KINDS = ['pgp', 'kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'hckms'] as const
const RULE_FIELDS = ['unencrypted_suffix', 'encrypted_suffix', 'unencrypted_regex', 'encrypted_regex', 'unencrypted_comment_regex', 'encrypted_comment_regex'] as const

/** The last value of `key` in a mapping, as Go's map of it holds (sopsToGoMap). */
function field(mapping: SopsMapping, key: string): SopsValue | undefined {
  let found: SopsValue | undefined
  for (const item of mapping.items) if (item.key === key) found = item.value
  return found
}

/** A field read as mapstructure's weakly typed decoding reads a Go string: scalars are printed, nil is "". */
function stringField(mapping: SopsMapping, key: string): string {
  const value = field(mapping, key)
  if (value === undefined) return ''
  if (value.kind !== 'scalar') throw invalid(`its sops metadata's ${key} is not a string`)
  const raw = value.value
  if (raw === null) return ''
  if (typeof raw === 'string') return raw
  if (typeof raw === 'boolean') return raw ? '1' : '0'
  if (typeof raw === 'bigint') return raw.toString()
  return formatFloatF(raw)
}

/** A field read as a Go bool, weakly typed: a string as strconv.ParseBool reads it, a number as non-zero. */
function boolField(mapping: SopsMapping, key: string): boolean {
  const value = field(mapping, key)
  if (value === undefined) return false
  if (value.kind !== 'scalar') throw invalid(`its sops metadata's ${key} is not a boolean`)
  const raw = value.value
  if (raw === null || raw === '') return false
  if (typeof raw === 'boolean') return raw
  if (typeof raw === 'bigint') return raw !== 0n
  if (typeof raw === 'number') return raw !== 0
  const parsed = parseGoBool(raw)
  if (parsed === null) throw invalid(`its sops metadata's ${key} is not a boolean`)
  return parsed
}

function listField(mapping: SopsMapping, key: string): SopsValue[] {
  const value = field(mapping, key)
  if (value === undefined || (value.kind === 'scalar' && value.value === null)) return []
  if (value.kind !== 'sequence') throw invalid(`its sops metadata's ${key} is not a list`)
  return value.items
}

function mappingsOf(mapping: SopsMapping, key: string): SopsMapping[] {
  return listField(mapping, key).map((item) => {
    if (item.kind !== 'mapping') throw invalid(`its sops metadata's ${key} holds an entry that is not a mapping`)
    return item
  })
}

/** What SOPS reads from the metadata (stores.go: metadata.ToInternal), for a file kedge can decrypt. */
export function readMetadata(metadata: SopsMapping): SopsMetadata {
  const kinds = (group: SopsMapping) => OTHER_KEY_KINDS.filter((kind) => listField(group, kind).length > 0)
  const ageOf = (group: SopsMapping) => mappingsOf(group, 'age')
  let groups: SopsMapping[]
  if (ageOf(metadata).length > 0 || kinds(metadata).length > 0) groups = [metadata]
  else groups = mappingsOf(metadata, 'key_groups')
  if (groups.length === 0) throw invalid('its sops metadata names no key')
  if (groups.length > 1) throw invalid(`it splits its data key between ${groups.length} key groups (Shamir's secret sharing), which kedge does not read`, UNSUPPORTED_HINT)
  const group = groups[0]!
  const age = ageOf(group).map((entry) => ({recipient: stringField(entry, 'recipient'), enc: stringField(entry, 'enc')}))
  if (age.length > MAX_AGE_KEYS) throw invalid(`it names more than ${MAX_AGE_KEYS} age keys`)
  if (age.some((entry) => entry.enc.length > MAX_ENC_LENGTH)) throw invalid('one of its age-encrypted data keys is far longer than age writes one')

  const rules = RULE_FIELDS.map((name) => [name, stringField(metadata, name)] as const).filter(([, value]) => value !== '')
  if (rules.length > 1) throw invalid(`its sops metadata sets ${rules.map(([name]) => name).join(' and ')}: SOPS allows one of them`)
  const [name, value] = rules[0] ?? ['unencrypted_suffix', '_unencrypted']
  if (name === 'unencrypted_comment_regex' || name === 'encrypted_comment_regex') throw invalid(`it uses ${name}, which kedge does not support`, UNSUPPORTED_HINT)
  const rule: EncryptionRule = name === 'unencrypted_suffix' || name === 'encrypted_suffix' ? {kind: name, suffix: value} : {kind: name, pattern: value}

  const lastModified = goRfc3339(stringField(metadata, 'lastmodified'), false)
  if (lastModified === null) throw invalid('its sops metadata has no lastmodified time SOPS reads')
  return {
    age,
    otherKeys: kinds(group),
    lastModified,
    mac: stringField(metadata, 'mac'),
    macOnlyEncrypted: boolField(metadata, 'mac_only_encrypted'),
    rule,
  }
}

/**
 * dotenv's flattened metadata (`age__list_0__map_recipient`, stores/flatten.go) as the tree SOPS
 * unflattens it to. Keys are sorted as SOPS sorts them; a list must have every index from 0.
 */
export function unflatten(items: ReadonlyArray<{key: string; value: SopsValue}>): SopsMapping {
  interface Node {
    value?: SopsValue
    keys?: Map<string, Node>
    indices?: Map<number, Node>
  }
  const root: Node = {}
  for (const item of items) {
    let node = root
    for (const token of flattenedTokens(item.key)) {
      if (typeof token === 'string') {
        node.keys ??= new Map()
        node = node.keys.get(token) ?? node.keys.set(token, {}).get(token)!
      } else {
        node.indices ??= new Map()
        node = node.indices.get(token) ?? node.indices.set(token, {}).get(token)!
      }
    }
    if (node.value !== undefined) throw invalid('its sops metadata repeats a key')
    node.value = item.value
  }
  const convert = (node: Node, depth: number): SopsValue => {
    if (depth > MAX_DEPTH) throw invalid(`its sops metadata nests deeper than ${MAX_DEPTH} levels`)
    const shapes = [node.value !== undefined, (node.keys?.size ?? 0) > 0, (node.indices?.size ?? 0) > 0].filter(Boolean).length
    if (shapes > 1) throw invalid('its sops metadata holds a key that is both a value and a list or mapping')
    if (node.value !== undefined) return node.value
    if (node.indices && node.indices.size > 0) {
      const size = node.indices.size
      const items: SopsValue[] = []
      for (let index = 0; index < size; index++) {
        const entry = node.indices.get(index)
        if (entry === undefined) throw invalid('its sops metadata holds a list with a missing index')
        items.push(convert(entry, depth + 1))
      }
      return {kind: 'sequence', items}
    }
    const keys = [...(node.keys?.keys() ?? [])].sort()
    return {kind: 'mapping', items: keys.map((key) => ({key, value: convert(node.keys!.get(key)!, depth + 1)}))}
  }
  const tree = convert(root, 0)
  if (tree.kind !== 'mapping') throw invalid('its sops metadata is not a mapping')
  return tree
}

/** A flattened key's parts: `a__map_b__list_0` is "a", "b", 0 (an index that is no number is 0, as SOPS reads it). */
function flattenedTokens(key: string): Array<string | number> {
  const tokens: Array<string | number> = []
  const pattern = /__(map|list)_/g
  let start = 0
  let kind: 'map' | 'list' = 'map'
  const finish = (end: number) => {
    const text = key.slice(start, end)
    tokens.push(kind === 'map' ? text : /^[+-]?\d+$/.test(text) && Number(text) <= Number.MAX_SAFE_INTEGER ? Number(text) : 0)
  }
  for (const match of key.matchAll(pattern)) {
    finish(match.index)
    kind = match[1] as 'map' | 'list'
    start = match.index + match[0].length
  }
  finish(key.length)
  return tokens
}

// ---------------------------------------------------------------------------------------------------
// Which values are encrypted (sops.go: shouldBeEncrypted)

/** Whether the value at a key path is encrypted, by the file's one rule. */
export type EncryptedPaths = (path: readonly string[]) => boolean

/** A regex takes this long at most over every key of a file: a file's own pattern must not stall kedge. */
const REGEX_TIMEOUT_MS = 1000

export function encryptedPaths(rule: EncryptionRule, keys: ReadonlySet<string>): EncryptedPaths {
  switch (rule.kind) {
    case 'unencrypted_suffix':
      return (path) => !path.some((key) => key.endsWith(rule.suffix))
    case 'encrypted_suffix':
      return (path) => path.some((key) => key.endsWith(rule.suffix))
    case 'unencrypted_regex': {
      const matches = matchingKeys(rule.pattern, rule.kind, keys)
      return (path) => !path.some((key) => matches.has(key))
    }
    case 'encrypted_regex': {
      const matches = matchingKeys(rule.pattern, rule.kind, keys)
      return (path) => path.some((key) => matches.has(key))
    }
  }
}

/**
 * The keys a Go regular expression matches. JavaScript's engine backtracks where Go's does not, so the
 * pattern runs in a separate context with a deadline: a file cannot make kedge spin on its own regex.
 */
function matchingKeys(pattern: string, name: string, keys: ReadonlySet<string>): Set<string> {
  const translated = goPatternToJs(pattern)
  const hint = `kedge runs the regex in JavaScript, which reads most of Go's: write its ${name} without what JavaScript lacks (POSIX classes, \\Q…\\E, flags other than i, m and s), and without nested repetition`
  if (translated === null) throw invalid(`its ${name} is a Go regular expression kedge cannot run`, hint)
  const list = [...keys]
  let results: unknown
  try {
    results = runInNewContext('const re = new RegExp(source, flags); keys.map((key) => re.test(key))', {...translated, keys: list}, {timeout: REGEX_TIMEOUT_MS})
  } catch (error) {
    const timedOut = (error as {code?: unknown} | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT'
    throw invalid(timedOut ? `its ${name} takes too long to match its keys` : `its ${name} is a Go regular expression kedge cannot run`, hint)
  }
  const matched = results as boolean[]
  return new Set(list.filter((_, index) => matched[index] === true))
}

/**
 * A Go (RE2) pattern as a JavaScript one with the `u` flag: leading flags `(?i)`, `(?s)`, `(?m)` become
 * flags, `(?P<name>` a named group, and escaped punctuation (`\_`, `\-`: Go allows any) a `\xHH` escape.
 * Anything else JavaScript cannot compile fails there; null for what has no JavaScript equivalent.
 */
function goPatternToJs(pattern: string): {source: string; flags: string} | null {
  let source = pattern
  let flags = 'u'
  const leading = /^\(\?([a-zA-Z]+)\)/.exec(source)
  if (leading) {
    for (const flag of leading[1]!) {
      if (!'ims'.includes(flag)) return null
      if (!flags.includes(flag)) flags += flag
    }
    source = source.slice(leading[0].length)
  }
  let out = ''
  for (let index = 0; index < source.length; index++) {
    const char = source[index]!
    if (char === '\\' && index + 1 < source.length) {
      const next = source[++index]!
      if (/[!-/:-@[-`{-~]/.test(next) && !/[\^$\\.*+?()[\]{}|/]/.test(next)) out += `\\x${next.charCodeAt(0).toString(16).padStart(2, '0')}`
      else out += `\\${next}`
    } else if (source.startsWith('(?P<', index)) {
      out += '(?<'
      index += 3
    } else {
      out += char
    }
  }
  return {source: out, flags}
}

// ---------------------------------------------------------------------------------------------------
// ENC[AES256_GCM,…] values (aes/cipher.go)

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

// ---------------------------------------------------------------------------------------------------
// The walk and the MAC (sops.go: Tree.Decrypt)

/** sha256("sops"): what a MAC over encrypted values only starts with, so that it never equals a full one. */
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex')

/** Every key of the documents, for the regex rules (matched once each). */
export function keysOf(branches: readonly SopsMapping[]): Set<string> {
  const keys = new Set<string>()
  const visit = (value: SopsValue) => {
    if (value.kind === 'mapping') {
      for (const item of value.items) {
        keys.add(item.key)
        visit(item.value)
      }
    } else if (value.kind === 'sequence') value.items.forEach(visit)
  }
  branches.forEach(visit)
  return keys
}

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

// ---------------------------------------------------------------------------------------------------
// Go's readings and printings of scalars (strconv)

function macText(value: string | bigint | number | boolean): string {
  if (typeof value === 'string') return value
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  return formatFloatF(value)
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** strconv.Atoi: an optional sign and decimal digits, within int64. */
export function parseGoInt(text: string): bigint | null {
  const match = /^([+-]?)(\d+)$/.exec(text)
  if (!match) return null
  const value = match[1] === '-' ? -BigInt(match[2]!) : BigInt(match[2]!)
  return value < INT64_MIN || value > INT64_MAX ? null : value
}

/** strconv.ParseFloat in decimal (SOPS writes no other): out of range is an error, as in Go. */
export function parseGoFloat(text: string): number | null {
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity
  if (/^nan$/i.test(text)) return NaN
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null
  const value = Number(text)
  return Number.isFinite(value) ? value : null
}

/** strconv.ParseBool. */
export function parseGoBool(text: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false
  return null
}

/** A finite number's shortest round-trip digits and the position of the decimal point among them. */
function shortestDigits(value: number): {digits: string; point: number} {
  const [mantissa, exponent] = Math.abs(value).toExponential().split('e') as [string, string]
  return {digits: mantissa.replace('.', ''), point: Number(exponent) + 1}
}

/** strconv.FormatFloat(value, 'f', -1, 64): shortest digits, never an exponent. */
export function formatFloatF(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf'
  const sign = value < 0 || Object.is(value, -0) ? '-' : ''
  const {digits, point} = shortestDigits(value)
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
}

/** strconv.FormatFloat(value, 'G', -1, 64): an exponent below 1e-4 and from 1e6 (Go's rule for shortest). */
function formatFloatG(value: number): string {
  if (!Number.isFinite(value) || value === 0) return formatFloatF(value)
  const {digits, point} = shortestDigits(value)
  const exponent = point - 1
  if (exponent >= -4 && exponent < 6) return formatFloatF(value)
  const sign = value < 0 ? '-' : ''
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
  return `${sign}${mantissa}E${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`
}

/**
 * A scalar as SOPS prints it in a dotenv file (stores.ValToString): a float keeps a decimal point or an
 * exponent, so that it does not read as an integer; a bool is true or false. nil is the empty string.
 */
export function scalarText(value: ScalarValue): string {
  if (value === null) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  const general = formatFloatG(value)
  return /[.E]/.test(general) || !Number.isFinite(value) ? general : `${formatFloatF(value)}.0`
}

/**
 * An RFC 3339 time as Go reads it (time.Parse; fractional seconds are allowed) and prints it again:
 * RFC3339 (to the second), or with `nano` RFC3339Nano (fraction without trailing zeros). A zero offset
 * prints as Z. Null for what Go does not read.
 */
export function goRfc3339(text: string, nano: boolean): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(text)
  if (!match) return null
  const [, year, month, day, hour, minute, second, fraction, zone, zoneSign, zoneHours, zoneMinutes] = match
  const daysIn = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate()
  if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(day) > daysIn) return null
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return null
  if (zone !== 'Z' && (Number(zoneHours) > 23 || Number(zoneMinutes) > 59)) return null
  const zeroOffset = zone === 'Z' || (Number(zoneHours) === 0 && Number(zoneMinutes) === 0)
  const fractionText = nano && fraction ? fraction.slice(0, 9).replace(/0+$/, '') : ''
  return `${year}-${month}-${day}T${hour}:${minute}:${second}${fractionText ? `.${fractionText}` : ''}${zeroOffset ? 'Z' : `${zoneSign}${zoneHours}:${zoneMinutes}`}`
}
