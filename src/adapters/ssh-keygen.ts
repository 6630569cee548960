import {execFile} from 'node:child_process'
import {promisify} from 'node:util'

import {ExternalError, InvalidInputError, errorMessage} from '../errors.js'
import {createPrivateDirectory, removePrivateDirectory, writePrivateFile} from './private-directory.js'

const execFileAsync = promisify(execFile)

/**
 * The public half of an OpenSSH private key, as ssh-keygen derives it: proves the key is one ssh can use
 * unattended (not malformed, not protected by a passphrase). `source` names the key in errors.
 */
export async function derivePublicKey(privateKey: string, source: string): Promise<string> {
  const dir = createPrivateDirectory()
  try {
    const file = writePrivateFile(dir, 'key', privateKey.endsWith('\n') ? privateKey : `${privateKey}\n`)
    const {stdout} = await execFileAsync('ssh-keygen', ['-y', '-P', '', '-f', file], {timeout: 15_000, env: {PATH: process.env.PATH ?? ''}})
    return stdout.trim()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      throw new ExternalError('ssh-keygen was not found, and kedge needs it to check the key', {code: 'ssh_missing', hint: 'install OpenSSH (openssh-client)'})
    }
    const output = `${(error as {stderr?: string}).stderr ?? ''} ${errorMessage(error)}`
    const why = /passphrase/i.test(output) ? 'it is protected by a passphrase, which kedge cannot type' : 'it is not an OpenSSH private key'
    throw new InvalidInputError(`cannot use ${source} as an SSH deploy key: ${why}`, {
      code: 'invalid_ssh_key',
      hint: 'generate a key without a passphrase for kedge: ssh-keygen -t ed25519 -N "" -f kedge_deploy_key',
    })
  } finally {
    removePrivateDirectory(dir)
  }
}
