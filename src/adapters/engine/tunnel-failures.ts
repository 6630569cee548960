import type {EngineEndpoint} from '../../model/engine/engine-endpoint.js'
import {ExternalError, errorMessage, type KedgeError} from '../../model/errors.js'
import {redact} from '../../model/secrets/redaction.js'
import {explainSshRefusal} from '../process/ssh-options.js'

/** The tunnel as errors name it. */
interface Named {
  endpoint: Extract<EngineEndpoint, {kind: 'ssh'}>
  engineName: string
  /** "the Docker engine web2 (ssh://deploy@10.0.0.12:22)" */
  subject: string
}

/**
 * Why ssh ended, as one line: a refusal explained as git's are explained (a changed host key, a refused
 * key), else ssh's own last words. Its whole output, redacted, is the cause (shown with --debug).
 */
export function sshEnded(run: {output: string; code: number | null; signal: NodeJS.Signals | null; ownKey: boolean}, tunnel: Named): KedgeError {
  const said = redact(run.output).trim()
  const {endpoint, engineName, subject} = tunnel
  const host = endpoint.port === 22 ? endpoint.host : `${endpoint.host}:${endpoint.port}`
  const keyscan = `\`ssh-keyscan -p ${endpoint.port} ${endpoint.host}\` prints it`
  const refusal = explainSshRefusal(said, {
    host,
    trustedFor: `the engine ${engineName}`,
    offeredKey: run.ownKey ? `kedge's ssh key for the engine ${engineName}` : null,
    hints: run.ownKey
      ? {
          hostKeyChanged: `if the server's key really changed, give kedge its new host key for the engine ${engineName} (${keyscan})`,
          hostKeyUnknown: `give kedge the server's host key for the engine ${engineName} (${keyscan})`,
          keyUnreadable: 'give kedge the ssh key again: an OpenSSH private key without a passphrase',
          keyRefused: `add the key's public half to ~${endpoint.user ?? ''}/.ssh/authorized_keys on ${endpoint.host}`,
        }
      : {
          hostKeyChanged: 'if the server\'s key really changed, update the known_hosts of the user kedge runs as',
          hostKeyUnknown: `add the server's host key to the known_hosts of the user kedge runs as (${keyscan})`,
          keyUnreadable: 'check the identity files in the ssh configuration of the user kedge runs as',
          keyRefused: `let the ssh keys of the user kedge runs as log in to ${endpoint.host}, or give kedge a key for the engine`,
        },
  })
  if (refusal) return new ExternalError(refusal.message, {code: refusal.code, hint: refusal.hint, cause: new Error(said)})
  const lastWords = said.split('\n').filter((line) => line.trim() !== '').at(-1)
  const how = lastWords ?? (run.signal ? `ssh was ended by ${run.signal}` : `ssh exited with code ${run.code}`)
  return new ExternalError(`kedge's ssh tunnel to ${subject} closed: ${how}`, {
    code: 'engine_unavailable',
    hint: `check that sshd on ${host} runs, lets ${endpoint.user ?? 'the user'} in, and allows forwarding (AllowTcpForwarding and AllowStreamLocalForwarding)`,
    cause: new Error(said || how),
  })
}

export function sshNotStarted(error: Error, tunnel: Named): KedgeError {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    return new ExternalError(`ssh was not found, and kedge needs it to reach the engine ${tunnel.engineName}`, {code: 'ssh_missing', hint: 'install OpenSSH (openssh-client)', cause: error})
  }
  return new ExternalError(`kedge could not start ssh for ${tunnel.subject}: ${errorMessage(error)}`, {code: 'engine_unavailable', cause: error})
}

/** A request made after the connection was closed: the caller's mistake, named rather than left as a refused connection. */
export function tunnelClosed(tunnel: Named): KedgeError {
  return new ExternalError(`kedge's ssh tunnel to ${tunnel.subject} is closed`, {code: 'engine_unavailable'})
}
