import {InvalidInputError, quoted} from '../../model/errors.js'

// Apart from flags.ts, which declares the argument and the flag with oclif: the fast path reads them too,
// and loads no oclif.

/** The repository named by the argument or by --repo: exactly one of them, or both the same. */
export function givenRepository(arg: string | undefined, flag: string | undefined, usage: string): string {
  // Repository names are matched without regard to case, as everywhere else.
  if (arg !== undefined && flag !== undefined && arg.trim().toLowerCase() !== flag.trim().toLowerCase()) {
    throw new InvalidInputError(`two different repositories given: ${quoted(arg)} and --repo ${quoted(flag)}`, {code: 'invalid_usage', hint: `name one: kedge ${usage}`})
  }
  const name = (arg ?? flag)?.trim()
  if (!name) throw new InvalidInputError('no repository given', {code: 'invalid_usage', hint: `kedge ${usage}, or --repo NAME`})
  return name
}

/** For a command that acts on every repository unless one is named (`status`). */
export function optionalRepository(arg: string | undefined, flag: string | undefined, usage: string): string | undefined {
  return arg === undefined && flag === undefined ? undefined : givenRepository(arg, flag, usage)
}
