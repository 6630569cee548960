import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {repoFlag} from '../cli/flags.js'
import {colourStatus, renderTable, shortCommit} from '../cli/render.js'
import {elapsed, localTime} from '../cli/time.js'
import type {DeploymentView} from '../core/deployment-view.js'
import {repositoryHistory} from '../core/history.js'

export default class History extends BaseCommand<typeof History> {
  static override summary = "Show a repository's deployments, newest first."
  static override examples = ['<%= config.bin %> history --repo webapp', '<%= config.bin %> history --repo webapp --limit 5 --json']
  static override readsOnly = true

  static override flags = {
    repo: repoFlag,
    limit: Flags.integer({summary: 'How many deployments to show.', default: 20, min: 1, max: 100_000}),
  }

  async run(): Promise<DeploymentView[]> {
    const deployments = repositoryHistory(await this.context(), this.flags.repo, this.flags.limit)
    if (deployments.length === 0) {
      this.log(`No deployments of ${this.flags.repo} yet.`)
      return deployments
    }
    const rows = deployments.map((deployment) => [
      localTime(deployment.startedAt),
      shortCommit(deployment.commit),
      deployment.trigger,
      colourStatus(deployment.status),
      elapsed(deployment.startedAt, deployment.finishedAt),
      firstLine(deployment.error ?? deployment.note ?? ''),
    ])
    this.log(renderTable(['STARTED', 'COMMIT', 'TRIGGER', 'STATUS', 'TOOK', 'DETAIL'], rows))
    return deployments
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? ''
  return line.length > 100 ? `${line.slice(0, 99)}…` : line
}
