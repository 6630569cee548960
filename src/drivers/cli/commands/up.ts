import chalk from 'chalk'

import {verboseFlag} from '../flags.js'
import {BaseCommand} from '../base-command.js'
import {givenAddress, stackAddressArg, stackAddressFlag} from '../stack-address.js'
import {toDeploymentView, type DeploymentView} from '../../../model/repository/deployment-view.js'
import type {ServiceChange} from '../../../model/stack/plan.js'
import {describeHolder} from '../../../usecases/deploying/lock.js'
import {syncRepository} from '../../../usecases/deploying/sync.js'

export default class Up extends BaseCommand<typeof Up> {
  static override summary = 'End "kedge down" (or "kedge suspend") and deploy the branch head.'
  static override description =
    'Every stack of the repository, or the one named <repository>/<stack>: the hold ends and the branch head is fetched and applied now, as "kedge sync" does; the deploy is recorded in history with the trigger "up". Exits 0 when every deploy succeeded, 1 with the error when one failed.'

  static override examples = ['<%= config.bin %> up infra/web', '<%= config.bin %> up --repo infra --json']

  static override args = {address: stackAddressArg}
  static override flags = {repo: stackAddressFlag, verbose: verboseFlag}

  async run(): Promise<{stacks: Array<{stack: string; deployment: DeploymentView; changes: ServiceChange[]; skipped?: {blockedBy: string}}>}> {
    const address = givenAddress(this.args.address, this.flags.repo, 'up')
    const repository = address.split('/')[0]
    const outcomes = await syncRepository(await this.context(), address, {
      up: true,
      signal: this.interrupted,
      onLockWait: (holder) => this.warnAll([`waiting for ${describeHolder(holder)}`]),
    })
    const stacks = outcomes.map((outcome) => {
      const deployment = toDeploymentView(outcome.deployment, outcome.stack)
      const what = outcome.stack === repository ? repository : `${repository}/${outcome.stack}`
      if (outcome.skipped) this.warnAll([`${what}: ${deployment.note}`])
      else if (outcome.error) this.warnAll([`${what}: ${outcome.error.message.split('\n')[0]}`])
      else this.log(`${chalk.green('Up')} ${chalk.bold(what)} at ${deployment.commit.slice(0, 7)} (project ${deployment.project})`)
      return {stack: outcome.stack, deployment, changes: outcome.changes, ...(outcome.skipped ? {skipped: outcome.skipped} : {})}
    })
    const failed = outcomes.find((outcome) => outcome.error)
    if (failed?.error) throw failed.error
    return {stacks}
  }
}
