import {additionalData, decryptComment} from './sops-cipher.js'
import {invalid, MAX_DEPTH, scalar, type Layout, type SopsMapping, type SopsScalar, type SopsValue} from './sops-format.js'
import {scalarText} from './sops-go-scalars.js'

/**
 * The dotenv layout (stores/dotenv/store.go): KEY=value lines, "\n" for a line break, # comments, and
 * the metadata flattened into sops_* lines (stores/flatten.go).
 */

export function readDotenv(content: string): Layout {
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

/**
 * dotenv's flattened metadata (`age__list_0__map_recipient`, stores/flatten.go) as the tree SOPS
 * unflattens it to. Keys are sorted as SOPS sorts them; a list must have every index from 0.
 */
function unflatten(items: ReadonlyArray<{key: string; value: SopsValue}>): SopsMapping {
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
