import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {engineChoice, engineFlags} from '../../engine-flags.js'
import {BaseCommand} from '../../base-command.js'
import {givenRepository, repoFlag, repositoryArg} from '../../flags.js'
import {readStandardInput} from '../../stdin.js'
import {setLocalEnv, type LocalEnvView} from '../../../../usecases/repositories/local-env.js'
import {planAgeKey} from '../../../../usecases/repositories/age-key.js'
import type {InputText} from '../../../../usecases/repositories/repository-auth.js'
import {InvalidInputError} from '../../../../model/errors.js'
import type {RepositoryView} from '../../../../model/repository/repository-view.js'
import {FOLLOW_REPOSITORY, planRepositorySettings, setStackEngine} from '../../../../usecases/repositories/update-repository.js'
import {repositoryView} from '../../../../usecases/repositories/list-repositories.js'
import {telling, tellingLines} from '../../telling-flags.js'

export interface RepoSetResult {
  name: string
  branch: string
  /** The repository's own poll interval; null when kedge.yaml's or serve's applies. */
  interval: string | null
  /** The names the local env file sets (never their values); empty once it is cleared; absent when it was left alone. */
  localEnv?: {variables: string[]}
  allowHooks: boolean
  commitStatus: RepositoryView['commitStatus']
  /** The engine its stacks run on. */
  engine: string
  /** `repo set NAME/STACK --engine`: the stack's engine now. */
  stacks?: Record<string, string>
  /** How many age identities it holds for its SOPS files; absent when they were left alone. */
  ageKey?: {identities: number}
}

export default class RepoSet extends BaseCommand<typeof RepoSet> {
  static override summary = "Change a registered repository's settings: its branch, poll interval, local env file, hooks and commit statuses."
  static override description = `--local-env gives the repository a local env file: values Compose interpolates into the compose files (\${PG_PASS:?}) that belong to this host and must not be in git. It is a dotenv file (NAME=value a line, # comments); kedge stores it encrypted with the home's secret key (<home>/secret.key, or KEDGE_SECRET_KEY), never in clear, and hands its values to Compose in its environment, where they win over the stack's committed .env file. Every value is treated as a secret and redacted from kedge's output. Setting it deploys nothing: "kedge sync --repo NAME" applies it now (recreating the services whose resolved configuration changed), and a running serve with the next commit it deploys.`

  static override examples = [
    '<%= config.bin %> repo set webapp --interval 5m --branch production',
    '<%= config.bin %> repo set webapp --interval default',
    '<%= config.bin %> repo set webapp --local-env /etc/kedge/webapp.env',
    'printf "PG_PASS=%s\\n" "$PG_PASS" | <%= config.bin %> repo set webapp --local-env -',
    '<%= config.bin %> repo set webapp --clear-local-env',
    '<%= config.bin %> repo set webapp --age-key-stdin < keys.txt',
    '<%= config.bin %> repo set webapp --allow-hooks',
    '<%= config.bin %> repo set webapp --engine web2',
    '<%= config.bin %> repo set shop/api --engine web3',
    '<%= config.bin %> repo set webapp --commit-status gitea --commit-status-api https://git.example.com/api/v1',
  ]

  static override args = {
    name: repositoryArg,
  }

  // Not --env-file: Node (20 and 22) takes an --env-file anywhere on its command line, even after the
  // script, as its own option, and would load the file into kedge's own environment.
  static override flags = {
    repo: repoFlag,
    branch: Flags.string({summary: 'Deploy this branch from now on (it must exist on the remote); serve acts on its head at its next poll.'}),
    interval: Flags.string({summary: 'Poll interval, e.g. 30s or 5m; "default" goes back to kedge.yaml\'s, else serve\'s.'}),
    'local-env': Flags.string({
      summary: 'Dotenv file of host-local values for Compose\'s interpolation ("-" reads standard input); stored encrypted.',
      exclusive: ['clear-local-env'],
    }),
    'clear-local-env': Flags.boolean({summary: 'Remove the local env file.', exclusive: ['local-env'], default: false}),
    'age-key-stdin': Flags.boolean({
      summary: "Read the age identities of the repository's SOPS files from standard input (as age-keygen writes them); stored encrypted.",
      exclusive: ['clear-age-key'],
      default: false,
    }),
    'clear-age-key': Flags.boolean({summary: 'Remove the stored age identities.', exclusive: ['age-key-stdin'], default: false}),
    ...engineFlags,
    ...telling,
  }

