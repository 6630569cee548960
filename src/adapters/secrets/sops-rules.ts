import {runInNewContext} from 'node:vm'

import {invalid} from './sops-format.js'
import type {EncryptionRule} from './sops-metadata.js'

/**
 * Which values of a file are encrypted (sops.go: shouldBeEncrypted), by the one rule its metadata sets.
 * The rule's regex comes from the file, which anyone who can push may write, so it runs bounded in time.
 */

/** Whether the value at a key path is encrypted, by the file's one rule. */
export type EncryptedPaths = (path: readonly string[]) => boolean

/** A regex takes this long at most over every key of a file: a file's own pattern must not stall kedge. */
const REGEX_TIMEOUT_MS = 1000

export function encryptedPaths(rule: EncryptionRule, keys: ReadonlySet<string>): EncryptedPaths {
  switch (rule.kind) {
    case 'unencrypted_suffix':
      return (path) => !path.some((key) => key.endsWith(rule.suffix))
    case 'encrypted_suffix':
      return (path) => path.some((key) => key.endsWith(rule.suffix))
    case 'unencrypted_regex': {
      const matches = matchingKeys(rule.pattern, rule.kind, keys)
      return (path) => !path.some((key) => matches.has(key))
    }
    case 'encrypted_regex': {
      const matches = matchingKeys(rule.pattern, rule.kind, keys)
      return (path) => path.some((key) => matches.has(key))
    }
  }
}

/**
 * The keys a Go regular expression matches. JavaScript's engine backtracks where Go's does not, so the
 * pattern runs in a separate context with a deadline: a file cannot make kedge spin on its own regex.
 */
function matchingKeys(pattern: string, name: string, keys: ReadonlySet<string>): Set<string> {
  const translated = goPatternToJs(pattern)
  const hint = `kedge runs the regex in JavaScript, which reads most of Go's: write its ${name} without what JavaScript lacks (POSIX classes, \\Q…\\E, flags other than i, m and s), and without nested repetition`
  if (translated === null) throw invalid(`its ${name} is a Go regular expression kedge cannot run`, hint)
  const list = [...keys]
  let results: unknown
  try {
    results = runInNewContext('const re = new RegExp(source, flags); keys.map((key) => re.test(key))', {...translated, keys: list}, {timeout: REGEX_TIMEOUT_MS})
  } catch (error) {
    const timedOut = (error as {code?: unknown} | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT'
    throw invalid(timedOut ? `its ${name} takes too long to match its keys` : `its ${name} is a Go regular expression kedge cannot run`, hint)
  }
  const matched = results as boolean[]
  return new Set(list.filter((_, index) => matched[index] === true))
}

/**
 * A Go (RE2) pattern as a JavaScript one with the `u` flag: leading flags `(?i)`, `(?s)`, `(?m)` become
 * flags, `(?P<name>` a named group, and escaped punctuation (`\_`, `\-`: Go allows any) a `\xHH` escape.
 * Anything else JavaScript cannot compile fails there; null for what has no JavaScript equivalent.
 */
function goPatternToJs(pattern: string): {source: string; flags: string} | null {
  let source = pattern
  let flags = 'u'
  const leading = /^\(\?([a-zA-Z]+)\)/.exec(source)
  if (leading) {
    for (const flag of leading[1]!) {
      if (!'ims'.includes(flag)) return null
      if (!flags.includes(flag)) flags += flag
    }
    source = source.slice(leading[0].length)
  }
  let out = ''
  for (let index = 0; index < source.length; index++) {
    const char = source[index]!
    if (char === '\\' && index + 1 < source.length) {
      const next = source[++index]!
      if (/[!-/:-@[-`{-~]/.test(next) && !/[\^$\\.*+?()[\]{}|/]/.test(next)) out += `\\x${next.charCodeAt(0).toString(16).padStart(2, '0')}`
      else out += `\\${next}`
    } else if (source.startsWith('(?P<', index)) {
      out += '(?<'
      index += 3
    } else {
      out += char
    }
  }
  return {source: out, flags}
}
