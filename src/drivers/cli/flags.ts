import {Args, Flags} from '@oclif/core'

import {InvalidInputError, quoted} from '../../model/errors.js'

export {givenRepository} from './given-repository.js'

/**
 * The repository a command acts on, as its argument (`kedge sync web`) or as `--repo web`, whichever the
 * user reaches for: every command that acts on one repository takes both (givenRepository reads them).
 */
// ignoreStdin: oclif would otherwise read a missing argument from a piped standard input.
export const repositoryArg = Args.string({description: 'Name of the repository (or --repo NAME)', required: false, ignoreStdin: true})

export const repoFlag = Flags.string({summary: 'Name of the repository (or give it as the argument).'})

/** For the commands that run Compose: its own output, on stderr, as it pulls, creates and starts. */
export const verboseFlag = Flags.boolean({summary: "Show Compose's own output (on stderr) as it pulls, creates and starts.", default: false})


/** A notification channel's id, as `notify list` shows it: read by channelId, whose refusal is kedge's one-line error. */
export const channelIdArg = Args.string({description: 'The channel\'s id, as "kedge notify list" shows it', required: true})

export function channelId(text: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(text.trim())) {
    throw new InvalidInputError(`invalid channel id ${quoted(text)}: expected a whole number of 1 or more`, {hint: 'run "kedge notify list" to see the channels and their ids'})
  }
  return Number(text.trim())
}
