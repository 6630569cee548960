import {invalid, type SopsMapping, type SopsValue} from './sops-format.js'
import {formatFloatF, goRfc3339, parseGoBool} from './sops-go-scalars.js'

/**
 * A file's `sops` metadata read as SOPS reads it (stores/stores.go: metadata.ToInternal), refusing what
 * kedge cannot decrypt. Each layout finds the metadata in its own way; this reads the tree it found.
 */

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
 * The `sops` mapping of the first document, taken out of every document as SOPS does
 * (stores/metadata.go: ExtractMetadata); a document with none is no SOPS file. For YAML and JSON, which
 * keep the metadata in the document (dotenv keeps it in sops_ lines).
 */
export function takeMetadata(branches: SopsMapping[]): SopsMapping {
  let metadata: SopsMapping | null = null
  branches.forEach((branch, index) => {
    for (const item of branch.items.filter((candidate) => candidate.key === 'sops')) {
      if (index !== 0) continue
      if (metadata !== null) throw invalid('it has two sops entries')
      if (item.value.kind !== 'mapping') throw invalid('its sops entry is not a mapping')
      metadata = item.value
    }
    branch.items = branch.items.filter((item) => item.key !== 'sops')
  })
  if (metadata === null) throw invalid('it is not a SOPS file: it has no sops metadata')
  return metadata
}

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
