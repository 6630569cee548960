import {verboseFlag} from '../flags.js'
import {BaseCommand} from '../base-command.js'
import {holdLines} from '../hold-output.js'
import {toHoldResult, type HoldResult} from '../../../usecases/stacks/hold-result.js'
import {commandUser, givenAddress, stackAddressArg, stackAddressFlag} from '../stack-address.js'
import {downStacks} from '../../../usecases/stacks/holds.js'

export default class Down extends BaseCommand<typeof Down> {
  static override summary = 'Take stacks down and keep them down, until "kedge up".'
  static override description =
    'Stops and removes the containers kedge labelled for the stack (every stack of the repository, or the one named <repository>/<stack>); named volumes, networks shared with containers kedge did not start, and the stack directory stay. Until "kedge up", serve neither deploys nor heals the stack, across restarts, and "kedge sync" and "kedge rollback" refuse it. The hold is recorded in history. Exits 1 when a stack could not be taken down: it keeps the hold it had.'

  static override examples = ['<%= config.bin %> down infra/web', '<%= config.bin %> down --repo infra --json']

  static override args = {address: stackAddressArg}
  static override flags = {repo: stackAddressFlag, verbose: verboseFlag}

  async run(): Promise<{stacks: HoldResult[]}> {
    const address = givenAddress(this.args.address, this.flags.repo, 'down')
    const changes = await downStacks(await this.context(), address, {by: commandUser(), signal: this.interrupted})
    for (const change of changes) this.log(holdLines(change, 'Took down').join('\n'))
    const failed = changes.find((change) => change.error)
    if (failed?.error) throw failed.error
    return {stacks: changes.map(toHoldResult)}
  }
}
