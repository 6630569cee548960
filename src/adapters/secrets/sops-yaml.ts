import {isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Document, type Node as YamlNode} from 'yaml'

import {assertTokensAtMost, COMPOSE_FILE_MAX_TOKENS, YamlTooComplexError} from '../../model/config/bounded-yaml.js'
import {additionalData, decryptComment} from './sops-cipher.js'
import {invalid, MAX_DEPTH, pathText, scalar, type Layout, type SopsMapping, type SopsScalar, type SopsValue} from './sops-format.js'
import {takeMetadata} from './sops-metadata.js'

/**
 * The YAML layout (stores/yaml/store.go): one or more documents, each a mapping, with the metadata under
 * `sops` in the first. The parsed documents are kept, so that the plaintext keeps the file's comments,
 * order and style.
 */

/** Tags a document SOPS writes may carry: YAML's own; any other would be read otherwise by Go. */
const YAML_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => `tag:yaml.org,2002:${name}`))

export function readYaml(content: string): Layout {
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
