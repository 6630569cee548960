import {ExternalError} from '../../model/errors.js'
import {registerSecret} from '../../model/secrets/redaction.js'
import {writePrivateFile} from './private-directory.js'

/**
 * What kedge gives OpenSSH wherever it logs in with a key of its own (a repository's deploy key, an
 * engine's ssh key), and how it reads ssh's refusals: one set of options and one diagnosis for both.
 */

/**
 * A remote that stops sending for this long is given up on by ssh itself (keepalives), which ends its
 * helper processes too; killing from outside would leave an orphaned ssh holding the connection.
 */
export const STALL_TIMEOUT_SECONDS = 20
/** ssh options that end a connection which stopped answering, or never opened, after the stall timeout. */
export const SSH_STALL_OPTIONS = ['-o', `ConnectTimeout=${STALL_TIMEOUT_SECONDS}`, '-o', 'ServerAliveInterval=10', '-o', `ServerAliveCountMax=${STALL_TIMEOUT_SECONDS / 10}`]

export interface SshKeyFiles {
  keyFile: string
  knownHostsFile: string
}

/**
 * Strict once a host key is known; before that, the first key seen is trusted and recorded (accept-new),
 * and a key that changes later is refused either way.
 */
export function hostKeyChecking(knownHosts: string): 'yes' | 'accept-new' {
  return knownHosts.trim().length > 0 ? 'yes' : 'accept-new'
}

/**
 * The options that make ssh use kedge's key and known_hosts and nothing else. -F /dev/null: no
 * ssh_config may add trusted keys (KnownHostsCommand, VerifyHostKeyDNS) or identities of its own; no
 * agent either. The paths are used as given, so a caller that joins the options into a shell command
 * (GIT_SSH_COMMAND) passes them quoted.
 */
export function pinnedKeyOptions(files: SshKeyFiles, checking: 'yes' | 'accept-new'): string[] {
  return [
    '-F', '/dev/null', '-o', 'BatchMode=yes', ...SSH_STALL_OPTIONS, '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-i', files.keyFile,
    '-o', `UserKnownHostsFile=${files.knownHostsFile}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', `StrictHostKeyChecking=${checking}`, '-o', 'HashKnownHosts=no', '-o', 'UpdateHostKeys=no', '-o', 'CheckHostIP=no',
  ]
}

/**
 * The key and known_hosts as files only kedge can read, in a private directory (createPrivateDirectory).
 * The key is registered as a secret first, so that nothing that echoes it (ssh quoting a line it could
 * not parse) shows it.
 */
export function writeSshKeyFiles(dir: string, privateKey: string, knownHosts: string): SshKeyFiles {
  registerSecret(privateKey)
  return {
    // ssh refuses a key file whose last line has no line break.
    keyFile: writePrivateFile(dir, 'key', privateKey.endsWith('\n') ? privateKey : `${privateKey}\n`),
    knownHostsFile: writePrivateFile(dir, 'known_hosts', knownHosts),
  }
}

/** Who is refused what, for the words and hints of explainSshRefusal. */
export interface SshRefusalContext {
  /** The server as the message names it: `host` or `host:port`. */
  host: string
  /** What kedge trusts the host key for: "this repository", "the engine web2". */
  trustedFor: string
  /** The key kedge offered ("the deploy key SHA256:…"); null when ssh used this host's own keys. */
  offeredKey: string | null
  hints: {hostKeyChanged: string; hostKeyUnknown: string; keyUnreadable: string; keyRefused: string}
}

/**
 * Names what went wrong when ssh's own output shows the server refused kedge's key, or kedge's
 * known_hosts refused the server's host key, as one line; null for any other failure. The caller leaves
 * out what the server itself sent (git's "remote:" lines): a server must not pick kedge's diagnosis.
 */
export function explainSshRefusal(output: string, context: SshRefusalContext): ExternalError | null {
  const {host, trustedFor, offeredKey, hints} = context
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED/.test(output)) {
    const offered = /(SHA256:[A-Za-z0-9+/=]+)/.exec(output)?.[1]
    return new ExternalError(`the SSH host key of ${host} changed${offered ? ` (it now offers ${offered})` : ''}: it is not the key kedge trusts for ${trustedFor}`, {
      code: 'host_key_changed',
      hint: hints.hostKeyChanged,
    })
  }
  if (/Host key verification failed|No \S+ host key is known/.test(output)) {
    return new ExternalError(`the SSH host key of ${host} is not one kedge trusts for ${trustedFor}`, {code: 'host_key_unknown', hint: hints.hostKeyUnknown})
  }
  if (offeredKey !== null && /Load key .*: (invalid format|error in libcrypto)/.test(output)) {
    return new ExternalError(`ssh cannot read ${offeredKey}`, {code: 'invalid_ssh_key', hint: hints.keyUnreadable})
  }
  if (/Permission denied \([^)]*publickey/.test(output)) {
    return new ExternalError(`the SSH server ${host} refused ${offeredKey ?? 'the SSH keys of this host'}`, {code: 'auth_failed', hint: hints.keyRefused})
  }
  return null
}
