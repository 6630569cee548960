import type {Hook} from '@oclif/core'

import {closestCommands} from '../command-suggestions.js'
import {printError} from '../error-output.js'
import {ExitCode, quoted} from '../../../model/errors.js'

const commandNotFound: Hook<'command_not_found'> = async function ({id, argv, config}) {
  const command = id.replaceAll(':', ' ')
  const visible = config.commands.filter((known) => !known.hidden).map((known) => known.id.replaceAll(':', ' '))
  const suggestions = closestCommands(command, visible)
  const hint = suggestions.length > 0 ? `did you mean ${suggestions.map((suggestion) => `"kedge ${suggestion}"`).join(' or ')}?` : 'run "kedge --help" to see the commands'
  printError({code: 'unknown_command', message: `unknown command ${quoted(command)}`, hint, exitCode: ExitCode.invalidInput}, (argv ?? []).includes('--json'))
  process.exitCode = ExitCode.invalidInput
  return true
}

export default commandNotFound
