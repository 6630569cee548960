import {hotCommandOf, matchFlags} from './match.js'
import {readFastPathManifest} from './manifest.js'
import {oclifWouldDiffer} from './oclif-environment.js'

/**
 * Runs `repo list`, `status` and `history` without starting oclif, whose start-up costs several times
 * what the commands themselves take, when nothing in their arguments or environment would make oclif
 * behave differently. Returns false, having done nothing, for everything else: other commands, --help,
 * anything the fast path does not read exactly as oclif does, and --debug (its stack trace then shows
 * the modules as they are, not the bundle).
 */
export async function runFastPath(argv: readonly string[]): Promise<boolean> {
  const command = hotCommandOf(argv)
  if (!command) return false
  const manifest = readFastPathManifest()
  if (oclifWouldDiffer(manifest.oclif)) return false
  const invocation = matchFlags(command.id, command.rest, manifest)
  if (!invocation || invocation.flags.debug === true) return false
  const {runHotCommand} = await import('./run-hot-command.js')
  await runHotCommand(invocation)
  return true
}
