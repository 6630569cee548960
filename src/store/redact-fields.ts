import {redact, redactDeep, redactKnown} from '../model/secrets/redaction.js'

interface FieldKinds<T> {
  /** Messages: secrets and anything shaped like a credential are masked. */
  text?: ReadonlyArray<keyof T>
  /** JSON documents: each string inside is masked, so the document stays valid. */
  json?: ReadonlyArray<keyof T>
  /** JSON documents restored as they are (snapshots): only the secrets kedge knows are masked. */
  content?: ReadonlyArray<keyof T>
}

/** Columns that hold tool output or what was applied pass through redaction on their way to the database. */
export function redactFields<T extends Record<string, unknown>>(values: T, kinds: FieldKinds<T>): T {
  const copy = {...values}
  const apply = (fields: ReadonlyArray<keyof T> | undefined, transform: (text: string) => string) => {
    for (const field of fields ?? []) {
      const value = copy[field]
      if (typeof value === 'string') copy[field] = transform(value) as T[keyof T]
    }
  }
  apply(kinds.text, redact)
  apply(kinds.json, (text) => redactJson(text, redact))
  apply(kinds.content, (text) => redactJson(text, redactKnown))
  return copy
}

function redactJson(text: string, redactString: (text: string) => string): string {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return redactString(text)
  }
  return JSON.stringify(redactDeep(parsed, redactString))
}
