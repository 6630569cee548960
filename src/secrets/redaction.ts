/**
 * Every secret kedge has seen in this process, and the one function that removes them from text before
 * kedge writes it anywhere: logs, error output, `--json`, the database.
 */
const knownSecrets = new Set<string>()
let longestFirst: string[] = []

/** Shorter values would mask ordinary words; no token or key is that short. */
const MIN_SECRET_LENGTH = 6

export const REDACTED = '***'

export function registerSecret(value: string | undefined | null): void {
  if (!value) return
  const candidates = [value, value.trim()]
  // Key material may be echoed a line at a time (a tool quoting the file it could not parse).
  if (value.includes('\n')) candidates.push(...value.split('\n').map((line) => line.trim()))
  let added = false
  for (const candidate of candidates) {
    if (candidate.length < MIN_SECRET_LENGTH || /^-----(BEGIN|END) [A-Z0-9 ]+-----$/.test(candidate) || knownSecrets.has(candidate)) continue
    knownSecrets.add(candidate)
    added = true
  }
  if (added) longestFirst = [...knownSecrets].sort((a, b) => b.length - a.length)
}

/**
 * Credentials in URLs (`https://user:pass@host`) and HTTP authorization headers, known to kedge or not.
 * Quotes and backslashes end a match, so that it never runs across the fields of a JSON text.
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:"'\\]+:[^\s/@"'\\]*@/gi
const AUTHORIZATION = /\b(authorization:\s*(?:basic|bearer|token)\s+)[^\s'"\\]+/gi

/** Secrets kedge knows, and anything shaped like a credential: for messages, errors and logs. */
export function redact(text: string): string {
  return redactKnown(text).replace(URL_CREDENTIALS, `$1${REDACTED}@`).replace(AUTHORIZATION, `$1${REDACTED}`)
}

/**
 * Only the secrets kedge knows: for content that must stay as it is, such as the compose files of a
 * snapshot, which a rollback writes back.
 */
export function redactKnown(text: string): string {
  let result = text
  for (const secret of longestFirst) {
    if (result.includes(secret)) result = result.split(secret).join(REDACTED)
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
