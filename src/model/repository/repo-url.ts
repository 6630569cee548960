import {InvalidInputError, quoted} from '../errors.js'
import {looksLikeToken} from '../secrets/token-shape.js'

export type RemoteKind = 'https' | 'http' | 'ssh' | 'git' | 'scp' | 'file' | 'path'

export interface RemoteUrl {
  url: string
  kind: RemoteKind
  /** The last path segment without `.git`, lower-cased: the repository's default name. */
  derivedName: string
}

/** A safe identifier; as a Compose project name its "." become "-" (see defaultProjectName). */
export const REPO_NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,62}$/

const URL_SCHEMES: Record<string, RemoteKind> = {'https:': 'https', 'http:': 'http', 'ssh:': 'ssh', 'git:': 'git', 'file:': 'file'}
const SCP_STYLE = /^(?:[A-Za-z0-9._~-]+@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(?!\/\/)(.+)$/
/** ssh would read such a host or user as an option (-oProxyCommand=...); git refuses them too, but only when it connects. */
const DASH_HOST = 'its host or user name starts with "-"'
const HINT = 'use https://host/org/repo.git, ssh://git@host/org/repo.git, git@host:org/repo.git, file:///path or an absolute path'

export function parseRemoteUrl(input: string): RemoteUrl {
  const url = input.trim()
  const malformed = (why: string) =>
    new InvalidInputError(`invalid repository URL ${quoted(input)}: ${why}`, {code: 'invalid_url', hint: HINT})

  if (url.length === 0) throw malformed('it is empty')
  if (url.startsWith('-')) throw malformed('it starts with "-"')
  if (/[\s\u0000-\u001f\u007f]/.test(url)) throw malformed('it contains white space or control characters')

  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)
  if (scheme) {
    const kind = URL_SCHEMES[`${scheme[1]!.toLowerCase()}:`]
    if (!kind) throw malformed(`the scheme ${quoted(scheme[1]!)} is not supported`)
    let parsed: URL
    let username: string
    let hostname: string
    let pathname: string
    try {
      parsed = new URL(url)
      // Checked as git will read them: decoded (the URL parser leaves an ssh:// host percent-encoded).
      hostname = decodeURIComponent(parsed.hostname)
      username = decodeURIComponent(parsed.username)
      pathname = decodeURIComponent(parsed.pathname)
    } catch {
      throw malformed('it is not a valid URL')
    }
    if ((kind === 'https' || kind === 'http') && looksLikeToken(username)) {
      throw new InvalidInputError('invalid repository URL: its user name looks like a token, which would be stored in plain text', {
        code: 'invalid_url',
        hint: 'pass the URL without it, and the token with --token-env VAR or --token-stdin',
      })
    }
    if (parsed.password) {
      throw new InvalidInputError(`invalid repository URL ${quoted(redactPassword(parsed))}: it contains a password`, {
        code: 'invalid_url',
        hint: 'credentials in a URL would be stored in plain text; pass them separately',
      })
    }
    if (kind === 'file') {
      if (parsed.host) throw malformed('a file:// URL cannot name a host')
    } else if (!parsed.hostname) {
      throw malformed('it has no host')
    }
    if (hostname.startsWith('-') || username.startsWith('-')) throw malformed(DASH_HOST)
    return {url, kind, derivedName: lastSegment(pathname)}
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(url)) throw malformed('git remote helpers ("transport::address") are not supported')
  if (url.startsWith('/')) return {url, kind: 'path', derivedName: lastSegment(url)}

  const scp = SCP_STYLE.exec(url)
  if (scp?.[1]!.startsWith('-')) throw malformed(DASH_HOST)
  if (scp) return {url, kind: 'scp', derivedName: lastSegment(scp[2]!)}
  throw malformed('it is neither a URL nor an absolute path')
}

/** Lower-cases a name (Compose requires lower-case project names) and checks it is a safe identifier. */
export function normalizeRepoName(input: string): string {
  const name = input.trim().toLowerCase()
  if (!REPO_NAME_PATTERN.test(name)) {
    throw new InvalidInputError(`invalid repository name ${quoted(input)}`, {
      code: 'invalid_name',
      hint: 'use 1 to 63 letters, digits, ".", "_" or "-", starting with a letter or digit',
    })
  }
  return name
}

function lastSegment(pathname: string): string {
  const segments = pathname.split('/').filter((segment) => segment.length > 0)
  const last = segments.at(-1) ?? ''
  return last.replace(/\.git$/i, '').toLowerCase()
}

function redactPassword(url: URL): string {
  const copy = new URL(url.href)
  copy.password = '***'
  return copy.href
}
