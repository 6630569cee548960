import {armor, Decrypter, identityToRecipient} from 'age-encryption'
import {isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Document, type Node as YamlNode} from 'yaml'

import {assertTokensAtMost, COMPOSE_FILE_MAX_TOKENS, YamlTooComplexError} from '../../model/config/bounded-yaml.js'
import {ExternalError, InvalidInputError, isKedgeError, quoted} from '../../model/errors.js'
import type {DecryptedSecret, SopsFiles, SopsFormat} from '../../ports/sops.js'
import {
  additionalData,
  decryptComment,
  decryptTree,
  encryptedPaths,
  keysOf,
  MAX_DEPTH,
  pathText,
  readMetadata,
  scalar,
  scalarText,
  SopsProblem,
  unflatten,
  verifyMac,
  type SopsMapping,
  type SopsMetadata,
  type SopsScalar,
  type SopsValue,
} from './sops-format.js'

/**
 * SOPS files decrypted in memory with age identities, as `sops decrypt` does (getsops/sops), for the
 * three layouts kedge reads: dotenv, YAML and JSON. Files come from repositories anyone may push to, so
 * each is bounded (size, YAML tokens, nesting, keys, the work of its regexes) before anything else, and
 * no error carries plaintext: neither in its message nor as a cause (no library error is chained, since
 * one could quote the file).
 */
export const sopsFiles: SopsFiles = {decrypt}

/** A SOPS file holds a stack's secrets, not data. */
export const SOPS_FILE_MAX_BYTES = 1024 * 1024

const invalid = (reason: string) => new SopsProblem('invalid', reason)

async function decrypt(content: string, format: SopsFormat, identities: readonly string[], file: string): Promise<DecryptedSecret> {
  try {
    if (Buffer.byteLength(content, 'utf8') > SOPS_FILE_MAX_BYTES) throw invalid(`it is larger than ${SOPS_FILE_MAX_BYTES / 1024 / 1024} MiB`)
    const document = LAYOUTS[format](content)
    const metadata = readMetadata(document.metadata)
    const encrypted = encryptedPaths(metadata.rule, keysOf(document.branches))
    const key = await dataKey(metadata, identities, file)
    try {
      verifyMac(metadata, decryptTree(document.branches, metadata, encrypted, key), key)
      return {text: document.plaintext(key), entries: entriesOf(document.branches)}
    } finally {
      key.fill(0)
    }
  } catch (error) {
    if (isKedgeError(error)) throw error
    // Not an expected failure: a bug. Its message could quote the document, so only its kind is kept.
    if (!(error instanceof SopsProblem)) throw new Error(`${file}: decrypting it failed unexpectedly (${error instanceof Error ? error.name : typeof error})`)
    if (error.kind === 'tampered') {
      throw new ExternalError(`${file}: ${error.reason}: it was changed after SOPS encrypted it`, {
        code: 'secret_tampered',
        hint: 'restore it from a commit where `sops decrypt` opens it, or have its author encrypt it again with sops',
      })
    }
    throw new InvalidInputError(`${file}: ${error.reason}`, {
      code: 'invalid_secret_file',
      hint: error.hint ?? `kedge reads the files sops encrypts, as kedge.yaml's format says (here ${format}): check it with \`sops decrypt --input-type ${format} ${file}\``,
    })
  }
}

/** A file read in its layout: its documents without the metadata, which is apart. */
interface Layout {
  branches: SopsMapping[]
  metadata: SopsMapping
  /** The document's plaintext in its own layout, once decryptTree has replaced its values. */
  plaintext(key: Buffer): string
}

const LAYOUTS: Record<SopsFormat, (content: string) => Layout> = {dotenv: readDotenv, yaml: readYaml, json: readJson}

