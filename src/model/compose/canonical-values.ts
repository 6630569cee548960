import {byCodeUnits} from './text-order.js'

/**
 * The forms canonicalService gives single values, whichever Compose version printed them: command
 * words, healthchecks, durations, sizes, maps and lists of text; and the small helpers the canonical-*
 * files share. Pure.
 */

export type Json = Record<string, unknown>

// ---------------------------------------------------------------------------------------------------
// command, entrypoint, healthcheck

/** v1 keeps a command string; v2 splits it. The words are those the container gets (see splitWords). */
export function commandWords(value: unknown): unknown {
  if (typeof value === 'string') return splitWords(value) ?? value
  if (Array.isArray(value)) return value.map(scalarText)
  return value
}

/**
 * Splits a command line as Python's `shlex.split` does: docker-py splits v1's command strings so before
 * it creates the container. v2 splits with Go's shellwords, which agrees on quotes, backslashes and
 * blanks, but stops at an unquoted `;`, `&`, `|`, `<` or `>` and keeps `$(...)` and backquotes as one
 * word. For those lines the two versions start different commands, and the forms rightly differ.
 * Null for a line shlex rejects (an open quote, a trailing backslash): docker-py would reject it too.
 */
export function splitWords(line: string): string[] | null {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote: '"' | "'" | null = null
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!
    if (quote === "'") {
      if (char === "'") quote = null
      else word += char
    } else if (quote === '"') {
      if (char === '"') quote = null
      else if (char === '\\') {
        const next = line[++index]
        if (next === undefined) return null
        // Inside double quotes a backslash escapes only a quote or itself, as in a POSIX shell.
        word += next === '"' || next === '\\' ? next : `\\${next}`
      } else word += char
    } else if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      inWord = true
      if (char === '"' || char === "'") quote = char
      else if (char === '\\') {
        const next = line[++index]
        if (next === undefined) return null
        word += next
      } else word += char
    }
  }
  if (quote) return null
  if (inWord) words.push(word)
  return words
}

const DURATION_KEYS = ['interval', 'timeout', 'start_period', 'start_interval'] as const

export function healthcheck(value: unknown): unknown {
  if (!isRecord(value)) return value
  const result: Json = {...value}
  // A string test runs in a shell: docker-py and v2 both turn it into CMD-SHELL.
  if (typeof result.test === 'string') result.test = ['CMD-SHELL', result.test]
  else if (Array.isArray(result.test)) result.test = result.test.map(scalarText)
  // v1 prints `disable: true` as the test Docker gets for it, ["NONE"]; v2 keeps `disable`.
  if (result.disable === true) result.test = ['NONE']
  delete result.disable
  for (const key of DURATION_KEYS) if (result[key] !== undefined) result[key] = durationMs(result[key])
  return result
}

// ---------------------------------------------------------------------------------------------------
// durations and sizes

const NANOSECONDS: Record<string, number> = {ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9}

/** A duration as milliseconds. v1 keeps the user's text ("90s", "1500ms", "0h"); v2 prints Go's ("1m30s"). */
export function durationMs(value: unknown): unknown {
  if (typeof value !== 'string') return value
  const nanoseconds = parseDuration(value)
  return nanoseconds === null ? value : nanoseconds / 1e6
}

/** Go's time.ParseDuration, to whole nanoseconds. */
export function parseDuration(text: string): number | null {
  const match = /^([-+]?)((?:\d*\.?\d*[a-zµμ]+)+|0)$/.exec(text)
  if (!match) return null
  const sign = match[1] === '-' ? -1 : 1
  if (match[2] === '0') return 0
  let total = 0
  for (const part of match[2]!.matchAll(/(\d*)(?:\.(\d*))?([a-zµμ]+)/g)) {
    const [, whole = '', fraction = '', unit = ''] = part
    const scale = NANOSECONDS[unit]
    if (scale === undefined || (whole === '' && fraction === '')) return null
    total += Number(whole || '0') * scale
    // The fraction as an integer over a power of ten, so that "1.1s" is exactly 1100000000 ns.
    if (fraction !== '') total += Math.trunc((Number(fraction) * scale) / 10 ** fraction.length)
  }
  return sign * total
}

