import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../cli/base-command.js'
import {addRepository, type AddRepositoryResult} from '../../core/add-repository.js'

export default class RepoAdd extends BaseCommand<typeof RepoAdd> {
  static override summary = 'Register a git repository whose compose stack kedge keeps deployed.'
  static override description = `The repository must hold a compose file (compose.yaml, docker-compose.yaml, ...) and may hold a kedge.yaml, at its root or under --path. When the remote answers, kedge checks that the branch exists, clones it under <home>/repos/<name>/ and validates kedge.yaml and the compose file before registering anything. A network remote that does not answer now is registered with a warning.`

  static override examples = [
    '<%= config.bin %> repo add https://github.com/acme/webapp.git',
    '<%= config.bin %> repo add git@github.com:acme/infra.git --name proxy --path stacks/proxy --branch production',
    '<%= config.bin %> repo add /srv/git/homelab.git --interval 30s',
    '<%= config.bin %> repo add file:///srv/git/homelab.git --json',
  ]

  static override args = {
    url: Args.string({
      description: 'https://, http://, ssh://, git@host:org/repo.git, file:// or an absolute path',
      required: true,
    }),
  }

  static override flags = {
    name: Flags.string({summary: 'Name for the repository (default: derived from the URL).'}),
    branch: Flags.string({summary: 'Branch to deploy.', default: 'main'}),
    path: Flags.string({summary: 'Sub-directory that holds kedge.yaml and the compose file.'}),
    interval: Flags.string({summary: 'Poll interval, e.g. 30s or 5m (default: kedge.yaml, else 60s).'}),
  }

  async run(): Promise<AddRepositoryResult> {
    const result = await addRepository(await this.context(), {
      url: this.args.url,
      name: this.flags.name,
      branch: this.flags.branch,
      path: this.flags.path,
      interval: this.flags.interval,
    })
    this.warnAll(result.warnings)
    const {repository, checkout} = result
    this.log(`${chalk.green('Added')} ${chalk.bold(repository.name)} (${repository.url}, branch ${repository.branch})`)
    if (checkout) {
      this.log(`  commit   ${checkout.commit.slice(0, 7)}`)
      this.log(`  project  ${checkout.projectName}`)
      this.log(`  compose  ${checkout.composeFiles.join(', ')}`)
      this.log(`  mode     ${checkout.mode}`)
    }
    return result
  }
}
