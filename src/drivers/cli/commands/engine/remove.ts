import {Args} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {removeEngine, type EngineView} from '../../../../usecases/engines/engine-registry.js'

export default class EngineRemove extends BaseCommand<typeof EngineRemove> {
  static override summary = 'Forget a registered engine that no repository or stack uses any more; its keys go with it.'
  static override examples = ['<%= config.bin %> engine remove web2']
  static override args = {
    name: Args.string({description: 'Name of the engine', required: true}),
  }

  async run(): Promise<EngineView> {
    const removed = removeEngine(await this.context(), this.args.name)
    this.log(`${chalk.green('Removed')} engine ${removed.name}: kedge changed nothing on it`)
    return removed
  }
}
