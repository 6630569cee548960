import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {givenRepository, repoFlag, repositoryArg} from '../../flags.js'
import {canAsk, confirmByTyping} from '../../confirm.js'
import type {KedgeContext} from '../../../../usecases/context.js'
import {removeRepository, stackDirsToPurge, type RemoveRepositoryResult} from '../../../../usecases/repositories/remove-repository.js'
import {InvalidInputError} from '../../../../model/errors.js'

export default class RepoRemove extends BaseCommand<typeof RepoRemove> {
  static override summary = 'Forget a repository and delete its clone.'
  static override description =
    'The stack keeps running unless --down is given: kedge stops watching it and never heals it again. --down takes down the containers kedge started and the networks, and keeps the stack directory, which holds what the containers wrote through bind mounts; only --purge deletes it. Named volumes stay unless --volumes is given. See docs/data-safety.md.'

  static override examples = [
    '<%= config.bin %> repo remove webapp',
    '<%= config.bin %> repo remove webapp --down',
    '<%= config.bin %> repo remove webapp --down --volumes',
    '<%= config.bin %> repo remove webapp --purge',
    '<%= config.bin %> repo remove webapp --purge --yes --json',
  ]

  static override args = {
    name: repositoryArg,
  }

  static override flags = {
    repo: repoFlag,
    down: Flags.boolean({summary: 'Also take the stack down: the containers kedge started, and the networks. Keeps the stack directory.', default: false}),
    volumes: Flags.boolean({summary: "Also remove the project's named volumes, and the data in them. Implies --down.", default: false}),
    purge: Flags.boolean({summary: 'Also delete the stack directory, and what the containers wrote into it. Implies --down; asks first.', default: false}),
    yes: Flags.boolean({char: 'y', summary: 'Do not ask before --purge deletes the stack directory (needed with --json or without a terminal).', default: false}),
  }

  async run(): Promise<RemoveRepositoryResult> {
    const context = await this.context()
    const {down, volumes, purge, yes} = this.flags
    if (purge && !yes) await this.confirmPurge(context)
    const result = await removeRepository(context, this.name, {down: down || volumes || purge, volumes, purge})
    this.log(`${chalk.green('Removed')} ${chalk.bold(result.name)}`)
    for (const line of outcomeLines(result)) this.log(`  ${line}`)
    return result
  }

  private get name(): string {
    return givenRepository(this.args.name, this.flags.repo, 'repo remove <repository>')
  }

  /** --purge deletes data: a person types the repository name; without a terminal, or under --json, only --yes says so. */
  private async confirmPurge(context: KedgeContext): Promise<void> {
    const stackDir = stackDirsToPurge(context, this.name).join(', ')
    const name = this.name.toLowerCase()
    const why = this.jsonEnabled() ? 'under --json' : canAsk() ? null : 'standard input is not a terminal'
    if (why) {
      throw new InvalidInputError(`--purge deletes ${stackDir} and everything in it; refusing without --yes (${why})`, {
        code: 'confirmation_required',
        hint: 'add --yes to delete it, or use --down to keep it',
      })
    }
    const question = `This deletes ${stackDir} and everything in it, the data its containers wrote through bind mounts included.\nType the repository name (${name}) to confirm: `
    if (!(await confirmByTyping(question, name))) {
      throw new InvalidInputError('not confirmed: nothing was removed', {code: 'not_confirmed', hint: 'type the repository name exactly, or pass --yes'})
    }
  }
}

/** What was removed and what was kept, and where. */
function outcomeLines(result: RemoveRepositoryResult): string[] {
  const lines: string[] = []
  const {down} = result
  if (down?.action === 'none') lines.push(`stack: nothing to take down (${down.reason})`)
  if (down?.action === 'removed') {
    const containers = `${down.containers.length} container${down.containers.length === 1 ? '' : 's'}`
    const networks = down.networksRemoved ? ', its networks' : ''
    const volumes = down.volumesRemoved ? ' and its named volumes' : ''
    lines.push(`stack: took down Compose project ${down.project}: ${containers}${networks}${volumes}`)
    if (down.leftAlone.length > 0) {
      lines.push(`stack: left alone ${down.leftAlone.join(', ')} (not started by kedge), and the networks and volumes they use`)
    } else if (!down.volumesRemoved) {
      lines.push(`volumes: any named volumes are kept (--volumes removes them)`)
    }
  }
  if (result.keptStackDir && !down) lines.push(`stack: left running; its files stay in ${result.keptStackDir}`)
  if (result.keptStackDir && down) {
    lines.push(`files: kept in ${result.keptStackDir}, with what the containers wrote there`)
    lines.push(`       to delete them: kedge repo remove ${result.name} --purge`)
  }
  if (result.purgedStackDir) lines.push(`files: deleted ${result.purgedStackDir}`)
  if (result.filesUntouched) lines.push(`files: none deleted (${result.filesUntouched})`)
  for (const stack of result.stacks ?? []) {
    for (const line of outcomeLines({name: result.name, removed: true, ...stack})) lines.push(`${stack.stack}: ${line}`)
  }
  return lines
}
