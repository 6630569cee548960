import {Args, Flags} from '@oclif/core'

import {InvalidInputError, quoted} from '../../model/errors.js'

/** `--repo NAME`, for the commands that act on one registered repository. */
export const repoFlag = Flags.string({summary: 'Name of the repository.', required: true})

/** The repository's name as the command's argument (`repo remove NAME`, `repo set NAME`). */
export const repositoryNameArg = Args.string({description: 'Name of the repository', required: true})

/** A notification channel's id, as `notify list` shows it: read by channelId, whose refusal is kedge's one-line error. */
export const channelIdArg = Args.string({description: 'The channel\'s id, as "kedge notify list" shows it', required: true})

export function channelId(text: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(text.trim())) {
    throw new InvalidInputError(`invalid channel id ${quoted(text)}: expected a whole number of 1 or more`, {hint: 'run "kedge notify list" to see the channels and their ids'})
  }
  return Number(text.trim())
}
