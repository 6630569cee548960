import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {channelId, channelIdArg} from '../../flags.js'
import {removeChannel, type ChannelView} from '../../../../usecases/notifying/channels.js'

export default class NotifyRemove extends BaseCommand<typeof NotifyRemove> {
  static override summary = 'Stop sending notifications to a channel.'
  static override examples = ['<%= config.bin %> notify remove 2']

  static override args = {id: channelIdArg}

  async run(): Promise<ChannelView> {
    const channel = removeChannel(await this.context(), channelId(this.args.id))
    this.log(`${chalk.green('Removed')} notification channel ${channel.id}: ${channel.url}`)
    return channel
  }
}
