import {invalid, MAX_DEPTH, scalar, type Layout, type SopsMapping, type SopsValue} from './sops-format.js'
import {takeMetadata} from './sops-metadata.js'

/**
 * The JSON layout (stores/json/store.go): an object, read in order with repeated keys kept and numbers as
 * Go reads them; the metadata is its `sops` entry.
 */

export function readJson(content: string): Layout {
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
