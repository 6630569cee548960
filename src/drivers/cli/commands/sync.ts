import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../base-command.js'
import {givenRepository, repoFlag, repositoryArg, verboseFlag} from '../flags.js'
import {describeHolder} from '../../../usecases/deploying/lock.js'
import {dryRunSync, type DryRunResult} from '../../../usecases/deploying/dry-run.js'
import {syncRepository, type SyncOutcome} from '../../../usecases/deploying/sync.js'
import {toDeploymentView, type DeploymentView} from '../../../model/repository/deployment-view.js'
import type {ServiceChange} from '../../../model/stack/plan.js'
import type {ImageCheck} from '../../../usecases/images/image-updates.js'

export interface SyncResult {
  repo: string
  deployment: DeploymentView
  changes: ServiceChange[]
  /** Set when a stack it is deployed after failed: it kept its commit. */
  skipped?: {blockedBy: string}
  /** For a stack that follows its images: what their check found, and the deployment that updated them. */
  images?: {status: string; updates: Array<{image: string; from: string | null; to: string; services: string[]}>; deployment?: DeploymentView; error?: string}
}

export default class Sync extends BaseCommand<typeof Sync> {
  static override summary = 'Fetch the branch head and apply it now, whatever the mode.'
  static override description =
    'Works whether or not "kedge serve" runs: deploys are one at a time per repository, so sync waits for a deploy in progress (up to 10 minutes). Exits 0 when the deployment succeeded, 1 with the error when it failed.'

  static override examples = ['<%= config.bin %> sync webapp', '<%= config.bin %> sync --repo infra/web', '<%= config.bin %> sync --repo infra --dry-run']

  static override args = {repository: repositoryArg}

  static override flags = {
    repo: repoFlag,
    verbose: verboseFlag,
    'dry-run': Flags.boolean({summary: 'Say which stacks the branch head would redeploy, why, and what each would change; change nothing.', default: false}),
  }

  private get repo(): string {
    return givenRepository(this.args.repository, this.flags.repo, 'sync <repository>[/<stack>]')
  }

  /** One stack's result as before; a repository of several stacks, each stack's, in the order they were applied. */
  async run(): Promise<SyncResult | {repo: string; stacks: SyncResult[]} | DryRunResult> {
    if (this.flags['dry-run']) return this.dryRun()
    const outcomes = await syncRepository(await this.context(), this.repo, {
      signal: this.interrupted,
      onLockWait: (holder) => this.warnAll([`waiting for ${describeHolder(holder)}`]),
    })
    const results = outcomes.map((outcome) => this.report(outcome, outcomes.length > 1))
    const failed = outcomes.find((outcome) => outcome.error)
    if (failed?.error) throw failed.error
    const images = outcomes.map((outcome) => outcome.images).find((check) => check?.kind === 'failed' || (check?.kind === 'deployed' && check.outcome.error))
    if (images?.kind === 'failed') throw images.error
    if (images?.kind === 'deployed' && images.outcome.error) throw images.outcome.error
    return results.length === 1 ? results[0]! : {repo: this.repo, stacks: results}
  }

  private async dryRun(): Promise<DryRunResult> {
    const result = await dryRunSync(await this.context(), this.repo, {signal: this.interrupted})
    this.log(`${chalk.bold(this.repo)}: the branch head is ${result.commit.slice(0, 7)}; nothing was changed`)
    for (const stack of result.stacks) {
      const files = stack.changedFiles === null ? '' : stack.changedFiles.length > 0 ? ` (changed: ${stack.changedFiles.join(', ')})` : ''
      const verdict = {deploy: chalk.green('would deploy'), unchanged: 'unchanged', held: chalk.yellow('left alone'), failed: chalk.red('would fail')}[stack.action]
      this.log(`  ${stack.address}: ${verdict}${files}${stack.reason ? `: ${stack.reason.split('\n')[0]}` : ''}`)
      for (const change of stack.changes) this.log(`    ${change.action.padEnd(8)} ${change.service}${change.to ? `  ${change.from ?? '-'} → ${change.to}` : ''}`)
      if (stack.action === 'deploy' && stack.changes.length === 0) this.log('    no service would change')
    }
    return result
  }

  private report(outcome: SyncOutcome, named: boolean): SyncResult {
    const deployment = toDeploymentView(outcome.deployment, outcome.stack)
    const what = named ? `${this.repo.split('/')[0]}/${outcome.stack}` : this.repo
    const result = {repo: this.repo, deployment, changes: outcome.changes, ...(outcome.skipped ? {skipped: outcome.skipped} : {})}
    if (outcome.skipped) {
      this.warnAll([`${what}: ${deployment.note}`])
      return result
    }
    if (outcome.error) {
      if (deployment.note) this.warnAll([deployment.note])
      if (named) this.warnAll([`${what}: ${outcome.error.message.split('\n')[0]}`])
      return result
    }
    this.log(`${chalk.green('Deployed')} ${chalk.bold(what)} at ${deployment.commit.slice(0, 7)} (project ${deployment.project})`)
    for (const change of outcome.changes) this.log(`  ${change.action.padEnd(8)} ${change.service}${change.signal ? ` (signal ${change.signal})` : ''}${change.to ? `  ${change.from ?? '-'} → ${change.to}` : ''}`)
    if (outcome.changes.length === 0) this.log('  no service changed')
    return outcome.images ? {...result, images: this.reportImages(outcome.images, what, outcome.stack)} : result
  }

  /** What the image check of `kedge sync` found: each tag the registry moved, and the update it led to. */
  private reportImages(check: ImageCheck, what: string, stack: string): NonNullable<SyncResult['images']> {
    const updates = 'updates' in check ? check.updates : []
    const short = (digest: string | null) => (digest === null ? 'unknown' : digest.replace(/^sha256:/, '').slice(0, 12))
    // Its error ends the command (run), once every stack's report is out.
    if (check.kind === 'failed') return {status: 'failed', updates, error: check.error.message}
    if (check.kind !== 'deployed') {
      this.log(`  images   ${check.kind === 'current' ? 'each tag names the image the engine runs' : `${check.kind}: ${updates.map((update) => update.image).join(', ')}`}`)
      return {status: check.kind, updates}
    }
    const deployment = toDeploymentView(check.outcome.deployment, stack)
    if (check.outcome.error) {
      if (deployment.note) this.warnAll([deployment.note])
    } else {
      this.log(`${chalk.green('Updated')} ${chalk.bold(what)}: new images behind their tags`)
    }
    for (const update of updates) this.log(`  image    ${update.image}  ${short(update.from)} → ${short(update.to)}  (${update.services.join(', ')})`)
    return {status: check.outcome.error ? 'failed' : 'updated', updates, deployment, ...(check.outcome.error ? {error: check.outcome.error.message} : {})}
  }
}
