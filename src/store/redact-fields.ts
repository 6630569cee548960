import {redact} from '../secrets/redaction.js'

/** Columns that hold tool output or what was applied pass through redaction on their way to the database. */
export function redactFields<T extends Record<string, unknown>>(values: T, fields: ReadonlyArray<keyof T>): T {
  const copy = {...values}
  for (const field of fields) {
    const value = copy[field]
    if (typeof value === 'string') copy[field] = redact(value) as T[keyof T]
  }
  return copy
}
