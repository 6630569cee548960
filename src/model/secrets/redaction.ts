import {ACCESS_TOKENS_IN_TEXT} from '../access/token-format.js'

/**
 * Every secret kedge has seen in this process, and the one function that removes them from text before
 * kedge writes it anywhere: logs, error output, `--json`, the database.
 */
const knownSecrets = new Set<string>()
let longestFirst: string[] = []
/** Values of repositories' local env files (see registerLocalValue). */
const localValues = new Set<string>()
let localLongestFirst: string[] = []

/** Shorter values would mask ordinary words; no token or key is that short. */
const MIN_SECRET_LENGTH = 6

export const REDACTED = '***'

export function registerSecret(value: string | undefined | null): void {
  if (!value) return
  const candidates = [value, value.trim()]
  // Key material may be echoed a line at a time (a tool quoting the file it could not parse).
  if (value.includes('\n')) candidates.push(...value.split('\n').map((line) => line.trim()))
  // A base64 value read as `NAME=` (an env file that is a key file) is echoed without its padding.
  candidates.push(...candidates.filter((candidate) => /^[A-Za-z0-9+/]+={1,2}$/.test(candidate)).map((candidate) => candidate.replace(/=+$/, '')))
  let added = false
  for (const candidate of candidates) {
    if (candidate.length < MIN_SECRET_LENGTH || /^-----(BEGIN|END) [A-Z0-9 ]+-----$/.test(candidate) || knownSecrets.has(candidate)) continue
    knownSecrets.add(candidate)
    added = true
  }
  if (added) longestFirst = [...knownSecrets].sort((a, b) => b.length - a.length)
}

/**
 * A value of a repository's local env file: host-local, often a secret, but as often an ordinary word
 * (a database name, a hostname) that also names services, images and paths. It is masked in messages,
 * errors and logs like a secret, but not in content kedge restores as it is (a snapshot's service names
 * and compose files), which masking an ordinary word would break.
 */
export function registerLocalValue(value: string | undefined | null): void {
  if (!value || value.trim().length < MIN_SECRET_LENGTH || localValues.has(value.trim())) return
  localValues.add(value.trim())
  localLongestFirst = [...localValues].sort((a, b) => b.length - a.length)
}

/**
 * Credentials in URLs (`https://user:pass@host`) and HTTP authorization headers, known to kedge or not.
 * Quotes and backslashes end a match, so that it never runs across the fields of a JSON text.
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:"'\\]+:[^\s/@"'\\]*@/gi
const AUTHORIZATION = /\b(authorization:\s*(?:basic|bearer|token)\s+)[^\s'"\\]+/gi

/**
 * Secrets kedge knows, and anything shaped like a credential: for messages, errors and logs. Its own
 * access tokens (`kedge_…`) are masked by their shape: a process that checks one (serve) never learns the
 * tokens it may be shown.
 */
export function redact(text: string): string {
  return maskEach(redactKnown(text), localLongestFirst)
    .replace(URL_CREDENTIALS, `$1${REDACTED}@`)
    .replace(AUTHORIZATION, `$1${REDACTED}`)
    .replace(ACCESS_TOKENS_IN_TEXT, REDACTED)
}

/**
 * Only the secrets kedge knows: for content that must stay as it is, such as the compose files of a
 * snapshot, which a rollback writes back.
 */
export function redactKnown(text: string): string {
  return maskEach(text, longestFirst)
}

function maskEach(text: string, values: readonly string[]): string {
  let result = text
  for (const value of values) {
    if (result.includes(value)) result = result.split(value).join(REDACTED)
  }
  return result
}

/** The same for every string inside a JSON-like value, so that it stays valid once serialised. */
export function redactDeep<T>(value: T, redactString: (text: string) => string = redact): T {
  if (typeof value === 'string') return redactString(value) as T
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redactString)) as T
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactDeep(item, redactString)])) as T
  }
  return value
}

/**
 * Variables kedge is configured with that hold secrets (KEDGE_SECRET_KEY, an admin token, ...): known
 * from the start, whatever kedge does with them.
 */
export function registerEnvironmentSecrets(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(env)) {
    if (/^KEDGE_\w*(SECRET|TOKEN|PASSWORD|KEY)\w*$/.test(name)) registerSecret(value)
  }
}

registerEnvironmentSecrets()
