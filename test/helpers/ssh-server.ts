import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {userInfo} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {freePort} from './ports.js'
import {tempDir} from './temp.js'

// sshd re-executes itself for every connection, which it only does when started by absolute path.
const SSHD = '/usr/sbin/sshd'
const START_TIMEOUT_MS = 10_000

/** A real OpenSSH server on 127.0.0.1, letting the current user run git over ssh against local bare repositories. */
export class SshGitServer {
  readonly user = userInfo().username
  readonly hostKeyFingerprint: string
  readonly hostKnownHostsLine: string
  private readonly authorizedKeysFile: string
  private readonly exited: Promise<void>

  private constructor(
    readonly port: number,
    private readonly sshd: ChildProcess,
    dir: string,
    hostKeyFile: string,
  ) {
    this.authorizedKeysFile = path.join(dir, 'authorized_keys')
    this.hostKeyFingerprint = fingerprintOf(`${hostKeyFile}.pub`)
    const [type, key] = readFileSync(`${hostKeyFile}.pub`, 'utf8').trim().split(/\s+/)
    this.hostKnownHostsLine = `[127.0.0.1]:${port} ${type} ${key}`
    this.exited = new Promise((resolve) => {
      if (sshd.exitCode !== null || sshd.signalCode !== null) resolve()
      else sshd.once('exit', () => resolve())
    })
    // However the test process ends, it must not leave an sshd behind holding the port.
    const killOnExit = (): void => {
      sshd.kill('SIGTERM')
    }
    process.once('exit', killOnExit)
    void this.exited.then(() => process.off('exit', killOnExit))
  }

  static async start(): Promise<SshGitServer> {
    const dir = tempDir('kedge-sshd-')
    const hostKeyFile = path.join(dir, 'ssh_host_ed25519_key')
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kedge-test-host', '-f', hostKeyFile], {stdio: 'ignore'})
    writeFileSync(path.join(dir, 'authorized_keys'), '', {mode: 0o600})
    // Running as root, sshd refuses to start without its privilege-separation directory, which a container may lack.
    if (userInfo().uid === 0) mkdirSync('/run/sshd', {recursive: true, mode: 0o755})

    let lastError: unknown
    // The free port found may be taken again before sshd binds it; another one will do.
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort()
      const configFile = path.join(dir, 'sshd_config')
      writeFileSync(configFile, sshdConfig(dir, port, hostKeyFile))
      try {
        const child = await startSshd(configFile, port)
        return new SshGitServer(port, child, dir, hostKeyFile)
      } catch (error) {
        lastError = error
        if (!/address already in use|cannot bind/i.test(String(error))) throw error
      }
    }
    throw lastError
  }

  /** Lets the holder of this public key (an `ssh-ed25519 AAAA...` line) log in as `user`. */
  authorize(publicKey: string): void {
    appendFileSync(this.authorizedKeysFile, `${publicKey.trim()}\n`)
  }

  /** The ssh url of a bare repository given by its absolute path. */
  url(bareDir: string): string {
    return `ssh://${this.user}@127.0.0.1:${this.port}${bareDir}`
  }

  async stop(): Promise<void> {
    this.sshd.kill('SIGTERM')
    await this.exited
  }
}

/** A fresh ed25519 key pair without passphrase; `fingerprint` is the `SHA256:...` that `ssh-keygen -lf` prints. */
export function generateKeyPair(dir?: string): {privateKeyFile: string; privateKey: string; publicKey: string; fingerprint: string} {
  const keyDir = dir ?? tempDir('kedge-key-')
  // ssh-keygen would stop to ask before overwriting, so each pair in a shared directory gets its own name.
  let privateKeyFile = path.join(keyDir, 'id_ed25519')
  for (let n = 2; existsSync(privateKeyFile); n++) privateKeyFile = path.join(keyDir, `id_ed25519_${n}`)
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kedge-test', '-f', privateKeyFile], {stdio: 'ignore'})
  return {
    privateKeyFile,
    privateKey: readFileSync(privateKeyFile, 'utf8'),
    publicKey: readFileSync(`${privateKeyFile}.pub`, 'utf8').trim(),
    fingerprint: fingerprintOf(`${privateKeyFile}.pub`),
  }
}

function fingerprintOf(publicKeyFile: string): string {
  // Prints "256 SHA256:... comment (ED25519)".
  const fingerprint = execFileSync('ssh-keygen', ['-lf', publicKeyFile], {encoding: 'utf8'}).split(/\s+/)[1]
  if (!fingerprint?.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen -lf output for ${publicKeyFile}`)
  return fingerprint
}

function sshdConfig(dir: string, port: number, hostKeyFile: string): string {
  return [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${hostKeyFile}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    // The temp directory's owner and modes are not what sshd insists on for a user's ~/.ssh.
    'StrictModes no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    `AllowUsers ${userInfo().username}`,
    'X11Forwarding no',
    'AllowAgentForwarding no',
    'AllowTcpForwarding no',
    '',
  ].join('\n')
}

async function startSshd(configFile: string, port: number): Promise<ChildProcess> {
  const child = spawn(SSHD, ['-D', '-e', '-f', configFile], {stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    // Kept short: a long test run logs every connection here.
    stderr = (stderr + chunk).slice(-8192)
  })
  let exit: string | undefined
  child.once('exit', (code, signal) => {
    exit = `code ${code ?? signal}`
  })
  child.once('error', (error) => {
    exit = String(error)
  })

  const deadline = Date.now() + START_TIMEOUT_MS
  for (;;) {
    if (exit !== undefined) throw new Error(`sshd exited early (${exit}): ${stderr.trim()}`)
    if (await greets(port)) return child
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`sshd did not accept connections on port ${port} within ${START_TIMEOUT_MS} ms: ${stderr.trim()}`)
    }
    await sleep(50)
  }
}

/** Whether an ssh server answers on the port: a bare TCP accept could come from whoever took the port before sshd. */
export function greets(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host)
    socket.setTimeout(1000)
    socket.once('data', (data) => {
      socket.destroy()
      resolve(data.toString('latin1').startsWith('SSH-'))
    })
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(false))
    socket.once('close', () => resolve(false))
  })
}
