import {BaseCommand} from '../../cli/base-command.js'
import {colourStatus, renderTable, shortCommit} from '../../cli/render.js'
import {listRepositoryViews} from '../../core/list-repositories.js'
import {describeAuth, type RepositoryView} from '../../core/repository-view.js'

export default class RepoList extends BaseCommand<typeof RepoList> {
  static override summary = 'List the registered repositories.'
  static override examples = ['<%= config.bin %> repo list', '<%= config.bin %> repo list --json']
  static override readsOnly = true

  async run(): Promise<RepositoryView[]> {
    const repositories = listRepositoryViews(await this.context())
    if (repositories.length === 0) {
      this.log('No repositories registered. Add one with "kedge repo add <url>".')
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
    this.log(renderTable(['NAME', 'BRANCH', 'PATH', 'INTERVAL', 'AUTH', 'DEPLOYED', 'URL'], rows))
    return repositories
  }
}
