import type {DeploymentView} from '../../../model/repository/deployment-view.js'
import {repositoryHistory} from '../../../usecases/repositories/history.js'
import type {CommandIO} from '../command-io.js'
import {colourStatus, renderTable, shortCommit} from '../render.js'
import {elapsed, localTime} from '../time.js'

/** `kedge history`: a repository's deployments, newest first. */
export async function showHistory(io: CommandIO, flags: {repo: string; limit: number}): Promise<DeploymentView[]> {
  const deployments = repositoryHistory(await io.context(), flags.repo, flags.limit)
  if (deployments.length === 0) {
    io.log(`No deployments of ${flags.repo} yet.`)
    return deployments
  }
  // A repository of several stacks: which stack each row deployed.
  const named = new Set(deployments.map((deployment) => deployment.stack)).size > 1
  const rows = deployments.map((deployment) => [
    ...(named ? [deployment.stack] : []),
    localTime(deployment.startedAt),
    shortCommit(deployment.commit),
    deployment.trigger,
    colourStatus(deployment.status),
    elapsed(deployment.startedAt, deployment.finishedAt),
    firstLine(deployment.error ?? deployment.note ?? ''),
  ])
  io.log(renderTable([...(named ? ['STACK'] : []), 'STARTED', 'COMMIT', 'TRIGGER', 'STATUS', 'TOOK', 'DETAIL'], rows))
  return deployments
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? ''
  return line.length > 100 ? `${line.slice(0, 99)}…` : line
}
