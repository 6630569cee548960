import {Args, Flags} from '@oclif/core'

/** `--repo NAME`, for the commands that act on one registered repository. */
export const repoFlag = Flags.string({summary: 'Name of the repository.', required: true})

/** The repository's name as the command's argument (`repo remove NAME`, `repo set NAME`). */
export const repositoryNameArg = Args.string({description: 'Name of the repository', required: true})

/** A notification channel's id, as `notify list` shows it. */
export const channelIdArg = Args.integer({description: 'The channel\'s id, as "kedge notify list" shows it', required: true, min: 1})
