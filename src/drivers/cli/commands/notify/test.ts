import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {channelId, channelIdArg} from '../../flags.js'
import type {Delivery} from '../../../../model/notify/outgoing-message.js'
import {testChannel, type ChannelView} from '../../../../usecases/notifying/channels.js'

export default class NotifyTest extends BaseCommand<typeof NotifyTest> {
  static override summary = 'Send a test message to a channel now, and show what the receiver answered.'
  static override description = 'Sent once, without retries; exits 1 (notify_failed) when the receiver cannot be reached, does not answer in time or refuses it.'
  static override examples = ['<%= config.bin %> notify test 1']

  static override args = {id: channelIdArg}

  async run(): Promise<{channel: ChannelView; delivery: Delivery}> {
    const context = await this.composedContext()
    const result = await testChannel(context, context.notifier, channelId(this.args.id))
    const {delivery} = result
    this.log(`${chalk.green('Sent')} a test message to ${result.channel.url}`)
    this.log(`  answer   ${delivery.status === null ? '' : `${delivery.status} `}${delivery.answer.split('\n')[0] ?? ''}`.trimEnd())
    return result
  }
}
