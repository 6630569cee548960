import {InvalidInputError} from '../errors.js'

/** A variable's value where it is set (an empty one too), undefined where it is not. */
export type VariableLookup = (name: string) => string | undefined

const NOTHING_SET: VariableLookup = () => undefined

/**
 * Reads a `.env` file as Compose v2 does (compose-go's dotenv parser, checked against `docker compose
 * config`; see test/unit/swarm-dotenv.test.ts), for the tools that do not read it themselves:
 * - `NAME=value`, `NAME: value`, an optional `export ` before the name; blank lines and `#` comments;
 * - an unquoted value ends at the line's end or at ` #` (a space, then #), and loses the blanks around it;
 * - single quotes keep the text as it is, but for `\'`;
 * - double quotes take escapes (`\n`, `\t`, `\"`, `\\`, `\$`, …) and may span lines;
 * - unquoted and double-quoted values are interpolated (`$NAME`, `${NAME:-default}`, `$$`, …), with
 *   `lookup` (the environment Compose runs in) first, then the names the file set above;
 * - a name alone on its line takes its value from `lookup`, or is left out.
 * A bad line fails as Compose fails, reported by its number and never by its value, which may be secret.
 */
export function parseDotEnv(text: string, lookup: VariableLookup = NOTHING_SET, source = '.env'): Record<string, string> {
  return new DotEnvReader(text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n'), lookup, source).read()
}

/** Blanks between a name and its value, as compose-go's isSpace: not the newline, which ends a statement. */
const INLINE_BLANK = /[\t\v\f\r \u0085\u00a0]/
/** What may stand in a variable's name, beside letters and digits of any script. */
const NAME_PUNCTUATION = new Set(['_', '.', '-', '[', ']'])
/** Go's one-character escapes, which compose-go applies to double-quoted values (strconv.Unquote). */
const GO_ESCAPES: Record<string, string> = {a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"'}

class DotEnvReader {
  private position = 0
  private readonly variables: Record<string, string> = {}

  constructor(
    private readonly text: string,
    private readonly lookup: VariableLookup,
    private readonly source: string,
  ) {}

  read(): Record<string, string> {
    while (this.skipToStatement()) {
      const {name, inherited} = this.readName()
      if (inherited) {
        const value = this.lookup(name)
        if (value !== undefined) this.variables[name] = value
        continue
      }
      this.variables[name] = this.readValue()
    }
    return this.variables
  }

  /** Moves past blanks, blank lines and comments; false at the end of the file. */
  private skipToStatement(): boolean {
    for (;;) {
      while (this.position < this.text.length && /\s/u.test(this.text[this.position]!)) this.position++
      if (this.position >= this.text.length) return false
      if (this.text[this.position] !== '#') return true
      const end = this.text.indexOf('\n', this.position)
      if (end < 0) return false
      this.position = end
    }
  }

  private readName(): {name: string; inherited: boolean} {
    const statement = this.position
    const exported = /^export\s+/.exec(this.text.slice(this.position, this.position + 64))
    if (exported) {
      this.position += exported[0].length
      while (this.position < this.text.length && /\s/u.test(this.text[this.position]!)) this.position++
    }
    const start = this.position
    while (this.position < this.text.length) {
      const char = String.fromCodePoint(this.text.codePointAt(this.position)!)
      if (char === '=' || char === ':' || char === '\n') {
        const name = this.text.slice(start, this.position).replace(/\s+$/u, '')
        this.position += 1
        if (name === '') throw this.refuse(statement, 'a variable name is missing before the "="')
        if (/\s/u.test(name)) throw this.refuse(statement, 'a variable name cannot hold a blank')
        return {name, inherited: char === '\n'}
      }
      if (!INLINE_BLANK.test(char) && !NAME_PUNCTUATION.has(char) && !/[\p{L}\p{N}]/u.test(char)) {
        throw this.refuse(statement, `unexpected character ${JSON.stringify(char)} in a variable name`)
      }
      this.position += char.length
    }
    // Compose fails too on a name alone on the last line, without its newline.
    throw this.refuse(statement, 'a variable name without "=" or a newline after it ends the file')
  }

  private readValue(): string {
    while (this.position < this.text.length && INLINE_BLANK.test(this.text[this.position]!)) this.position++
    const quote = this.text[this.position]
    return quote === '"' || quote === "'" ? this.readQuoted(quote) : this.readUnquoted()
  }

  private readUnquoted(): string {
    const start = this.position
    const end = this.text.indexOf('\n', this.position)
    const raw = this.text.slice(this.position, end < 0 ? this.text.length : end)
    this.position = end < 0 ? this.text.length : end + 1
    const comment = raw.indexOf(' #')
    return this.interpolate((comment < 0 ? raw : raw.slice(0, comment)).replace(/\s+$/u, ''), start)
  }

  private readQuoted(quote: '"' | "'"): string {
    const start = this.position
    let value = ''
    let escaped = false
    for (let index = this.position + 1; index < this.text.length; index++) {
      const char = this.text[index]!
      if (char !== quote) {
        if (!escaped && char === '\\') {
          escaped = true
          continue
        }
        if (escaped) value += '\\'
        escaped = false
        value += char
        continue
      }
      if (escaped) {
        // An escaped quote of the value's own kind, in single quotes too.
        escaped = false
        value += char
        continue
      }
      this.position = index + 1
      return quote === '"' ? this.interpolate(unescape(value), start) : value
    }
    throw this.refuse(start, `the ${quote} that opens the value is not closed`)
  }

  /** `at`: where the value starts, for the line number of a refusal. */
  private interpolate(value: string, at: number): string {
    try {
      return interpolate(value, (name) => this.lookup(name) ?? this.variables[name])
    } catch (error) {
      if (error instanceof InterpolationError) throw this.refuse(at, error.message)
      throw error
    }
  }

  /** Counted only for a refusal: counting for every statement would make a long file cost its square. */
  private refuse(at: number, reason: string): InvalidInputError {
    let line = 1
    for (let index = this.text.indexOf('\n'); index >= 0 && index < at; index = this.text.indexOf('\n', index + 1)) line++
    return new InvalidInputError(`${this.source}: line ${line}: ${reason}`, {
      code: 'invalid_env_file',
      hint: 'write one NAME=value a line; quote a value with blanks or " #" in it',
    })
  }
}

/**
 * compose-go's escapes of a double-quoted value: each backslash and the character after it, as Go would
 * read them in a string literal where they are one of its one-character escapes, else kept as written;
 * `\$` stays a literal dollar (interpolation then reads `$$`), and `\0` is a lone backslash.
 */
function unescape(value: string): string {
  return value.replace(/\\[^\n]/g, (match) => {
    const char = match[1]!
    if (char === '$') return '$$'
    if (char === '0') return '\\'
    return GO_ESCAPES[char] ?? match
  })
}

export class InterpolationError extends Error {}

const NAME_START = /[_a-zA-Z]/
const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/
/** The operators of `${NAME<op>argument}`: defaults (`-`), required (`?`) and alternatives (`+`); with `:`, an empty value counts as unset. */
const OPERATOR = /^(:?[-?+])/

/**
 * Compose's interpolation of one value: `$$` is a dollar; `$NAME` and `${NAME}` the variable's value or
 * nothing; `${NAME:-default}`, `${NAME-default}`, `${NAME:?message}`, `${NAME?message}`,
 * `${NAME:+alternative}`, `${NAME+alternative}`, whose argument is interpolated in turn. A `$` before
 * anything else stays as it is.
 */
export function interpolate(text: string, lookup: VariableLookup): string {
  let result = ''
  let index = 0
  while (index < text.length) {
    const dollar = text.indexOf('$', index)
    if (dollar < 0) return result + text.slice(index)
    result += text.slice(index, dollar)
    const next = text[dollar + 1]
    if (next === '$') {
      result += '$'
      index = dollar + 2
    } else if (next === '{') {
      const end = closingBrace(text, dollar + 2)
      if (end < 0) throw new InterpolationError(`invalid template ${JSON.stringify(abbreviated(text.slice(dollar)))}: no closing "}"`)
      result += braced(text.slice(dollar + 2, end), lookup)
      index = end + 1
    } else if (next !== undefined && NAME_START.test(next)) {
      const name = NAME.exec(text.slice(dollar + 1))![0]
      result += lookup(name) ?? ''
      index = dollar + 1 + name.length
    } else {
      result += '$'
      index = dollar + 1
    }
  }
  return result
}

function braced(expression: string, lookup: VariableLookup): string {
  const invalid = () => new InterpolationError(`invalid template ${JSON.stringify(abbreviated(`\${${expression}}`))}`)
  const name = NAME.exec(expression)?.[0]
  if (name === undefined) throw invalid()
  const rest = expression.slice(name.length)
  const value = lookup(name)
  if (rest === '') return value ?? ''
  const operator = OPERATOR.exec(rest)?.[0]
  if (operator === undefined) throw invalid()
  const argument = () => interpolate(rest.slice(operator.length), lookup)
  const set = operator.startsWith(':') ? value !== undefined && value !== '' : value !== undefined
  switch (operator.replace(':', '')) {
    case '-':
      return set ? value! : argument()
    case '+':
      return set ? argument() : ''
    default: {
      if (set) return value!
      const message = argument()
      throw new InterpolationError(`required variable ${name} is missing a value${message === '' ? '' : `: ${message}`}`)
    }
  }
}

/** The index of the `}` that closes a `${` whose content starts at `from`, counting the braces nested in it; -1 without one. */
function closingBrace(text: string, from: number): number {
  let depth = 1
  for (let index = from; index < text.length; index++) {
    if (text[index] === '{') depth++
    else if (text[index] === '}' && --depth === 0) return index
  }
  return -1
}

function abbreviated(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}
