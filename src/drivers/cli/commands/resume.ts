import {BaseCommand} from '../base-command.js'
import {holdLines} from '../hold-output.js'
import {toHoldResult, type HoldResult} from '../../../usecases/stacks/hold-result.js'
import {commandUser, givenAddress, stackAddressArg, stackAddressFlag} from '../stack-address.js'
import {resumeStacks} from '../../../usecases/stacks/holds.js'

export default class Resume extends BaseCommand<typeof Resume> {
  static override summary = 'Let kedge act on suspended stacks again.'
  static override description =
    'Ends "kedge suspend" for every stack of the repository, or the one named <repository>/<stack>. It deploys nothing by itself: the next round of serve deploys the branch head if it moved and heals drift, as usual ("kedge sync" deploys now). A stack that is down stays down: "kedge up" ends that. Recorded in history.'

  static override examples = ['<%= config.bin %> resume infra/web', '<%= config.bin %> resume --repo infra --json']

  static override args = {address: stackAddressArg}
  static override flags = {repo: stackAddressFlag}

  async run(): Promise<{stacks: HoldResult[]}> {
    const address = givenAddress(this.args.address, this.flags.repo, 'resume')
    const changes = await resumeStacks(await this.context(), address, {by: commandUser(), signal: this.interrupted})
    for (const change of changes) this.log(holdLines(change, 'Resumed').join('\n'))
    return {stacks: changes.map(toHoldResult)}
  }
}
