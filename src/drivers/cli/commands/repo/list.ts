import {BaseCommand} from '../../base-command.js'
import {showRepositories} from '../../read-commands/repo-list.js'
import type {RepositoryView} from '../../../../model/repository/repository-view.js'

export default class RepoList extends BaseCommand<typeof RepoList> {
  static override summary = 'List the registered repositories.'
  static override examples = ['<%= config.bin %> repo list', '<%= config.bin %> repo list --json']
  static override readsOnly = true

  async run(): Promise<RepositoryView[]> {
    return showRepositories(this)
  }
}