/** The top-level keys and their values as text, when the file is one flat mapping of scalars. */
function entriesOf(branches: readonly SopsMapping[]): DecryptedSecret['entries'] {
  if (branches.length !== 1) return null
  const entries: Array<readonly [string, string]> = []
  for (const {key, value} of branches[0]!.items) {
    if (value.kind !== 'scalar') return null
    entries.push([key, scalarText(value.value)])
  }
  return entries
}

// ---------------------------------------------------------------------------------------------------
// The data key (age/keysource.go)

const UNDECRYPTABLE_HINT =
  'the file is encrypted to other age recipients: add this repository\'s identity with `kedge repo set NAME --age-key-stdin`, or re-encrypt it with `sops updatekeys`'

/**
 * The data key, from the first age key of the file whose recipient is one of `identities`' recipients.
 * Only those are tried: an identity opens no stanza made for another recipient, and a hostile file could
 * name many.
 */
async function dataKey(metadata: SopsMetadata, identities: readonly string[], file: string): Promise<Buffer> {
  if (metadata.age.length === 0) {
    const others = metadata.otherKeys.length > 0 ? ` (only to ${metadata.otherKeys.join(', ')}, which kedge does not use)` : ''
    throw new ExternalError(`${file}: it is encrypted to no age recipient${others}`, {
      code: 'secret_undecryptable',
      hint: 'add an age recipient to its creation rule in .sops.yaml and run `sops updatekeys` on it',
    })
  }
  const identityOf = new Map<string, string>()
  for (const identity of identities) {
    let recipient: string
    try {
      recipient = await identityToRecipient(identity)
    } catch {
      throw new InvalidInputError(`${file}: one of the age identities to decrypt it with is not one age reads`, {
        code: 'invalid_age_key',
        hint: 'give the key file age-keygen wrote: its AGE-SECRET-KEY-1… lines',
      })
    }
    if (!identityOf.has(recipient.toLowerCase())) identityOf.set(recipient.toLowerCase(), identity)
  }
  let failed: string | null = null
  for (const stanza of metadata.age) {
    const identity = identityOf.get(stanza.recipient.trim().toLowerCase())
    if (identity === undefined) continue
    let opened: Uint8Array
    try {
      const decrypter = new Decrypter()
      decrypter.addIdentity(identity)
      opened = await decrypter.decrypt(armor.decode(stanza.enc))
    } catch {
      failed = stanza.recipient
      continue
    }
    if (opened.length !== 32) throw invalid('its data key is not the 32 bytes SOPS makes')
    const key = Buffer.from(opened)
    opened.fill(0)
    return key
  }
  if (failed !== null) throw new SopsProblem('tampered', `its data key for ${quoted(failed)} does not decrypt with that recipient's identity`)
  const recipients = metadata.age.slice(0, 3).map((stanza) => quoted(stanza.recipient)).join(', ')
  const more = metadata.age.length > 3 ? ` and ${metadata.age.length - 3} more` : ''
  throw new ExternalError(
    `${file}: none of the ${identities.length} age ${identities.length === 1 ? 'identity' : 'identities'} kedge has for it opens its data key (it is encrypted to ${recipients}${more})`,
    {code: 'secret_undecryptable', hint: UNDECRYPTABLE_HINT},
  )
}

// ---------------------------------------------------------------------------------------------------
// dotenv (stores/dotenv/store.go): KEY=value lines, "\n" for a line break, # comments, sops_* metadata

