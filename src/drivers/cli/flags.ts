import {Flags} from '@oclif/core'

/** `--repo NAME`, for the commands that act on one registered repository. */
export const repoFlag = Flags.string({summary: 'Name of the repository.', required: true})