/**
 * A size in bytes, as v2 prints it (go-units RAMInBytes: binary multiples, "1g", "512m", "1gb", "64M").
 * v1 keeps the user's text. Text that is no size stays as it is.
 */
export function byteSize(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value)
  if (typeof value !== 'string') return value
  const match = /^(-?\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(value.trim())
  if (!match) return value
  const power = match[2] ? 'kmgtp'.indexOf(match[2].toLowerCase()) + 1 : 0
  return Math.trunc(Number(match[1]) * 1024 ** power)
}

export function numberIfNumeric(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value)
  return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value
}

// ---------------------------------------------------------------------------------------------------
// maps and lists of text

/**
 * A list ("KEY=value", "KEY") or a map with any scalar values, as a map of strings. v1 prints numbers
 * (`PORT: 5`), v2 strings (`PORT: "5"`). `valueless` is what an entry without "=" or a null value
 * means: null (an unset variable) for environment, "" for labels (v2 prints `label: ""` for `label:`).
 */
export function stringMap(value: unknown, valueless: string | null): unknown {
  if (Array.isArray(value)) {
    const result: Record<string, string | null> = {}
    for (const entry of value.map(scalarText)) {
      const equals = entry.indexOf('=')
      if (equals < 0) result[entry] = valueless
      else result[entry.slice(0, equals)] = entry.slice(equals + 1)
    }
    return result
  }
  if (!isRecord(value)) return value
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, item === null || item === undefined ? valueless : scalarText(item)]))
}

/** `extra_hosts` as sorted "host=ip" lines. v1 prints the user's list ("host:ip") or map; v2 sorted "host=ip". */
export function extraHosts(value: unknown): unknown {
  const lines: string[] = []
  if (Array.isArray(value)) {
    for (const entry of value.map(scalarText)) {
      // "host=ip", or the older "host:ip" where the IP (IPv6 too) follows the first colon.
      const separator = entry.includes('=') ? entry.indexOf('=') : entry.indexOf(':')
      lines.push(separator < 0 ? entry : hostLine(entry.slice(0, separator), entry.slice(separator + 1)))
    }
  } else if (isRecord(value)) {
    for (const [host, addresses] of Object.entries(value)) {
      for (const address of Array.isArray(addresses) ? addresses : [addresses]) lines.push(hostLine(host, scalarText(address)))
    }
  } else return value
  return lines.sort(byCodeUnits)
}

function hostLine(host: string, address: string): string {
  return `${host}=${withoutBrackets(address)}`
}

/** A string or list as a list of strings (`dns: 8.8.8.8` is a list of one for both versions). */
export function stringList(value: unknown): string[] {
  return asList(value).map(scalarText)
}

// ---------------------------------------------------------------------------------------------------
// helpers

export function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export function isEmpty(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (isRecord(value) && Object.keys(value).length === 0)
}

export function asList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value
  return value === undefined || value === null ? [] : [value]
}

/** A scalar as the text Compose passes on: v1 prints numbers where v2 prints strings. */
export function scalarText(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  return value === null || value === undefined ? '' : JSON.stringify(value)
}

/** Also true for a bigint, which a caller parsing with the `yaml` option `intAsBigInt` gets for every integer. */
export function equalsNumber(value: unknown, number: number): boolean {
  return (typeof value === 'number' || typeof value === 'bigint') && Number(value) === number
}

export function withoutBrackets(address: string): string {
  return address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address
}

/** Sorts by a rendering with ordered keys, so that order in the file does not matter. */
export function sortedByContent(items: unknown[]): unknown[] {
  return items
    .map((item) => ({item, key: orderedText(item)}))
    .sort((a, b) => byCodeUnits(a.key, b.key))
    .map(({item}) => item)
}

function orderedText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(orderedText).join(',')}]`
  if (isRecord(value)) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined)
    entries.sort(([a], [b]) => byCodeUnits(a, b))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${orderedText(item)}`).join(',')}}`
  }
  return typeof value === 'bigint' ? value.toString() : JSON.stringify(value)
}
