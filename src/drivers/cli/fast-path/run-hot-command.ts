import {redact, redactDeep} from '../../../model/secrets/redaction.js'
import type {CommandIO} from '../command-io.js'
import {reportCommandError} from '../command-error.js'
import {CommandState} from '../command-state.js'
import {showHistory} from '../read-commands/history.js'
import {showRepositories} from '../read-commands/repo-list.js'
import {showStatus} from '../read-commands/status.js'
import type {HotCommandId} from './manifest.js'
import type {FlagValue, HotInvocation} from './match.js'

/** The body each hot command's oclif class runs; the flags and arguments have the shapes the command's manifest entry guarantees. */
const BODIES: Record<HotCommandId, (io: CommandIO, flags: Record<string, FlagValue>, args: Record<string, string>) => Promise<unknown>> = {
  'repo:list': (io) => showRepositories(io),
  status: (io, flags, args) => showStatus(io, {...(flags as {repo?: string}), ...args}),
  history: (io, flags, args) => showHistory(io, {...(flags as {repo?: string; limit: number; verbose: boolean}), ...args}),
}

/**
 * Runs a hot command in the order oclif's Command and kedge's BaseCommand do: the body, the error report,
 * the database closed, then the result as JSON. Output is what oclif prints: console.log of the
 * redacted text, and of the JSON indented by two (oclif colours JSON only with a theme, which sends the
 * command to oclif).
 */
export async function runHotCommand(invocation: HotInvocation): Promise<void> {
  // oclif ignores a closed stdout (`kedge history | head`) rather than crash.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
  })
  // The hot commands only read (each class says so with readsOnly).
  const state = new CommandState(invocation.flags.home as string | undefined, true)
  const io: CommandIO = {
    context: async () => state.context(),
    log: (message = '') => {
      if (!invocation.json) console.log(redact(message))
    },
  }
  let result: unknown
  try {
    result = await BODIES[invocation.id](io, invocation.flags, invocation.args)
  } catch (error) {
    reportCommandError(error as Error, {json: invocation.json, debug: false, storageFault: state.storageFault})
  } finally {
    state.close()
  }
  if (result && invocation.json) console.log(JSON.stringify(redactDeep(result), null, 2))
}
