/**
 * Globs of one path segment, as kedge.yaml's `stacks:` writes them: `*` (any run of characters), `?` (one
 * character) and `[abc]`, `[a-z]`, `[!abc]` (one character of a class, or not of it). Matching takes time
 * proportional to the pattern's length times the name's, whatever the pattern: a commit's kedge.yaml
 * cannot make it backtrack without end, as a regular expression built from it could.
 */

type Token = {kind: 'text'; char: string} | {kind: 'any'} | {kind: 'run'} | {kind: 'class'; negated: boolean; ranges: Array<[string, string]>}

/** True when `segment` is a pattern rather than a name. */
export function isGlobSegment(segment: string): boolean {
  return tokens(segment).some((token) => token.kind !== 'text')
}

/** True when `name` (one path segment) matches `pattern` (one segment). */
export function matchesGlobSegment(pattern: string, name: string): boolean {
  return matchTokens(tokens(pattern), [...name])
}

function tokens(pattern: string): Token[] {
  const chars = [...pattern]
  const result: Token[] = []
  for (let at = 0; at < chars.length; at++) {
    const char = chars[at]!
    if (char === '*') {
      if (result.at(-1)?.kind !== 'run') result.push({kind: 'run'})
    } else if (char === '?') {
      result.push({kind: 'any'})
    } else if (char === '[') {
      const parsed = characterClass(chars, at)
      if (parsed) {
        result.push(parsed.token)
        at = parsed.end
      } else {
        result.push({kind: 'text', char})
      }
    } else {
      result.push({kind: 'text', char})
    }
  }
  return result
}

/** The class opening at `start` and the index of its `]`; null when it is not closed, and `[` is then a plain character. */
function characterClass(chars: string[], start: number): {token: Token; end: number} | null {
  let at = start + 1
  const negated = chars[at] === '!' || chars[at] === '^'
  if (negated) at++
  const ranges: Array<[string, string]> = []
  // A `]` right after the opening stands for itself, as in a shell.
  for (let first = true; at < chars.length; at++, first = false) {
    const char = chars[at]!
    if (char === ']' && !first) return {token: {kind: 'class', negated, ranges}, end: at}
    if (chars[at + 1] === '-' && chars[at + 2] !== undefined && chars[at + 2] !== ']') {
      ranges.push([char, chars[at + 2]!])
      at += 2
    } else {
      ranges.push([char, char])
    }
  }
  return null
}

function matchesOne(token: Token, char: string): boolean {
  switch (token.kind) {
    case 'text':
      return token.char === char
    case 'any':
      return true
    case 'class':
      return token.ranges.some(([low, high]) => low <= char && char <= high) !== token.negated
    case 'run':
      return false
  }
}

/** The classic wildcard walk: on a mismatch, the last `*` takes one more character; no other state is kept. */
function matchTokens(pattern: Token[], name: string[]): boolean {
  let p = 0
  let n = 0
  let lastRun = -1
  let runFrom = 0
  while (n < name.length) {
    const token = pattern[p]
    if (token?.kind === 'run') {
      lastRun = p++
      runFrom = n
    } else if (token && matchesOne(token, name[n]!)) {
      p++
      n++
    } else if (lastRun >= 0) {
      p = lastRun + 1
      n = ++runFrom
    } else {
      return false
    }
  }
  while (pattern[p]?.kind === 'run') p++
  return p === pattern.length
}
