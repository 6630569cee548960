import {HOT_COMMAND_IDS, type FastPathFlag, type FastPathManifest, type HotCommandId} from './manifest.js'

export type FlagValue = string | number | boolean

export interface HotInvocation {
  id: HotCommandId
  /** The values oclif would parse from the same arguments and environment. */
  flags: Record<string, FlagValue>
  /** oclif's jsonEnabled(): `--json` was given. */
  json: boolean
}

/** The hot command `argv` starts with ("repo list ..." is repo:list), or null. */
export function hotCommandOf(argv: readonly string[]): {id: HotCommandId; rest: string[]} | null {
  for (const id of HOT_COMMAND_IDS) {
    const words = id.split(':')
    if (words.every((word, index) => argv[index] === word)) return {id, rest: argv.slice(words.length)}
  }
  return null
}

/**
 * Reads the flags of a hot command as oclif would, or returns null whenever they hold anything the
 * fast path does not read exactly as oclif does, so that oclif runs the command (and reports any error):
 * arguments, short or unknown flags (--help among them), a flag given twice, `--flag=` forms of a boolean,
 * a missing or empty value, a value starting with "-", an integer oclif would refuse, a missing required flag.
 */
export function matchFlags(id: HotCommandId, rest: readonly string[], manifest: FastPathManifest, env: NodeJS.ProcessEnv = process.env): HotInvocation | null {
  const declared = manifest.commands[id].flags
  const given = new Map<string, string | true>()
  for (let index = 0; index < rest.length; index++) {
    const token = rest[index]!
    if (!token.startsWith('--')) return null
    const equals = token.indexOf('=')
    const name = token.slice(2, equals === -1 ? undefined : equals)
    const flag = Object.hasOwn(declared, name) ? declared[name] : undefined
    if (!flag || given.has(name)) return null
    if (flag.kind === 'boolean') {
      if (equals !== -1) return null
      given.set(name, true)
      continue
    }
    const value = equals === -1 ? rest[++index] : token.slice(equals + 1)
    if (value === undefined || value === '' || value.startsWith('-')) return null
    given.set(name, value)
  }
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
  return {id, flags, json: given.has('json')}
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