function readDotenv(content: string): Layout {
  const layout: Array<{comment: string} | {key: string; value: SopsScalar}> = []
  const metadata: Array<{key: string; value: SopsValue}> = []
  const branch: SopsMapping = {kind: 'mapping', items: []}
  content.split('\n').forEach((line, index) => {
    if (line === '') return
    if (line.startsWith('#')) {
      layout.push({comment: line.slice(1)})
      return
    }
    const equals = line.indexOf('=')
    if (equals === -1) throw invalid(`line ${index + 1} is not KEY=value`)
    const key = line.slice(0, equals)
    const value = scalar(line.slice(equals + 1).replaceAll('\\n', '\n'))
    if (key.startsWith('sops_')) {
      metadata.push({key: key.slice('sops_'.length), value})
    } else {
      branch.items.push({key, value})
      layout.push({key, value})
    }
  })
  if (metadata.length === 0) throw invalid('it is not a SOPS file: it has no sops_ metadata')
  return {
    branches: [branch],
    metadata: unflatten(metadata),
    plaintext: (key) =>
      layout
        .map((line) => {
          if ('comment' in line) return `#${decryptComment(line.comment, key, [additionalData([])])}\n`
          const value = line.value.value
          return `${line.key}=${typeof value === 'string' ? value.replaceAll('\n', '\\n') : scalarText(value)}\n`
        })
        .join(''),
  }
}

// ---------------------------------------------------------------------------------------------------
// YAML (stores/yaml/store.go): one or more documents, each a mapping; metadata under `sops` in the first

/** Tags a document SOPS writes may carry: YAML's own; any other would be read otherwise by Go. */
const YAML_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => `tag:yaml.org,2002:${name}`))

function readYaml(content: string): Layout {
  try {
    assertTokensAtMost(content, COMPOSE_FILE_MAX_TOKENS)
  } catch (error) {
    if (error instanceof YamlTooComplexError) throw invalid(`it holds more than ${error.maxTokens} YAML tokens`)
    throw error
  }
  const lineCounter = new LineCounter()
  let documents: Document[]
  try {
    const parsed = parseAllDocuments(content, {uniqueKeys: false, intAsBigInt: true, merge: false, lineCounter})
    documents = Array.isArray(parsed) ? parsed : []
  } catch {
    throw invalid('it is not YAML kedge can read')
  }
  const error = documents.flatMap((document) => document.errors)[0]
  if (error) throw invalid(`it is not valid YAML (line ${lineCounter.linePos(error.pos[0]).line})`)

  const branches = documents.map((document) => {
    // An empty document (`---` alone) is an empty mapping to SOPS.
    if (document.contents === null || (isScalar(document.contents) && document.contents.value === null)) return {kind: 'mapping', items: []} satisfies SopsMapping
    const branch = fromYaml(document.contents, [], 0)
    if (branch.kind !== 'mapping') throw invalid('it holds a YAML document that is not a mapping')
    return branch
  })
  const metadata = takeMetadata(branches)
  return {
    branches,
    metadata,
    plaintext(key) {
      for (const branch of branches) writeBack(branch)
      return documents
        .map((document) => {
          decryptYamlComments(document, key)
          if (isMap(document.contents)) document.contents.items = document.contents.items.filter((pair) => !(isScalar(pair.key) && pair.key.value === 'sops'))
          return document.toString({lineWidth: 0})
        })
        .join('')
    },
  }
}

/** The tree of a YAML node; keys must be strings and unique, as SOPS's Go decoder wants them. */
function fromYaml(node: unknown, path: string[], depth: number): SopsValue {
  if (depth > MAX_DEPTH) throw invalid(`it nests deeper than ${MAX_DEPTH} levels`)
  if (isAlias(node)) throw invalid(`it uses a YAML alias (under ${pathText(path)}), which SOPS never writes`)
  if (!isScalar(node) && !isCollection(node)) throw invalid(`it holds a YAML node SOPS does not read (under ${pathText(path)})`)
  if (node.tag !== undefined && !YAML_TAGS.has(node.tag)) throw invalid(`it holds a YAML tag SOPS does not read (under ${pathText(path)})`)
  if (isMap(node)) {
    const items: SopsMapping['items'] = []
    const seen = new Set<string>()
    for (const pair of node.items) {
      const key = pair.key
      if (!isScalar(key) || typeof key.value !== 'string' || (key.tag !== undefined && !YAML_TAGS.has(key.tag))) {
        throw invalid(`it has a key that is not a string (under ${pathText(path)})`)
      }
      if (seen.has(key.value)) throw invalid(`it repeats the key ${pathText([...path, key.value])}`)
      seen.add(key.value)
      items.push({key: key.value, value: pair.value === null ? scalar(null) : fromYaml(pair.value, [...path, key.value], depth + 1)})
    }
    return {kind: 'mapping', items}
  }
  if (isSeq(node)) return {kind: 'sequence', items: node.items.map((item) => (item === null ? scalar(null) : fromYaml(item, path, depth + 1)))}
  if (!isScalar(node)) throw invalid(`it holds a YAML node SOPS does not read (under ${pathText(path)})`)
  const value = node.value
  if (value === null || ['string', 'bigint', 'number', 'boolean'].includes(typeof value)) return scalar(value as SopsScalar['value'], node)
  throw invalid(`it holds a value SOPS does not read (under ${pathText(path)})`)
}

