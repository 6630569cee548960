import {userInfo} from 'node:os'

import {Args, Flags} from '@oclif/core'

import {givenRepository} from './given-repository.js'

/** `<repository>[/<stack>]` as the argument, for the commands that hold a stack (`kedge down infra/web`). */
export const stackAddressArg = Args.string({description: 'The repository, or one of its stacks as <repository>/<stack>', required: false, ignoreStdin: true})

/** The same as `--repo`, like the other commands take it. */
export const stackAddressFlag = Flags.string({summary: 'The repository, or one of its stacks as <repository>/<stack>.'})

/** The address given as the argument or as --repo: exactly one of them. */
export function givenAddress(arg: string | undefined, flag: string | undefined, command: string): string {
  return givenRepository(arg, flag, `${command} <repository>[/<stack>]`)
}

/** Who ran the command, for the history row: the user name, else the command line (a user without a passwd entry, in some containers). */
export function commandUser(): string {
  try {
    return userInfo().username
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ERR_SYSTEM_ERROR') throw error
    return process.env.USER || 'the command line'
  }
}
