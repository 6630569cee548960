import {BaseCommand} from '../../base-command.js'
import {renderTable} from '../../render.js'
import {listChannels, type ChannelView} from '../../../../usecases/notifying/channels.js'

export default class NotifyList extends BaseCommand<typeof NotifyList> {
  static override summary = 'List the notification channels, their URLs masked.'
  static override examples = ['<%= config.bin %> notify list', '<%= config.bin %> notify list --json']

  async run(): Promise<ChannelView[]> {
    const channels = listChannels(await this.context())
    if (channels.length === 0) this.log('No notification channel. Add one with "kedge notify add URL".')
    else this.log(renderTable(['ID', 'URL', 'EVENTS', 'REPO'], channels.map((channel) => [String(channel.id), channel.url, channel.events === 'all' ? 'all' : channel.events.join(','), channel.repository ?? '*'])))
    return channels
  }
}
