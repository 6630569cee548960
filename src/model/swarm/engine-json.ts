import {ExternalError} from '../errors.js'

/**
 * Reading the Docker engine's JSON answers field by field. A field of the wrong type fails with a
 * message naming the list, the item and the field, rather than a TypeError deep in the drift check:
 * a proxy in front of a remote engine, or an engine of another API version, can answer anything.
 */

export type JsonObject = Record<string, unknown>

/** Where in an answer a value sits, for the error: "the engine's service list, item 2 (ID 0kt7…)". */
export interface JsonPlace {
  readonly what: string
}

export function malformed(place: JsonPlace, detail: string): ExternalError {
  return new ExternalError(`${place.what} is malformed: ${detail}`, {
    code: 'engine_error',
    hint: 'is this a Docker engine of API 1.41 or later, reached directly and not through a proxy that rewrites its answers?',
  })
}

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** The answer as a list of objects; each item comes with its place for later errors. */
export function listOf(raw: unknown, what: string): Array<{item: JsonObject; place: JsonPlace}> {
  if (!Array.isArray(raw)) throw malformed({what}, `expected a list, got ${describe(raw)}`)
  return raw.map((item, index) => {
    const id = isObject(item) && typeof item.ID === 'string' ? ` (ID ${item.ID})` : ''
    const place = {what: `${what}, item ${index + 1}${id}`}
    if (!isObject(item)) throw malformed(place, `expected an object, got ${describe(item)}`)
    return {item, place}
  })
}

/** The value at a dotted path ("Spec.Mode"), or undefined where a step is missing or null. */
export function at(object: JsonObject, path: string): unknown {
  let value: unknown = object
  for (const key of path.split('.')) {
    if (!isObject(value)) return undefined
    value = value[key]
  }
  return value ?? undefined
}

export function requiredText(object: JsonObject, path: string, place: JsonPlace): string {
  const value = at(object, path)
  if (typeof value !== 'string' || value === '') throw malformed(place, `${path} ${value === undefined || value === '' ? 'is missing' : `is ${describe(value)}, not a string`}`)
  return value
}

/** A string the engine leaves out when it has nothing to say (a task's Err, a pending task's NodeID): null then. */
export function optionalText(object: JsonObject, path: string, place: JsonPlace): string | null {
  const value = at(object, path)
  if (value === undefined || value === '') return null
  if (typeof value !== 'string') throw malformed(place, `${path} is ${describe(value)}, not a string`)
  return value
}

export function optionalCount(object: JsonObject, path: string, place: JsonPlace): number | null {
  const value = at(object, path)
  if (value === undefined) return null
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw malformed(place, `${path} is ${describe(value)}, not a count`)
  return value
}

export function requiredCount(object: JsonObject, path: string, place: JsonPlace): number {
  const count = optionalCount(object, path, place)
  if (count === null) throw malformed(place, `${path} is missing`)
  return count
}

export function textMap(object: JsonObject, path: string, place: JsonPlace): Record<string, string> {
  const value = at(object, path)
  if (value === undefined) return {}
  if (!isObject(value)) throw malformed(place, `${path} is ${describe(value)}, not a map`)
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw malformed(place, `${path}.${key} is ${describe(item)}, not a string`)
  }
  return {...(value as Record<string, string>)}
}

/** An engine timestamp (RFC 3339, up to nanoseconds). */
export type EngineTime = string

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/

/**
 * An engine timestamp in one form, UTC with nine fraction digits, so that two compare as strings to the
 * nanosecond. Go drops trailing zeros of the fraction (".1214Z" beside ".12148Z"), which would order
 * them wrongly as they come; a Date would lose everything below the millisecond, and a task created
 * within the same millisecond as an update started belongs to one side of it.
 */
export function engineTime(object: JsonObject, path: string, place: JsonPlace): EngineTime {
  const value = at(object, path)
  const normal = typeof value === 'string' ? normalTime(value) : null
  if (normal === null) throw malformed(place, `${path} is ${value === undefined ? 'missing' : `${describe(value)}, not a timestamp`}`)
  return normal
}

export function optionalEngineTime(object: JsonObject, path: string, place: JsonPlace): EngineTime | null {
  return at(object, path) === undefined ? null : engineTime(object, path, place)
}

export function normalTime(text: string): EngineTime | null {
  const match = RFC3339.exec(text)
  if (!match) return null
  const [, seconds, fraction = '', zone] = match as unknown as [string, string, string | undefined, string]
  if (zone === 'Z') return `${seconds}.${fraction.padEnd(9, '0')}Z`
  const utc = new Date(`${seconds}${zone}`)
  if (Number.isNaN(utc.getTime())) return null
  return `${utc.toISOString().slice(0, 19)}.${fraction.padEnd(9, '0')}Z`
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`
}
