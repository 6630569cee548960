import {listRepositoryViews} from '../../../usecases/repositories/list-repositories.js'
import {describeAuth, type RepositoryView} from '../../../model/repository/repository-view.js'
import type {CommandIO} from '../command-io.js'
import {colourStatus, renderTable, shortCommit} from '../render.js'

/** `kedge repo list`: the registered repositories and their last deployment. */
export async function showRepositories(io: CommandIO): Promise<RepositoryView[]> {
  const repositories = listRepositoryViews(await io.context())
  if (repositories.length === 0) {
    io.log('No repositories registered. Add one with "kedge repo add <url>".')
    return repositories
  }
  const rows = repositories.map((repo) => [
    repo.name,
    repo.branch,
    repo.path,
    repo.interval ?? 'default',
    describeAuth(repo.auth),
    repo.lastDeployment ? `${shortCommit(repo.lastDeployment.commit)} ${colourStatus(repo.lastDeployment.status)}` : '-',
    repo.url,
  ])
  io.log(renderTable(['NAME', 'BRANCH', 'PATH', 'INTERVAL', 'AUTH', 'DEPLOYED', 'URL'], rows))
  return repositories
}
