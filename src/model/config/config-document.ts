import {createHash} from 'node:crypto'

import {YAMLParseError} from 'yaml'
import {z} from 'zod'

import {clipped, errorMessage, InvalidConfigError, quoted} from '../errors.js'
import {KEDGE_CONFIG_MAX_TOKENS, parseBoundedYaml, YamlTooComplexError} from './bounded-yaml.js'

/** The YAML document of a kedge.yaml, bounded; `file` names it in errors. */
export function parseConfigDocument(text: string, file: string): unknown {
  try {
    // Warnings (an unknown tag, a collection as a key) are not printed; the schema refuses those anyway.
    return parseBoundedYaml(text, {maxTokens: KEDGE_CONFIG_MAX_TOKENS}) ?? {}
  } catch (error) {
    if (error instanceof YamlTooComplexError) {
      throw new InvalidConfigError(file, undefined, `too large to parse: ${error.message}`, {hint: 'a kedge.yaml holds a few settings; see docs/hostile-commits.md'})
    }
    // The parser also throws plain errors, e.g. on an alias bomb ("Excessive alias count").
    const where = error instanceof YAMLParseError && error.linePos?.[0] ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}: ` : ''
    const reason = clipped(firstLine(errorMessage(error)).replace(/\s*at line \d+, column \d+:?$/, ''))
    throw new InvalidConfigError(file, undefined, `invalid YAML: ${where}${reason}`)
  }
}

/** `document` checked against `schema`; its first issue is thrown as one line naming the file and the field. */
export function validated<Schema extends z.ZodObject>(schema: Schema, document: unknown, file: string): z.output<Schema> {
  const parsed = schema.safeParse(document)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  const field = issue.path.join('.')
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => (field ? `${field}.${plainKey(key)}` : plainKey(key)))
    throw new InvalidConfigError(file, keys[0], `unknown field (expected ${knownFields(schema, issue.path)})`)
  }
  throw new InvalidConfigError(file, field || undefined, issue.message)
}

const REFUSED_CONFIGS_KEPT = 512

/**
 * `parse`, with invalid files kept with their error by a hash of their content: a hostile commit's
 * kedge.yaml (an alias bomb, a file at the token bound) is not parsed again wherever it is read again
 * (docs/hostile-commits.md). A valid file is not kept: a round of serve reads it once, and the deployed
 * one is parsed once per deployment.
 */
export function keepingRefusals<T>(parse: (text: string, file: string) => T): (text: string, file: string) => T {
  const refused = new Map<string, InvalidConfigError>()
  return (text, file) => {
    const key = createHash('sha256').update(file).update('\u0000').update(text).digest('base64')
    const known = refused.get(key)
    if (known) throw known
    try {
      return parse(text, file)
    } catch (error) {
      if (!(error instanceof InvalidConfigError)) throw error
      if (refused.size >= REFUSED_CONFIGS_KEPT) refused.delete(refused.keys().next().value!)
      refused.set(key, error)
      throw error
    }
  }
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}

/** The fields of the mapping at `sectionPath`, looking through optional values, lists, and a choice of a value or a mapping. */
function knownFields(schema: z.ZodObject, sectionPath: PropertyKey[]): string {
  let type: z.ZodType | undefined = schema
  for (const key of sectionPath) {
    const inner = structural(type)
    type = inner instanceof z.ZodArray ? (inner.element as z.ZodType) : inner instanceof z.ZodObject ? inner.shape[String(key)] : undefined
  }
  const mapping = structural(type)
  return mapping instanceof z.ZodObject ? Object.keys(mapping.shape).join(', ') : ''
}

/** The mapping or list `type` stands for: an optional one unwrapped, the mapping or list of a choice or of a transformation. */
function structural(type: z.ZodType | undefined): z.ZodType | undefined {
  if (type instanceof z.ZodOptional) return structural(type.unwrap() as z.ZodType)
  if (type instanceof z.ZodUnion) return (type.options as z.ZodType[]).map(structural).find(isStructure)
  if (type instanceof z.ZodPipe) return [type.in as z.ZodType, type.out as z.ZodType].map(structural).find(isStructure)
  return type
}

/** A key as written when it looks like one, else quoted (and cut short): a key may hold a newline, or a megabyte. */
function plainKey(key: string): string {
  return /^[\w.-]{1,80}$/.test(key) ? key : quoted(key)
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim()
}

function isStructure(type: z.ZodType | undefined): boolean {
  return type instanceof z.ZodObject || type instanceof z.ZodArray
}
