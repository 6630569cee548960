import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {showStatus} from '../read-commands/status.js'
import type {RepositoryStatus} from '../../../usecases/repositories/repository-status.js'

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Show what is deployed, what the branch has, and how each service runs.'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status webapp --json']
  static override readsOnly = true

  static override args = {repository: Args.string({description: 'Only this repository (or --repo NAME)', required: false, ignoreStdin: true})}

  static override flags = {
    repo: Flags.string({summary: 'Only this repository.'}),
  }

  async run(): Promise<RepositoryStatus[]> {
    return showStatus(this, {...this.flags, ...this.args})
  }
}
