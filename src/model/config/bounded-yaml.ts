import {isScalar, Lexer, LineCounter, parseDocument, visit, YAMLParseError, type Document} from 'yaml'

/**
 * How many YAML tokens (scalars, indicators, spaces, line breaks) kedge parses in one file. The parse runs
 * on serve's event loop and costs a few microseconds a token: this keeps one file under about 100 ms. A
 * kedge.yaml holds a few hundred tokens, a large compose file a few tens of thousands.
 */
export const KEDGE_CONFIG_MAX_TOKENS = 20_000
export const COMPOSE_FILE_MAX_TOKENS = 30_000

/** The aliases one document may expand, against alias bombs (the parser's own default). */
const MAX_ALIAS_COUNT = 100

export class YamlTooComplexError extends Error {
  constructor(readonly maxTokens: number) {
    super(`more than ${maxTokens} YAML tokens`)
  }
}

export interface BoundedYamlOptions {
  maxTokens: number
  /** Resolve `<<` merge keys, as Compose does. */
  merge?: boolean
  /** Return what parses when the text holds errors, instead of throwing the first one. */
  lenient?: boolean
}

/**
 * Parses one YAML document in time linear in its length, or throws YamlTooComplexError without parsing
 * it when it holds more than `maxTokens` tokens (Infinity for text that is not a file of a repository), or the parser's first error (a YAMLParseError with its
 * line and column). The parser's own check for duplicate keys compares each key with every earlier
 * one of its mapping (quadratic: a 700 KB file of 60,000 keys takes minutes); it is turned off and
 * done here with a set per mapping, with the same error.
 */
export function parseBoundedYaml(text: string, options: BoundedYamlOptions): unknown {
  assertTokensAtMost(text, options.maxTokens)
  const lineCounter = new LineCounter()
  const document = parseDocument(text, {uniqueKeys: false, merge: options.merge ?? false, lineCounter, prettyErrors: true})
  if (!options.lenient) {
    const duplicate = firstDuplicateKey(document)
    const errors = [...document.errors]
    if (duplicate !== null) {
      const error = new YAMLParseError([duplicate, duplicate + 1], 'DUPLICATE_KEY', 'Map keys must be unique')
      error.linePos = [lineCounter.linePos(duplicate)]
      errors.push(error)
    }
    const first = errors.sort((a, b) => a.pos[0] - b.pos[0])[0]
    if (first) throw first
  }
  return document.toJS({maxAliasCount: MAX_ALIAS_COUNT})
}

/** Counts the text's tokens, and stops as soon as there are too many: the count costs a fraction of a parse. */
export function assertTokensAtMost(text: string, maxTokens: number): void {
  if (maxTokens === Infinity) return
  let tokens = 0
  for (const _ of new Lexer().lex(text)) {
    if (++tokens > maxTokens) throw new YamlTooComplexError(maxTokens)
  }
}

/** Where the first key repeated in its mapping starts, or null. Keys are equal as the parser compares them: scalars by value. */
function firstDuplicateKey(document: Document): number | null {
  let first: number | null = null
  visit(document, {
    Map(_, map) {
      const seen = new Set<unknown>()
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue
        const value = pair.key.value
        if (seen.has(value)) {
          const at = pair.key.range?.[0]
          if (at !== undefined && (first === null || at < first)) first = at
        }
        seen.add(value)
      }
    },
  })
  return first
}
