import chalk from 'chalk'

import {holdRelease} from '../../model/stack/stack-hold.js'
import type {HoldChange} from '../../usecases/stacks/holds.js'

/** The lines a person reads for one stack; `done` says what a change was ("Took down"). A failure is the command's error. */
export function holdLines(change: HoldChange, done: string): string[] {
  if (change.error) return []
  const {address, hold} = change
  if (!change.changed) return [hold ? `${chalk.bold(address)} is ${hold.kind} already: ${holdRelease(hold.kind, address)}` : `${chalk.bold(address)} is not suspended: nothing to resume`]
  const lines = [`${chalk.yellow(done)} ${chalk.bold(address)}`]
  for (const container of change.takenDown?.containers ?? []) lines.push(`  removed  ${container}`)
  for (const container of change.takenDown?.leftAlone ?? []) lines.push(`  kept     ${container} (kedge did not start it)`)
  if (change.takenDown === null) lines.push('  nothing of it was running')
  lines.push(hold ? `  ${holdRelease(hold.kind, address)}` : '  the next round of kedge serve deploys and heals it as usual')
  return lines
}
