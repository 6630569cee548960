import {ExternalError, InvalidInputError} from '../../model/errors.js'
import {runChild} from '../process/child-process.js'
import {createPrivateDirectory, removePrivateDirectory, writePrivateFile} from '../process/private-directory.js'

/**
 * The public half of an OpenSSH private key, as ssh-keygen derives it: proves the key is one ssh can use
 * unattended (not malformed, not protected by a passphrase). `source` names the key in errors.
 */
export async function derivePublicKey(privateKey: string, source: string): Promise<string> {
  const dir = createPrivateDirectory()
  try {
    const file = writePrivateFile(dir, 'key', privateKey.endsWith('\n') ? privateKey : `${privateKey}\n`)
    const outcome = await runChild({file: 'ssh-keygen', args: ['-y', '-P', '', '-f', file], env: {PATH: process.env.PATH ?? ''}, timeoutMs: 15_000, maxStdoutBytes: 64 * 1024}).catch(
      (error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
        throw new ExternalError('ssh-keygen was not found, and kedge needs it to check the key', {code: 'ssh_missing', hint: 'install OpenSSH (openssh-client)'})
      },
    )
    if (outcome.code === 0 && outcome.stopped === null) return outcome.stdout.toString('utf8').trim()
    const why = /passphrase/i.test(outcome.stderr) ? 'it is protected by a passphrase, which kedge cannot type' : 'it is not an OpenSSH private key'
    throw new InvalidInputError(`cannot use ${source} as an SSH deploy key: ${why}`, {
      code: 'invalid_ssh_key',
      hint: 'generate a key without a passphrase for kedge: ssh-keygen -t ed25519 -N "" -f kedge_deploy_key',
    })
  } finally {
    removePrivateDirectory(dir)
  }
}
