import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {repositoryNameArg} from '../../flags.js'
import {readStandardInput} from '../../stdin.js'
import {setLocalEnv, type LocalEnvView} from '../../../../usecases/repositories/local-env.js'
import type {InputText} from '../../../../usecases/repositories/repository-auth.js'
import {InvalidInputError} from '../../../../model/errors.js'

export interface RepoSetResult {
  name: string
  /** The names the local env file sets (never their values); empty once it is cleared. */
  localEnv: {variables: string[]}
}

export default class RepoSet extends BaseCommand<typeof RepoSet> {
  static override summary = "Change a registered repository's host-local settings."
  static override description = `--local-env gives the repository a local env file: values Compose interpolates into the compose files (\${PG_PASS:?}) that belong to this host and must not be in git. It is a dotenv file (NAME=value a line, # comments); kedge stores it encrypted with the home's secret key (<home>/secret.key, or KEDGE_SECRET_KEY), never in clear, and hands its values to Compose in its environment, where they win over the stack's committed .env file. Every value is treated as a secret and redacted from kedge's output. Setting it deploys nothing: "kedge sync --repo NAME" applies it now (recreating the services whose resolved configuration changed), and a running serve with the next commit it deploys.`

  static override examples = [
    '<%= config.bin %> repo set webapp --local-env /etc/kedge/webapp.env',
    'printf "PG_PASS=%s\\n" "$PG_PASS" | <%= config.bin %> repo set webapp --local-env -',
    '<%= config.bin %> repo set webapp --clear-local-env',
  ]

  static override args = {
    name: repositoryNameArg,
  }

  // Not --env-file: Node (20 and 22) takes an --env-file anywhere on its command line, even after the
  // script, as its own option, and would load the file into kedge's own environment.
  static override flags = {
    'local-env': Flags.string({
      summary: 'Dotenv file of host-local values for Compose\'s interpolation ("-" reads standard input); stored encrypted.',
      exclusive: ['clear-local-env'],
    }),
    'clear-local-env': Flags.boolean({summary: 'Remove the local env file.', exclusive: ['local-env'], default: false}),
  }

  async run(): Promise<RepoSetResult> {
    const input = await this.envFileInput()
    const view = setLocalEnv(await this.context(), this.args.name, input)
    this.report(view, input === null)
    return {name: view.name, localEnv: {variables: view.variables}}
  }

  private async envFileInput(): Promise<InputText | null> {
    const file = this.flags['local-env']
    if (file === '-') return {content: await readStandardInput(), name: 'standard input'}
    if (file !== undefined) return {file}
    if (this.flags['clear-local-env']) return null
    throw new InvalidInputError('nothing to change', {code: 'invalid_input', hint: 'pass --local-env FILE or --clear-local-env'})
  }

  private report(view: LocalEnvView, cleared: boolean): void {
    if (cleared) {
      this.log(`${chalk.green('Cleared')} the local env file of ${chalk.bold(view.name)}`)
    } else {
      const names = view.variables.length === 0 ? 'no variables' : view.variables.join(', ')
      this.log(`${chalk.green('Set')} the local env file of ${chalk.bold(view.name)}: ${names} (stored encrypted)`)
    }
    this.log(`  applied by the next deploy: run "kedge sync --repo ${view.name}" to apply it now`)
  }
}