  async run(): Promise<RepoSetResult> {
    const {flags} = this
    const name = givenRepository(this.args.name, flags.repo, 'repo set <repository>')
    if (name.includes('/')) return this.setStackEngine(name)
    const interval = flags.interval === undefined ? undefined : flags.interval.trim() === 'default' ? null : flags.interval
    const settings = {branch: flags.branch, interval, allowHooks: flags['allow-hooks'], commitStatus: flags['commit-status'], commitStatusApi: flags['commit-status-api'], engine: engineChoice(flags)}
    const input = await this.envFileInput()
    const ageKey = flags['age-key-stdin'] ? await readStandardInput() : flags['clear-age-key'] ? null : undefined
    if (input === undefined && ageKey === undefined && Object.values(settings).every((value) => value === undefined)) {
      throw new InvalidInputError('nothing to change', {code: 'invalid_input', hint: 'pass --branch, --interval, --local-env FILE, --clear-local-env, --age-key-stdin, --clear-age-key, --allow-hooks, --no-allow-hooks, --commit-status or --engine'})
    }
    const context = await this.context()
    // Everything is checked before anything is written: the settings, then the env file (read and parsed before it is stored).
    const planned = await planRepositorySettings(context, name, settings)
    const plannedAgeKey = ageKey === undefined ? undefined : planAgeKey(context, name, ageKey)
    const view = input === undefined ? undefined : setLocalEnv(context, name, input)
    const age = plannedAgeKey?.apply()
    const repository = planned.apply()
    if (view) this.report(view, input === null)
    if (age) this.log(age.identities === 0 ? `${chalk.green('Cleared')} the age identities of ${chalk.bold(age.name)}` : `${chalk.green('Set')} ${age.identities} age ${age.identities === 1 ? 'identity' : 'identities'} for the SOPS files of ${chalk.bold(age.name)} (stored encrypted); applied by the next deploy`)
    if (settings.branch !== undefined) this.log(`${chalk.green('Set')} branch   ${repository.branch}: serve acts on its head at its next poll, as the mode says ("kedge sync ${repository.name}" deploys it now)`)
    if (settings.interval !== undefined) this.log(`${chalk.green('Set')} interval ${repository.interval ?? "kedge.yaml's, else serve's"}`)
    if (settings.engine !== undefined) this.log(`${chalk.green('Set')} engine   ${repository.engine}: its stacks deploy there from their next deploy ("kedge up" for one taken down)`)
    const telling = [settings.allowHooks, settings.commitStatus, settings.commitStatusApi]
    if (telling.some((value) => value !== undefined)) for (const line of tellingLines(repository)) this.log(`${chalk.green('Set')} ${line}`)
    return {name: repository.name, branch: repository.branch, interval: repository.interval, engine: repository.engine, ...(view ? {localEnv: {variables: view.variables}} : {}), ...(age ? {ageKey: {identities: age.identities}} : {}), allowHooks: repository.allowHooks, commitStatus: repository.commitStatus}
  }

  /** `repo set NAME/STACK --engine E`: one stack's engine, the one setting a stack has of its own here. */
  private async setStackEngine(address: string): Promise<RepoSetResult> {
    const {flags} = this
    const others = [flags.branch, flags.interval, flags['local-env'], flags['allow-hooks'], flags['commit-status'], flags['commit-status-api']].some((value) => value !== undefined)
    const choice = engineChoice(flags)
    if (others || flags['clear-local-env'] || flags['age-key-stdin'] || flags['clear-age-key'] || !choice) {
      throw new InvalidInputError(`${address} names one stack: only its engine can be set on its own`, {
        code: 'invalid_usage',
        hint: `pass --engine NAME (or --engine ${FOLLOW_REPOSITORY} to follow the repository's), or set the other settings on the repository`,
      })
    }
    const set = setStackEngine(await this.context(), address, choice)
    this.log(`${chalk.green('Set')} engine   ${set.engine} for ${set.stack}: it deploys there from its next deploy ("kedge up ${set.stack}" if it was taken down)`)
    const repository = repositoryView(await this.context(), address.slice(0, address.indexOf('/')))
    return {name: repository.name, branch: repository.branch, interval: repository.interval, engine: repository.engine, allowHooks: repository.allowHooks, commitStatus: repository.commitStatus, stacks: {[set.stack]: set.engine}}
  }

  private async envFileInput(): Promise<InputText | null | undefined> {
    const file = this.flags['local-env']
    if (file === '-') return {content: await readStandardInput(), name: 'standard input'}
    if (file !== undefined) return {file}
    if (this.flags['clear-local-env']) return null
    return undefined
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
