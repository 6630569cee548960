import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {repoFlag, repositoryArg} from '../flags.js'
import {showHistory} from '../read-commands/history.js'
import type {DeploymentView} from '../../../model/repository/deployment-view.js'

export default class History extends BaseCommand<typeof History> {
  static override summary = "Show a repository's deployments, newest first."
  static override examples = ['<%= config.bin %> history webapp', '<%= config.bin %> history --repo webapp --verbose --limit 3', '<%= config.bin %> history --repo webapp --limit 5 --json']
  static override readsOnly = true

  static override args = {repository: repositoryArg}

  static override flags = {
    repo: repoFlag,
    limit: Flags.integer({summary: 'How many deployments to show.', default: 20, min: 1, max: 100_000}),
    verbose: Flags.boolean({summary: "Show each deployment whole: why it happened, a failed build's output, its hooks' output, its error's full text.", default: false}),
  }

  async run(): Promise<DeploymentView[]> {
    return showHistory(this, {...this.flags, ...this.args})
  }
}
