import chalk from 'chalk'

import type {DeploymentView} from '../../../model/repository/deployment-view.js'
import {repositoryHistory} from '../../../usecases/repositories/history.js'
import type {CommandIO} from '../command-io.js'
import {givenRepository} from '../given-repository.js'
import {colourStatus, renderTable, shortCommit} from '../render.js'
import {elapsed, localTime} from '../time.js'

/** `kedge history`: a repository's deployments, newest first. */
export async function showHistory(io: CommandIO, flags: {repo?: string; repository?: string; limit: number; verbose?: boolean}): Promise<DeploymentView[]> {
  const repo = givenRepository(flags.repository, flags.repo, 'history <repository>')
  const deployments = repositoryHistory(await io.context(), repo, flags.limit)
  if (deployments.length === 0) {
    io.log(`No deployments of ${repo} yet.`)
    return deployments
  }
  if (flags.verbose) {
    for (const deployment of deployments) io.log(verboseLines(deployment).join('\n'))
    return deployments
  }
  // A repository of several stacks: which stack each row deployed.
  const named = new Set(deployments.map((deployment) => deployment.stack)).size > 1
  const rows = deployments.map((deployment) => [
    ...(named ? [deployment.stack] : []),
    localTime(deployment.startedAt),
    shortCommit(deployment.commit),
    deployment.trigger,
    colourStatus(deployment.status),
    elapsed(deployment.startedAt, deployment.finishedAt),
    firstLine(deployment.error ?? deployment.note ?? ''),
  ])
  io.log(renderTable([...(named ? ['STACK'] : []), 'STARTED', 'COMMIT', 'TRIGGER', 'STATUS', 'TOOK', 'DETAIL'], rows))
  return deployments
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? ''
  return line.length > 100 ? `${line.slice(0, 99)}…` : line
}

/** Most lines of a hook's output `--verbose` shows: its end, where it says why it failed. */
const HOOK_OUTPUT_LINES = 20
/** Most lines of a failed build's output `--verbose` shows: its end, where the build says why it failed. */
const BUILD_OUTPUT_LINES = 40

/** One deployment, whole: what it did, why, what its hooks printed and the error's full text. */
function verboseLines(deployment: DeploymentView): string[] {
  const took = elapsed(deployment.startedAt, deployment.finishedAt)
  const lines = [`${chalk.bold(`#${deployment.id}`)}  ${deployment.stack}  ${localTime(deployment.startedAt)}  ${shortCommit(deployment.commit)}  ${deployment.trigger}  ${colourStatus(deployment.status)}  ${took}`]
  const field = (label: string, text: string) => text.split('\n').forEach((line, index) => lines.push(`  ${(index === 0 ? label : '').padEnd(14)}${line}`))
  if (deployment.reasonLine) field('reason', deployment.reasonLine)
  if (deployment.replacedCommit) field('replaced', shortCommit(deployment.replacedCommit))
  if (deployment.note) field('note', deployment.note)
  if (deployment.error) field('error', deployment.error)
  const output = (text: string, most: number, keep: (line: string, index: number, all: string[]) => boolean) => {
    for (const line of text.trimEnd().split('\n').filter(keep).slice(-most)) lines.push(`${' '.repeat(16)}${chalk.dim('|')} ${line}`)
  }
  if (deployment.buildOutput) {
    field('build output', `its last ${BUILD_OUTPUT_LINES} lines (--json holds all kedge kept)`)
    // BuildKit parts its steps with empty lines, which say nothing here.
    output(deployment.buildOutput, BUILD_OUTPUT_LINES, (line) => line.trim() !== '')
  }
  for (const hook of deployment.hooks) {
    const exit = hook.exitCode === null ? '' : `, exit ${hook.exitCode}`
    field(`${hook.hook} hook`, `${hook.file}: ${hook.outcome}${exit}, ${hook.seconds} s${hook.note ? ` (${hook.note})` : ''}`)
    output(hook.output, HOOK_OUTPUT_LINES, (line, index, all) => line !== '' || index < all.length - 1)
  }
  lines.push('')
  return lines
}
