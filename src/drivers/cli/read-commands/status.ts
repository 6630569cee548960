import chalk from 'chalk'

import {LOCAL_ENGINE} from '../../../model/engine/engine-name.js'
import {shortDigest} from '../../../model/repository/deploy-reason.js'
import {holdRelease} from '../../../model/stack/stack-hold.js'
import {repositoryStatuses, type RepositoryStatus} from '../../../usecases/repositories/repository-status.js'
import {authLines} from '../auth-lines.js'
import type {CommandIO} from '../command-io.js'
import {optionalRepository} from '../given-repository.js'
import {colourStatus, renderTable, shortCommit} from '../render.js'
import {localTime} from '../time.js'

/** `kedge status`: what is deployed, what the branch has, and how each service runs; every repository, or `repo`. */
export async function showStatus(io: CommandIO, given: {repo?: string; repository?: string}): Promise<RepositoryStatus[]> {
  const statuses = await repositoryStatuses(await io.context(), optionalRepository(given.repository, given.repo, 'status [<repository>]'))
  if (statuses.length === 0) io.log('No repositories registered. Add one with "kedge repo add <url>".')
  io.log(renderByEngine(statuses))
  return statuses
}

/**
 * The stacks under a heading per engine once any runs on a registered one (the local engine first, then
 * by name); with only the local engine, as ever, without headings. `--json` stays one list, each entry
 * naming its engine.
 */
function renderByEngine(statuses: RepositoryStatus[]): string {
  if (statuses.every((status) => status.engine === LOCAL_ENGINE)) return statuses.map(renderStatus).join('\n\n')
  const engines = [...new Set(statuses.map((status) => status.engine))].sort((a, b) => (a === LOCAL_ENGINE ? -1 : b === LOCAL_ENGINE ? 1 : a < b ? -1 : 1))
  return engines
    .map((engine) => [chalk.bold.underline(`engine ${engine}`), ...statuses.filter((status) => status.engine === engine).map(renderStatus)].join('\n\n'))
    .join('\n\n')
}

function renderStatus(status: RepositoryStatus): string {
  const lines = [`${chalk.bold(status.address)}  branch ${status.branch}, mode ${status.mode}${status.project ? `, project ${status.project}` : ''}`]
  lines.push(`  head      ${shortCommit(status.head?.commit)}${status.head?.checkedAt ? `  (checked ${localTime(status.head.checkedAt)})` : ''}`)
  const sync = status.hold?.kind === 'down' ? chalk.yellow('taken down') : status.deployed ? (status.inSync ? chalk.green('in sync') : chalk.yellow('behind the branch')) : chalk.yellow('never deployed')
  const leftover = status.failedAttempt ? `; the containers below are left from the failed deploy of ${shortCommit(status.failedAttempt.commit)}` : ''
  lines.push(`  deployed  ${shortCommit(status.deployed?.commit)}${status.deployed ? `  at ${localTime(status.deployed.at)} (${status.deployed.trigger})` : ''}  ${sync}${leftover}`)
  for (const [label, text] of authLines(status.auth)) lines.push(`  ${label.padEnd(9)} ${text}`)
  if (status.lastDeployment && status.lastDeployment.status !== 'success') {
    lines.push(`  last      ${shortCommit(status.lastDeployment.commit)}  ${colourStatus(status.lastDeployment.status)} at ${localTime(status.lastDeployment.at)}`)
  }
  if (status.pinned) lines.push(`  ${chalk.magenta('pinned')}    ${shortCommit(status.pinned.commit)} by a rollback${status.pinned.reason ? `: ${status.pinned.reason}` : ''}`)
  if (status.hold) {
    const since = status.hold.since ? ` since ${localTime(status.hold.since)}` : ''
    lines.push(`  ${chalk.yellow('held')}      ${status.hold.kind}${since}, ${holdRelease(status.hold.kind, status.address)}`)
  }
  if (status.pending) {
    const changes = status.pending.changes.map((change) => `${change.action} ${change.service}`).join(', ') || 'no service changes'
    lines.push(`  pending   ${shortCommit(status.pending.commit)}  would ${changes}; run "kedge sync --repo ${status.address}"`)
  }
  for (const update of status.pendingImages) {
    lines.push(`  pending   ${update.image}  new image ${shortDigest(update.to)} (runs ${shortDigest(update.from)}) for ${update.services.join(', ')}; run "kedge sync --repo ${status.address}"`)
  }
  if (status.lastError) lines.push(`  ${chalk.red('error')}     ${status.lastError.message.split('\n')[0]}`)
  if (status.rowError?.hint) lines.push(`  hint      ${status.rowError.hint}`)
  for (const entry of status.drift.entries) {
    lines.push(`  ${chalk.yellow('drift')}     ${entry.service} ${entry.type}: expected ${entry.expected}, actual ${entry.actual}`)
  }
  if (status.engineError) lines.push(`  ${chalk.red('engine')}    ${status.engineError}`)
  if (status.services.length > 0) {
    const rows = status.services.flatMap((service) =>
      service.containers.length === 0
        ? [[service.service, '-', status.hold?.kind === 'down' ? 'down' : chalk.red('missing'), service.image ?? '-']]
        : service.containers.map((container) => [service.service, container.name, colourState(container.state, container.status), container.image]),
    )
    lines.push(indent(renderTable(['SERVICE', 'CONTAINER', 'STATE', 'IMAGE'], rows)))
  }
  return lines.join('\n')
}

function colourState(state: string, status: string): string {
  const detail = status.match(/\((healthy|unhealthy|health: starting)\)/)?.[1]
  const text = detail ? `${state} (${detail})` : state
  if (state === 'running' && detail !== 'unhealthy') return chalk.green(text)
  return chalk.red(text)
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')
}
