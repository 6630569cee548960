import {BaseCommand} from '../base-command.js'
import {verboseFlag} from '../flags.js'
import {givenAddress, stackAddressArg, stackAddressFlag} from '../stack-address.js'
import {toDeploymentView, type DeploymentView} from '../../../model/repository/deployment-view.js'
import {healOnRequest} from '../../../usecases/drift/heal-on-request.js'

interface HealedStack {
  stack: string
  address: string
  result: 'healed' | 'in-sync' | 'skipped'
  reason: string | null
  deployment: DeploymentView | null
}

export default class Heal extends BaseCommand<typeof Heal> {
  static override summary = 'Put back what drifted from the deployed commit, now, whatever the mode.'
  static override description =
    'Applies the deployed commit again to what drifted from it (a container stopped, missing, changed or on another image), for every stack of the repository or the one named <repository>/<stack>: what serve does by itself in auto mode. It deploys nothing newer: a commit waiting in notify or manual mode still waits for "kedge sync". Recorded in history (trigger drift). Exits 1 when a heal failed.'

  static override examples = ['<%= config.bin %> heal shop', '<%= config.bin %> heal infra/web --json']

  static override args = {address: stackAddressArg}
  static override flags = {repo: stackAddressFlag, verbose: verboseFlag}

  async run(): Promise<{stacks: HealedStack[]}> {
    const address = givenAddress(this.args.address, this.flags.repo, 'heal')
    const healed = await healOnRequest(await this.context(), address, {signal: this.interrupted})
    for (const outcome of healed) {
      if (outcome.error) continue
      if (outcome.result === 'healed') this.log(`Healed ${outcome.address} (${outcome.deployment?.note ?? 'healed'})`)
      else this.log(outcome.result === 'skipped' ? `${outcome.address}: skipped: ${outcome.reason ?? ''}` : `${outcome.address}: nothing to heal`)
    }
    const failed = healed.find((outcome) => outcome.error)
    if (failed?.error) throw failed.error
    return {stacks: healed.map((outcome) => ({stack: outcome.stack, address: outcome.address, result: outcome.result, reason: outcome.reason, deployment: outcome.deployment ? toDeploymentView(outcome.deployment, outcome.stack) : null}))}
  }
}
