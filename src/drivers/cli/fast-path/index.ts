import {hotCommandOf, matchInvocation} from './match.js'
import {readFastPathManifest} from './manifest.js'
import {oclifWouldDiffer} from './oclif-environment.js'

/**
 * Runs `repo list`, `status` and `history` without starting oclif, whose start-up costs several times
 * what the commands themselves take (bench/cli-latency.ts measures it: see docs/performance.md), when
 * nothing in their arguments or environment would make oclif behave differently. Returns false, having
 * done nothing, for everything else: other commands, help, anything the fast path does not read exactly
 * as oclif does, and --debug (its stack trace then shows the modules as they are, not the bundle).
 */
export async function runFastPath(argv: readonly string[]): Promise<boolean> {
  const manifest = readFastPathManifest()
  const command = hotCommandOf(argv, manifest)
  if (!command || oclifWouldDiffer(manifest.oclif)) return false
  const invocation = matchInvocation(command)
  if (!invocation || invocation.flags.debug === true) return false
  const {runHotCommand} = await import('./run-hot-command.js')
  await runHotCommand(invocation)
  return true
}
