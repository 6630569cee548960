import chalk from 'chalk'

import {BaseCommand} from '../base-command.js'
import {repoFlag} from '../flags.js'
import {describeHolder} from '../../../usecases/deploying/lock.js'
import {syncRepository} from '../../../usecases/deploying/sync.js'
import {toDeploymentView, type DeploymentView} from '../../../model/repository/deployment-view.js'
import type {ServiceChange} from '../../../model/stack/plan.js'

export interface SyncResult {
  repo: string
  deployment: DeploymentView
  changes: ServiceChange[]
}

export default class Sync extends BaseCommand<typeof Sync> {
  static override summary = 'Fetch the branch head and apply it now, whatever the mode.'
  static override description =
    'Works whether or not "kedge serve" runs: deploys are one at a time per repository, so sync waits for a deploy in progress (up to 10 minutes). Exits 0 when the deployment succeeded, 1 with the error when it failed.'

  static override examples = ['<%= config.bin %> sync --repo webapp', '<%= config.bin %> sync --repo webapp --json']

  static override flags = {
    repo: repoFlag,
  }

  async run(): Promise<SyncResult> {
    const outcome = await syncRepository(await this.context(), this.flags.repo, {
      signal: this.interrupted,
      onLockWait: (holder) => this.warnAll([`waiting for ${describeHolder(holder)}`]),
    })
    const deployment = toDeploymentView(outcome.deployment, outcome.stack)
    if (outcome.error) {
      if (deployment.note) this.warnAll([deployment.note])
      throw outcome.error
    }
    this.log(`${chalk.green('Deployed')} ${chalk.bold(this.flags.repo)} at ${deployment.commit.slice(0, 7)} (project ${deployment.project})`)
    for (const change of outcome.changes) this.log(`  ${change.action.padEnd(8)} ${change.service}${change.signal ? ` (signal ${change.signal})` : ''}${change.to ? `  ${change.from ?? '-'} → ${change.to}` : ''}`)
    if (outcome.changes.length === 0) this.log('  no service changed')
    return {repo: this.flags.repo, deployment, changes: outcome.changes}
  }
}
