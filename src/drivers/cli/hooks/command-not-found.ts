import type {Hook} from '@oclif/core'

import {printError} from '../error-output.js'
import {ExitCode, quoted} from '../../../model/errors.js'

const commandNotFound: Hook<'command_not_found'> = async function ({id, argv}) {
  const command = id.replaceAll(':', ' ')
  printError(
    {code: 'unknown_command', message: `unknown command ${quoted(command)}`, hint: 'run "kedge --help" to see the commands', exitCode: ExitCode.invalidInput},
    (argv ?? []).includes('--json'),
  )
  process.exitCode = ExitCode.invalidInput
  return true
}

export default commandNotFound