/** Decrypted values into the YAML nodes they came from, printed anew (a string may need quotes now). */
function writeBack(value: SopsValue): void {
  if (value.kind === 'mapping') value.items.forEach((item) => writeBack(item.value))
  else if (value.kind === 'sequence') value.items.forEach(writeBack)
  else if (isScalar(value.origin) && value.origin.value !== value.value) {
    value.origin.value = value.value
    value.origin.type = undefined
  }
}

/**
 * SOPS encrypts comments too, with the path of the mapping or list they sit in as additional data. The
 * YAML parser attaches a comment to a node that may sit deeper or higher than Go's parser does, so each
 * is tried with the paths from its node up to the document; one none opens stays as it is, as in SOPS.
 */
function decryptYamlComments(document: Document, key: Buffer): void {
  const open = (comment: string | null | undefined, keyPath: readonly string[]): string | undefined => {
    if (!comment) return comment ?? undefined
    const aads = keyPath.map((_, index) => additionalData(keyPath.slice(0, keyPath.length - index))).concat(additionalData([]))
    return comment
      .split('\n')
      .map((line) => decryptComment(line, key, aads))
      .join('\n')
  }
  document.commentBefore = open(document.commentBefore, []) ?? null
  document.comment = open(document.comment, []) ?? null
  visit(document, (_, node, ancestors) => {
    if (isPair(node)) return
    const keyPath = ancestors.flatMap((ancestor) => (isPair(ancestor) && isScalar(ancestor.key) ? [String(ancestor.key.value)] : []))
    const commented = node as YamlNode
    commented.commentBefore = open(commented.commentBefore, keyPath)
    commented.comment = open(commented.comment, keyPath)
  })
}

/**
 * The `sops` mapping of the first document, taken out of every document as SOPS does
 * (stores/metadata.go: ExtractMetadata); a document with none is no SOPS file.
 */
