import {Args} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../base-command.js'
import {givenRepository, repoFlag, verboseFlag} from '../flags.js'
import {InvalidInputError} from '../../../model/errors.js'
import {toDeploymentView, type DeploymentView} from '../../../model/repository/deployment-view.js'
import {rollbackRepository} from '../../../usecases/rollback/rollback.js'

export default class Rollback extends BaseCommand<typeof Rollback> {
  static override summary = 'Deploy an earlier successful deployment again, and hold it there.'
  static override description =
    'The commit may be any unambiguous prefix of a commit kedge deployed successfully. It is restored from what kedge kept (its release directory, else the clone, else the snapshot in the database), not from the remote, so it works after a force-push. The repository then stays pinned to it: serve neither redeploys the branch head it rolled back from nor anything else, until a new commit is pushed or "kedge sync" is run.'

  static override examples = ['<%= config.bin %> rollback webapp 3f2a9c1', '<%= config.bin %> rollback --repo webapp 3f2a --json']

  // `rollback REPOSITORY COMMIT`, or `rollback --repo REPOSITORY COMMIT`: one argument is the commit.
  static override args = {
    repository: Args.string({description: 'Name of the repository (or --repo NAME)', required: false, ignoreStdin: true}),
    commit: Args.string({description: 'The commit to go back to (at least 4 hexadecimal digits)', required: false, ignoreStdin: true}),
  }

  static override flags = {
    repo: repoFlag,
    verbose: verboseFlag,
  }

  async run(): Promise<{repo: string; deployment: DeploymentView}> {
    const {repo, commit} = this.target()
    const outcome = await rollbackRepository(await this.context(), repo, commit, {signal: this.interrupted})
    const deployment = toDeploymentView(outcome.deployment, outcome.stack)
    this.log(`${chalk.magenta('Rolled back')} ${chalk.bold(repo)} to ${deployment.commit.slice(0, 7)}${deployment.replacedCommit ? ` (was ${deployment.replacedCommit.slice(0, 7)})` : ''}`)
    this.log(`  ${deployment.note}`)
    this.log(`  pinned: serve keeps ${deployment.commit.slice(0, 7)} until a new commit is pushed or "kedge sync ${repo}" runs`)
    return {repo, deployment}
  }

  private target(): {repo: string; commit: string} {
    const {repository, commit} = this.args
    const usage = 'rollback <repository> <commit>'
    if (commit !== undefined) return {repo: givenRepository(repository, this.flags.repo, usage), commit}
    // One argument is the commit when --repo names the repository, else the repository without its commit.
    if (repository === undefined || this.flags.repo === undefined) throw new InvalidInputError('Missing 1 required arg: commit', {code: 'invalid_usage', hint: `kedge ${usage}`})
    return {repo: givenRepository(undefined, this.flags.repo, usage), commit: repository}
  }
}
