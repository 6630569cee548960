import {Args, Flags, type Command, type Interfaces} from '@oclif/core'

import type {FastPathArg, FastPathCommand, FastPathFlag, OclifSettings} from './manifest.js'

/**
 * How the build (scripts/fast-path.js) derives the fast path's manifest from oclif's configuration and
 * the hot commands' own classes, so that no flag or argument is declared twice. Only the build and the
 * tests load this module: it needs oclif, which the fast path does not load.
 */

/** What oclif does with a flag that the fast path does not. */
const UNSUPPORTED_FLAG_FEATURES = ['multiple', 'options', 'delimiter', 'relationships', 'dependsOn', 'exclusive', 'exactlyOne', 'combinable', 'deprecated', 'deprecateAliases', 'allowStdin']
/** What oclif does with an argument that the fast path does not. */
const UNSUPPORTED_ARG_FEATURES = ['multiple', 'options']

/** oclif's own parse functions, as Flags.boolean(), Flags.integer(), Flags.string() and Args.string() make them. */
const integerParse = Flags.integer().parse
const booleanParseSource = Flags.boolean().parse?.toString()
const stringParseSource = Flags.string().parse.toString()
const stringArgParseSource = Args.string().parse.toString()

/** A hot command declares something the fast path cannot read exactly as oclif does: oclif alone runs it. */
export class OclifOnlyError extends Error {}

function oclifOnly(what: string): never {
  throw new OclifOnlyError(what)
}

type AnyFlag = Interfaces.Flag<unknown> & Record<string, unknown>
type AnyArg = Interfaces.Arg<unknown> & Record<string, unknown>

/** The parts of a command class the fast path reads. */
export type HotCommandClass = Pick<typeof Command, 'flags' | 'baseFlags' | 'enableJsonFlag' | 'args' | 'strict' | 'state' | 'deprecateAliases' | 'deprecationOptions'>

/** What the command's flags are to oclif's parser: its --json (if enabled), base flags and own flags, in oclif's order (its aggregateFlags). */
export function parsedFlagsOf(command: HotCommandClass, json: Interfaces.BooleanFlag<boolean>): Record<string, AnyFlag> {
  const combined = {...command.baseFlags, ...command.flags}
  return (command.enableJsonFlag ? {json, ...combined} : combined) as Record<string, AnyFlag>
}

function kindOf(name: string, flag: AnyFlag): FastPathFlag['kind'] {
  if (flag.type === 'boolean') return flag.parse === undefined || flag.parse.toString() === booleanParseSource ? 'boolean' : oclifOnly(`--${name}: a boolean of its own (version, help)`)
  if (flag.parse === integerParse) return 'integer'
  if (flag.parse?.toString() === stringParseSource) return 'string'
  return oclifOnly(`--${name}: a flag of its own type`)
}

function flagEntry(name: string, flag: AnyFlag): FastPathFlag {
  const unsupported = UNSUPPORTED_FLAG_FEATURES.find((feature) => flag[feature] !== undefined && flag[feature] !== false)
  if (unsupported) oclifOnly(`--${name}: ${unsupported}`)
  if (typeof flag.default === 'function') oclifOnly(`--${name}: a computed default`)
  const aliases = [...((flag.aliases as string[] | undefined) ?? []), ...((flag.charAliases as string[] | undefined) ?? [])]
  return {
    kind: kindOf(name, flag),
    char: flag.char as string | undefined,
    aliases: aliases.length > 0 ? aliases : undefined,
    env: flag.env as string | undefined,
    default: flag.default as FastPathFlag['default'],
    required: flag.required || undefined,
    min: flag.min as number | undefined,
    max: flag.max as number | undefined,
  }
}

function argEntry(name: string, arg: AnyArg): FastPathArg {
  const unsupported = UNSUPPORTED_ARG_FEATURES.find((feature) => arg[feature] !== undefined && arg[feature] !== false)
  if (unsupported) oclifOnly(`argument ${name}: ${unsupported}`)
  if (arg.parse?.toString() !== stringArgParseSource) oclifOnly(`argument ${name}: an argument of its own type`)
  if (arg.default !== undefined && typeof arg.default !== 'string') oclifOnly(`argument ${name}: a default that is not a string`)
  return {required: arg.required || undefined, default: arg.default as string | undefined, ignoreStdin: arg.ignoreStdin || undefined}
}

/**
 * The manifest entry of hot command `id`, from its class and the flag names in oclif's manifest
 * (`manifestFlagNames`, which must be the ones the class gives oclif's parser), or OclifOnlyError.
 */
export function fastPathCommandOf(id: string, command: HotCommandClass, manifestFlagNames: readonly string[], commandIds: readonly string[]): FastPathCommand {
  if (command.strict === false) oclifOnly('it takes any arguments (strict: false)')
  if (command.state === 'deprecated' || command.deprecateAliases || command.deprecationOptions) oclifOnly('it is deprecated')
  // oclif's manifest has --json from its own aggregateFlags: the names must be those parsedFlagsOf gives.
  const declared = parsedFlagsOf(command, Flags.boolean())
  if (Object.keys(declared).join(' ') !== manifestFlagNames.join(' ')) oclifOnly(`its flags are not those of oclif's manifest (${manifestFlagNames.join(', ')})`)
  const flags = Object.fromEntries(Object.entries(declared).map(([name, flag]) => [name, flagEntry(name, flag)]))
  // In their declared order: oclif assigns arguments in that order.
  const args = Object.fromEntries(Object.entries(command.args ?? {}).map(([name, arg]) => [name, argEntry(name, arg as AnyArg)]))
  return {flags, args, hasSubcommands: commandIds.some((other) => other.startsWith(`${id}:`)), jsonFlag: command.enableJsonFlag === true}
}

/** The settings of oclif's configuration (package.json's oclif section) that the fast path must follow. */
export function oclifSettingsOf(config: {scopedEnvVarKey(name: string): string; dirname: string; pjson: {oclif: {additionalHelpFlags?: string[]; additionalVersionFlags?: string[]}}}): OclifSettings {
  const {additionalHelpFlags = [], additionalVersionFlags = []} = config.pjson.oclif
  return {
    envPrefix: config.scopedEnvVarKey(''),
    dirname: config.dirname,
    helpFlags: [...new Set([...additionalHelpFlags, '--help'])],
    versionFlags: [...new Set(['--version', ...additionalVersionFlags])],
  }
}
