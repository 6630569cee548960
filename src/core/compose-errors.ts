/**
 * Compose's refusals, made to name what they are about on every Compose version: v1 names the field
 * ("services.web.ports contains an invalid type"), v2 at times names only the value ("Invalid
 * containerPort: notaport"). Pure.
 */

type Json = Record<string, unknown>

/** A reason that already names a service or a field path, as both versions mostly do. */
const NAMES_ITS_PLACE = /\bservices?[.[\s]|\bservice "|\(root\)/i

/**
 * Compose's reason with the service and field it concerns put first, found by the value it quotes
 * last (after its last ": "), when exactly one field of one service holds that value. `documents` are
 * the compose files as parsed YAML, in the order Compose reads them.
 */
export function locateComposeError(reason: string, documents: readonly unknown[]): string {
  if (NAMES_ITS_PLACE.test(reason)) return reason
  const separator = reason.lastIndexOf(': ')
  if (separator < 0) return reason
  const value = reason.slice(separator + 2).trim().replace(/^["']|["']$/g, '')
  if (value === '') return reason
  const places = new Set<string>()
  for (const document of documents) {
    const services = (document as Json | null)?.services
    if (!isObject(services)) continue
    for (const [service, definition] of Object.entries(services)) {
      if (!isObject(definition)) continue
      for (const [field, setting] of Object.entries(definition)) {
        if (holdsValue(setting, value)) places.add(`service ${JSON.stringify(service)} ${field}`)
      }
    }
  }
  return places.size === 1 ? `${[...places][0]}: ${reason}` : reason
}

function holdsValue(setting: unknown, value: string): boolean {
  if (typeof setting === 'string' || typeof setting === 'number' || typeof setting === 'boolean') return String(setting) === value
  if (Array.isArray(setting)) return setting.some((item) => holdsValue(item, value))
  if (isObject(setting)) return Object.values(setting).some((item) => holdsValue(item, value))
  return false
}

/** v2's whole word on compose files without services, where v1 resolves them to none. */
export function isEmptyProject(reason: string): boolean {
  return /^empty compose file$/.test(reason.trim())
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
