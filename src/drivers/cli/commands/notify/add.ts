import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {addChannel, checkChannelRequest, SUBSCRIBABLE_EVENTS, type ChannelView} from '../../../../usecases/notifying/channels.js'

export default class NotifyAdd extends BaseCommand<typeof NotifyAdd> {
  static override createsHome = true
  static override summary = 'Send notifications to a URL (Apprise forms: json, ntfy, slack, discord, gotify, mailto).'
  static override description = `The URL carries secrets (a Slack webhook's tokens, a password): kedge stores it encrypted with the home's secret key and shows it only masked. The same event for the same stack is sent once per fold window (serve --notify-fold-window, default 10m) with a count of what was folded; a repository's error only once it has lasted serve --notify-error-after (default 5m). A notification that fails is retried, logged and counted, and never changes a deploy. Events: ${SUBSCRIBABLE_EVENTS.join(', ')}.`

  static override examples = [
    '<%= config.bin %> notify add ntfys://ntfy.sh/my-kedge-alerts',
    "<%= config.bin %> notify add 'slack://T000/B000/XXXX/#ops' --events deploy_failed,rolled_back,heal_stopped",
    "<%= config.bin %> notify add 'mailtos://kedge:PASSWORD@smtp.example.com?to=ops@example.com' --repo webapp",
    '<%= config.bin %> notify add json://127.0.0.1:9000/kedge',
  ]

  static override args = {
    url: Args.string({description: 'Where to send: json://, jsons://, ntfy://, ntfys://, slack://, discord://, gotify://, gotifys://, mailto://, mailtos://', required: true}),
  }

  static override flags = {
    events: Flags.string({summary: `Comma-separated events to send (default: all): ${SUBSCRIBABLE_EVENTS.join(', ')}.`, multiple: true}),
    repo: Flags.string({summary: "Only this repository's events (default: every repository's)."}),
  }

  async run(): Promise<ChannelView> {
    const request = {url: this.args.url, events: this.flags.events, repository: this.flags.repo}
    // Refused input creates no home: it is checked before the home is opened.
    checkChannelRequest(request)
    const channel = addChannel(await this.context(), request)
    this.log(`${chalk.green('Added')} notification channel ${channel.id}: ${channel.url}`)
    this.log(`  events   ${channel.events === 'all' ? 'all' : channel.events.join(', ')}`)
    this.log(`  repo     ${channel.repository ?? 'every repository'}`)
    this.log(`  try it:  kedge notify test ${channel.id}`)
    return channel
  }
}
