import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../base-command.js'
import {givenRepository, repoFlag, repositoryArg} from '../flags.js'
import {shortCommit} from '../render.js'
import {diffStacks, type DiffResult} from '../../../usecases/drift/diff.js'
import {ExitCode} from '../../../model/errors.js'

export default class Diff extends BaseCommand<typeof Diff> {
  static override summary = 'Show drift from the deployed commit, and what the branch head would change.'
  static override description =
    'For each stack of the repository (or the one named as <repository>/<stack>), compares the containers kedge labelled with what the deployed commit wants (missing, stopped, wrong_image, wrong_config, extra, unhealthy), then fetches the branch and shows what its head would create, recreate, start or remove. Changes nothing.'

  static override examples = [
    '<%= config.bin %> diff --repo webapp',
    '<%= config.bin %> diff --repo webapp --json',
    '<%= config.bin %> diff --repo webapp --exit-code && echo "in sync"',
    '<%= config.bin %> diff --repo infra/web',
  ]

  static override args = {repository: repositoryArg}

  static override flags = {
    repo: repoFlag,
    'exit-code': Flags.boolean({summary: 'Exit 1 when not in sync, like git diff --exit-code.', default: false}),
  }

  /** One stack's diff as before; a repository of several stacks, each stack's. */
  async run(): Promise<DiffResult | {repo: string; stacks: DiffResult[]}> {
    const results = await diffStacks(await this.context(), givenRepository(this.args.repository, this.flags.repo, 'diff <repository>[/<stack>]'))
    const named = results.length > 1
    for (const result of results) {
      this.warnAll(named ? result.warnings.map((warning) => `${result.repo}/${result.stack}: ${warning}`) : result.warnings)
      this.log(render(result, named))
    }
    if (this.flags['exit-code'] && results.some((result) => !result.inSync)) process.exitCode = ExitCode.failed
    return named ? {repo: results[0]!.repo, stacks: results} : results[0]!
  }
}

function render(result: DiffResult, named: boolean): string {
  const lines: string[] = [headline(result, named ? `${result.repo}/${result.stack}` : result.repo)]
  if (result.pinned) lines.push(chalk.magenta(`Pinned to ${shortCommit(result.pinned.commit)} by a rollback${result.pinned.reason ? `: ${result.pinned.reason}` : ''}`))
  if (result.inSync && result.hold?.kind !== 'gone') lines.push(chalk.green('In sync'))
  const byService = new Map<string, DiffResult['drift']>()
  for (const entry of result.drift) byService.set(entry.service, [...(byService.get(entry.service) ?? []), entry])
  for (const [service, entries] of byService) {
    lines.push(`  ${chalk.bold(service)}`)
    for (const entry of entries) {
      const where = entry.container ? `  (${entry.container})` : ''
      lines.push(`    ${chalk.red(entry.type.padEnd(12))} expected ${chalk.green(entry.expected)}, actual ${chalk.red(entry.actual)}${where}`)
    }
  }
  if (result.head) {
    lines.push(result.pinned ? `Branch head ${shortCommit(result.head.commit)} (applied by "kedge sync" or a new commit) would:` : `Branch head ${shortCommit(result.head.commit)} would:`)
    if (result.head.changes.length === 0) lines.push('  change no service')
    for (const change of result.head.changes) {
      const images = change.action === 'remove' ? change.from ?? '' : `${change.from ?? '-'} → ${change.to ?? '-'}`
      lines.push(`  ${change.action.padEnd(9)} ${change.service}${change.signal ? ` (signal ${change.signal})` : ''}  ${chalk.dim(images)}`)
    }
  }
  if (result.images && result.images.length > 0) {
    lines.push('New images behind the tags (applied by "kedge sync", or by serve in auto mode):')
    const short = (digest: string | null) => (digest === null ? 'unknown' : digest.replace(/^sha256:/, '').slice(0, 12))
    for (const update of result.images) lines.push(`  recreate  ${update.services.join(', ')}  ${chalk.dim(`${update.image} ${short(update.from)} → ${short(update.to)}`)}`)
  }
  return lines.join('\n')
}

function headline(result: DiffResult, name: string): string {
  if (result.hold?.kind === 'down') return `${chalk.bold(name)} is kept down (kedge down${result.hold.since ? `, since ${result.hold.since}` : ''}); "kedge up" deploys it again`
  if (result.hold?.kind === 'gone') return `${chalk.bold(name)} is no longer in the repository; kedge ${result.inSync ? 'took it down' : 'leaves it running (prune is off)'}`
  if (result.commit) return `${chalk.bold(name)} deployed at ${shortCommit(result.commit)}`
  if (!result.failedAttempt) return `${chalk.bold(name)} is not deployed`
  const {commit, containers} = result.failedAttempt
  return `${chalk.bold(name)}: no deploy succeeded yet; the failed deploy of ${shortCommit(commit)} left ${containers.length} container${containers.length === 1 ? '' : 's'} (${containers.join(', ')})`
}
