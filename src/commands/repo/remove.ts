import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import {removeRepository, type RemoveRepositoryResult} from '../../core/remove-repository.js'

export default class RepoRemove extends BaseCommand<typeof RepoRemove> {
  static override summary = 'Forget a repository and delete its clone.'
  static override description =
    'The stack keeps running unless --down is given: kedge stops watching it and never heals it again.'

  static override examples = ['<%= config.bin %> repo remove webapp', '<%= config.bin %> repo remove webapp --down']

  static override args = {
    name: Args.string({description: 'Name of the repository', required: true}),
  }

  static override flags = {
    down: Flags.boolean({summary: 'Also take the stack down (its containers, networks).', default: false}),
  }

  async run(): Promise<RemoveRepositoryResult> {
    const result = await removeRepository(await this.context(), this.args.name, {down: this.flags.down})
    this.log(`${chalk.green('Removed')} ${chalk.bold(result.name)}`)
    if (result.down?.action === 'removed') this.log(`  stack: took down Compose project ${result.down.project}`)
    if (result.down?.action === 'none') this.log(`  stack: nothing to take down (${result.down.reason})`)
    if (result.keptStackDir) this.log(`  stack: left running; its files stay in ${result.keptStackDir}`)
    return result
  }
}