function takeMetadata(branches: SopsMapping[]): SopsMapping {
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

// ---------------------------------------------------------------------------------------------------
// JSON (stores/json/store.go): an object, read in order with repeated keys kept, numbers as Go reads them

function readJson(content: string): Layout {
  const reader = new JsonReader(content)
  const branch = reader.document()
  const branches = [branch]
  const metadata = takeMetadata(branches)
  return {branches, metadata, plaintext: () => `${jsonText(branches[0]!, '')}\n`}
}

/**
 * A JSON reader that keeps what JSON.parse loses and SOPS's MAC depends on: the order of keys (numeric
 * ones too), repeated keys, and integers beyond 2^53. It reads each character once.
 */
class JsonReader {
  private position = 0

  constructor(private readonly text: string) {}

  document(): SopsMapping {
    this.space()
    if (this.text[this.position] !== '{') throw invalid('it is not a JSON object')
    const value = this.value(0)
    this.space()
    if (this.position !== this.text.length) this.fail()
    return value as SopsMapping
  }

  private fail(): never {
    throw invalid(`it is not valid JSON (at character ${this.position + 1})`)
  }

  private space(): void {
    while (' \t\n\r'.includes(this.text[this.position] ?? 'x')) this.position++
  }

  private expect(char: string): void {
    this.space()
    if (this.text[this.position] !== char) this.fail()
    this.position++
  }

  private value(depth: number): SopsValue {
    if (depth > MAX_DEPTH) throw invalid(`it nests deeper than ${MAX_DEPTH} levels`)
    this.space()
    const char = this.text[this.position]
    if (char === '{') {
      this.position++
      const items: SopsMapping['items'] = []
      this.space()
      if (this.text[this.position] === '}') {
        this.position++
        return {kind: 'mapping', items}
      }
      for (;;) {
        this.space()
        const key = this.string()
        this.expect(':')
        items.push({key, value: this.value(depth + 1)})
        this.space()
        const next = this.text[this.position++]
        if (next === '}') return {kind: 'mapping', items}
        if (next !== ',') this.fail()
      }
    }
    if (char === '[') {
      this.position++
      const items: SopsValue[] = []
      this.space()
      if (this.text[this.position] === ']') {
        this.position++
        return {kind: 'sequence', items}
      }
      for (;;) {
        items.push(this.value(depth + 1))
        this.space()
        const next = this.text[this.position++]
        if (next === ']') return {kind: 'sequence', items}
        if (next !== ',') this.fail()
      }
    }
    if (char === '"') return scalar(this.string())
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.position)) {
        this.position += word.length
        return scalar(value)
      }
    }
    return scalar(this.number())
  }

  private string(): string {
    const start = this.position
    if (this.text[this.position] !== '"') this.fail()
    this.position++
    for (;;) {
      const code = this.text.charCodeAt(this.position)
      if (Number.isNaN(code) || code < 0x20) this.fail()
      if (code === 0x22) break
      if (code === 0x5c) {
        const escape = this.text[this.position + 1] ?? ''
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.position + 2, this.position + 6))) this.fail()
          this.position += 6
        } else if ('"\\/bfnrt'.includes(escape) && escape !== '') {
          this.position += 2
        } else {
          this.fail()
        }
      } else {
        this.position++
      }
    }
    this.position++
    return JSON.parse(this.text.slice(start, this.position)) as string
  }

  /** An integer within int64 is Go's int; any other number its float64; one beyond float64 is refused, as Go refuses it. */
  private number(): bigint | number {
    const pattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
    pattern.lastIndex = this.position
    const match = pattern.exec(this.text)
    if (!match) this.fail()
    this.position += match[0].length
    if (/^-?\d+$/.test(match[0])) {
      const integer = BigInt(match[0])
      if (integer >= -(2n ** 63n) && integer < 2n ** 63n) return integer
    }
    const float = Number(match[0])
    if (!Number.isFinite(float)) throw invalid('it holds a number beyond what SOPS reads')
    return float
  }
}

/** JSON text of a decrypted tree, indented as JSON.stringify(value, null, 2) indents, in the file's order. */
function jsonText(value: SopsValue, indent: string): string {
  const inner = `${indent}  `
  if (value.kind === 'mapping') {
    if (value.items.length === 0) return '{}'
    return `{\n${value.items.map((item) => `${inner}${JSON.stringify(item.key)}: ${jsonText(item.value, inner)}`).join(',\n')}\n${indent}}`
  }
  if (value.kind === 'sequence') {
    if (value.items.length === 0) return '[]'
    return `[\n${value.items.map((item) => `${inner}${jsonText(item, inner)}`).join(',\n')}\n${indent}]`
  }
  const scalarValue = value.value
  if (typeof scalarValue === 'bigint') return scalarValue.toString()
  if (typeof scalarValue === 'number') {
    if (!Number.isFinite(scalarValue)) throw invalid('it holds a number JSON cannot hold (NaN or infinity)')
    return Object.is(scalarValue, -0) ? '-0' : String(scalarValue)
  }
  return JSON.stringify(scalarValue)
}
