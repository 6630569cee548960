import type {ScalarValue} from './sops-format.js'

/**
 * Go's readings and printings of scalars (strconv, time), as SOPS uses them. The MAC hashes values as
 * SOPS's Go code prints them, and metadata is read as Go reads it: a value read or printed otherwise
 * would fail the check, or read a file differently from `sops decrypt`.
 */

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** strconv.Atoi: an optional sign and decimal digits, within int64. */
export function parseGoInt(text: string): bigint | null {
  const match = /^([+-]?)(\d+)$/.exec(text)
  if (!match) return null
  const value = match[1] === '-' ? -BigInt(match[2]!) : BigInt(match[2]!)
  return value < INT64_MIN || value > INT64_MAX ? null : value
}

/** strconv.ParseFloat in decimal (SOPS writes no other): out of range is an error, as in Go. */
export function parseGoFloat(text: string): number | null {
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity
  if (/^nan$/i.test(text)) return NaN
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null
  const value = Number(text)
  return Number.isFinite(value) ? value : null
}

/** strconv.ParseBool. */
export function parseGoBool(text: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false
  return null
}

/** A finite number's shortest round-trip digits and the position of the decimal point among them. */
function shortestDigits(value: number): {digits: string; point: number} {
  const [mantissa, exponent] = Math.abs(value).toExponential().split('e') as [string, string]
  return {digits: mantissa.replace('.', ''), point: Number(exponent) + 1}
}

/** strconv.FormatFloat(value, 'f', -1, 64): shortest digits, never an exponent. */
export function formatFloatF(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf'
  const sign = value < 0 || Object.is(value, -0) ? '-' : ''
  const {digits, point} = shortestDigits(value)
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
}

/** strconv.FormatFloat(value, 'G', -1, 64): an exponent below 1e-4 and from 1e6 (Go's rule for shortest). */
function formatFloatG(value: number): string {
  if (!Number.isFinite(value) || value === 0) return formatFloatF(value)
  const {digits, point} = shortestDigits(value)
  const exponent = point - 1
  if (exponent >= -4 && exponent < 6) return formatFloatF(value)
  const sign = value < 0 ? '-' : ''
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
  return `${sign}${mantissa}E${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`
}

/**
 * A scalar as SOPS prints it in a dotenv file (stores.ValToString): a float keeps a decimal point or an
 * exponent, so that it does not read as an integer; a bool is true or false. nil is the empty string.
 */
export function scalarText(value: ScalarValue): string {
  if (value === null) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  const general = formatFloatG(value)
  return /[.E]/.test(general) || !Number.isFinite(value) ? general : `${formatFloatF(value)}.0`
}

/**
 * An RFC 3339 time as Go reads it (time.Parse; fractional seconds are allowed) and prints it again:
 * RFC3339 (to the second), or with `nano` RFC3339Nano (fraction without trailing zeros). A zero offset
 * prints as Z. Null for what Go does not read.
 */
export function goRfc3339(text: string, nano: boolean): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(text)
  if (!match) return null
  const [, year, month, day, hour, minute, second, fraction, zone, zoneSign, zoneHours, zoneMinutes] = match
  const daysIn = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate()
  if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(day) > daysIn) return null
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return null
  if (zone !== 'Z' && (Number(zoneHours) > 23 || Number(zoneMinutes) > 59)) return null
  const zeroOffset = zone === 'Z' || (Number(zoneHours) === 0 && Number(zoneMinutes) === 0)
  const fractionText = nano && fraction ? fraction.slice(0, 9).replace(/0+$/, '') : ''
  return `${year}-${month}-${day}T${hour}:${minute}:${second}${fractionText ? `.${fractionText}` : ''}${zeroOffset ? 'Z' : `${zoneSign}${zoneHours}:${zoneMinutes}`}`
}
