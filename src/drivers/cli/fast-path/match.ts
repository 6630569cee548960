import {HOT_COMMAND_IDS, type FastPathCommand, type FastPathFlag, type FastPathManifest, type HotCommandId} from './manifest.js'

export type FlagValue = string | number | boolean

export interface HotInvocation {
  id: HotCommandId
  /** The values oclif would parse from the same arguments and environment. */
  flags: Record<string, FlagValue>
  args: Record<string, string>
  /** oclif's jsonEnabled(): `--json` was given before any `--`. */
  json: boolean
}

interface HotCommand {
  id: HotCommandId
  command: FastPathCommand
  /** The arguments after the command's words. */
  rest: readonly string[]
}

/**
 * The hot command oclif would run for `argv` ("repo list ..." is repo:list), or null when oclif would run
 * anything else or show help or its version. As oclif's normalizeArgv does, a word after the command's
 * own (not a flag, no "=") joins the command's id unless the command takes arguments and no longer id
 * exists: `status foo` is the unknown command "status foo", which oclif reports.
 */
export function hotCommandOf(argv: readonly string[], manifest: FastPathManifest): HotCommand | null {
  const {helpFlags, versionFlags} = manifest.oclif
  if (versionFlags.includes(argv[0]!)) return null
  for (const token of argv) {
    if (token === '--') break
    if (helpFlags.includes(token)) return null
  }
  for (const id of HOT_COMMAND_IDS) {
    const words = id.split(':')
    if (!words.every((word, index) => argv[index] === word)) continue
    const command = manifest.commands[id]
    if (!command) return null
    const rest = argv.slice(words.length)
    const next = rest[0]
    const joinsId = next !== undefined && !next.startsWith('-') && !next.includes('=')
    if (joinsId && (command.hasSubcommands || Object.keys(command.args).length === 0)) return null
    return {id, command, rest}
  }
  return null
}

/**
 * Reads the flags and arguments of a hot command as oclif's parser would, or returns null whenever they
 * hold anything the fast path does not read exactly as oclif does, so that oclif runs the command (and
 * reports any error). It reads `--name value`, `--name=value`, `-c value` for a flag's char, booleans
 * without a value, `--` (after which every word is an argument), arguments in their declared order, and
 * values from a flag's variable or default. Null for anything else: unknown flags, aliases, `--no-`,
 * bundled short flags, a flag given twice, `--flag=` forms of a boolean, a missing or empty value or one
 * starting with "-", an integer oclif would refuse, a missing required flag or argument, more arguments
 * than declared, and a missing argument oclif would read from standard input.
 */
export function matchInvocation({id, command, rest}: HotCommand, env: NodeJS.ProcessEnv = process.env): HotInvocation | null {
  const declared = command.flags
  const byChar = shortForms(declared)
  const given = new Map<string, string | true>()
  const argTokens: string[] = []
  let parsingFlags = true
  for (let index = 0; index < rest.length; index++) {
    const token = rest[index]!
    if (parsingFlags && token === '--') {
      parsingFlags = false
      continue
    }
    if (!parsingFlags || token === '-' || !token.startsWith('-')) {
      argTokens.push(token)
      continue
    }
    const long = token.startsWith('--')
    const equals = long ? token.indexOf('=') : -1
    const name = long ? token.slice(2, equals === -1 ? undefined : equals) : byChar.get(token)
    const flag = name !== undefined && Object.hasOwn(declared, name) ? declared[name] : undefined
    if (name === undefined || !flag || given.has(name)) return null
    if (flag.kind === 'boolean') {
      if (equals !== -1) return null
      given.set(name, true)
      continue
    }
    const value = equals === -1 ? rest[++index] : token.slice(equals + 1)
    if (value === undefined || value === '' || value.startsWith('-')) return null
    given.set(name, value)
  }
  const args = argsOf(command, argTokens)
  const flags = flagsOf(declared, given, env)
  if (!args || !flags) return null
  return {id, flags, args, json: command.jsonFlag && given.has('json')}
}

/**
 * `-c` for each flag's char, the first flag declaring it winning, as in oclif's findShortFlag; a letter
 * that is also an alias maps to nothing (oclif looks aliases up first), so that oclif reads it.
 */
function shortForms(declared: Record<string, FastPathFlag>): Map<string, string> {
  const aliases = new Set(Object.values(declared).flatMap((flag) => flag.aliases ?? []))
  const forms = new Map<string, string>()
  for (const [name, flag] of Object.entries(declared)) {
    if (flag.char && !aliases.has(flag.char) && !forms.has(`-${flag.char}`)) forms.set(`-${flag.char}`, name)
  }
  return forms
}

function argsOf(command: FastPathCommand, tokens: readonly string[]): Record<string, string> | null {
  const names = Object.keys(command.args)
  // oclif's strict parsing refuses an argument more than those declared.
  if (tokens.length > names.length) return null
  const args: Record<string, string> = {}
  for (const [position, name] of names.entries()) {
    const arg = command.args[name]!
    const token = tokens[position]
    if (token !== undefined) args[name] = token
    else if (!arg.ignoreStdin) return null
    // oclif applies an argument's default only when it is not empty.
    else if (arg.default) args[name] = arg.default
    else if (arg.required) return null
  }
  return args
}

function flagsOf(declared: Record<string, FastPathFlag>, given: ReadonlyMap<string, string | true>, env: NodeJS.ProcessEnv): Record<string, FlagValue> | null {
  const flags: Record<string, FlagValue> = {}
  for (const [name, flag] of Object.entries(declared)) {
    const input = given.get(name) ?? (flag.env && env[flag.env] ? env[flag.env] : undefined)
    if (input === undefined) {
      if (flag.required) return null
      if (flag.default !== undefined) flags[name] = flag.default
      continue
    }
    const value = valueOf(flag, input)
    if (value === undefined) return null
    flags[name] = value
  }
  return flags
}

/** `input` is true for a boolean flag given on the command line, else the text of the value. */
function valueOf(flag: FastPathFlag, input: string | true): FlagValue | undefined {
  switch (flag.kind) {
    case 'boolean':
      // oclif reads a boolean flag's variable as true for 1, true, y or yes.
      return input === true || ['1', 'true', 'y', 'yes'].includes(input.toLowerCase())
    case 'string':
      return input === true ? undefined : input
    case 'integer': {
      if (input === true || !/^-?\d+$/.test(input)) return undefined
      const value = Number.parseInt(input, 10)
      if ((flag.min !== undefined && value < flag.min) || (flag.max !== undefined && value > flag.max)) return undefined
      return value
    }
  }
}
