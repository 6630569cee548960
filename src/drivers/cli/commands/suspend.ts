import {BaseCommand} from '../base-command.js'
import {holdLines} from '../hold-output.js'
import {toHoldResult, type HoldResult} from '../../../usecases/stacks/hold-result.js'
import {commandUser, givenAddress, stackAddressArg, stackAddressFlag} from '../stack-address.js'
import {suspendStacks} from '../../../usecases/stacks/holds.js'

export default class Suspend extends BaseCommand<typeof Suspend> {
  static override summary = 'Stop kedge acting on stacks, and leave their containers as they are, until "kedge resume".'
  static override description =
    'Every stack of the repository, or the one named <repository>/<stack>: serve neither deploys new commits nor heals drift, across restarts, and "kedge sync" and "kedge rollback" refuse it. The containers keep running as they are. A stack that is down stays down. The hold is recorded in history.'

  static override examples = ['<%= config.bin %> suspend infra/web', '<%= config.bin %> suspend --repo infra --json']

  static override args = {address: stackAddressArg}
  static override flags = {repo: stackAddressFlag}

  async run(): Promise<{stacks: HoldResult[]}> {
    const address = givenAddress(this.args.address, this.flags.repo, 'suspend')
    const changes = await suspendStacks(await this.context(), address, {by: commandUser(), signal: this.interrupted})
    for (const change of changes) this.log(holdLines(change, 'Suspended').join('\n'))
    return {stacks: changes.map(toHoldResult)}
  }
}
