import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after} from 'node:test'

import {generateKeyPair} from './ssh-server.js'
import {tempDir} from './temp.js'
import type {TestNode} from './test-network.js'
import {waitFor} from './wait.js'
import {greets} from './ssh-server.js'

// sshd re-executes itself for every connection, which it only does when started by absolute path.
const SSHD = '/usr/sbin/sshd'
const SSH_PORT = 22
const START_TIMEOUT_MS = 10_000

/**
 * A real OpenSSH server in a node of a `TestNetwork`, standing for the ssh side of a remote Docker host:
 * root logs in with a key made for the test only, may forward unix sockets (for a tunnel to the engine's
 * socket), and its sessions get DOCKER_HOST pointing at the node's engine, so that a `docker` run over ssh
 * (`docker system dial-stdio` for the CLI's ssh://) reaches that engine and not the main one, whose
 * socket the node's shared filesystem also holds.
 */
export class EngineSshServer {
  readonly user = 'root'
  readonly port = SSH_PORT
  readonly host: string
  readonly privateKeyFile: string
  readonly privateKey: string
  readonly publicKey: string
  /** `<address> ssh-ed25519 AAAA…`, the server's host key as a known_hosts line. */
  readonly knownHostsLine: string
  /** A known_hosts file holding only `knownHostsLine`. */
  readonly knownHostsFile: string
  private readonly exited: Promise<void>
  private stopped: Promise<void> | null = null

  private constructor(
    readonly node: TestNode,
    readonly engineSocket: string,
    private readonly sshd: ChildProcess,
    dir: string,
    hostKeyFile: string,
    clientKey: {privateKeyFile: string; privateKey: string; publicKey: string},
    private readonly stderr: {text: string},
  ) {
    this.host = node.address
    this.privateKeyFile = clientKey.privateKeyFile
    this.privateKey = clientKey.privateKey
    this.publicKey = clientKey.publicKey
    const [type, key] = readFileSync(`${hostKeyFile}.pub`, 'utf8').trim().split(/\s+/)
    this.knownHostsLine = `${this.host} ${type} ${key}`
    this.knownHostsFile = path.join(dir, 'known_hosts')
    writeFileSync(this.knownHostsFile, `${this.knownHostsLine}\n`)
    this.exited = new Promise((resolve) => {
      if (sshd.exitCode !== null || sshd.signalCode !== null) resolve()
      else sshd.once('exit', () => resolve())
    })
    const killOnExit = (): void => {
      sshd.kill('SIGTERM')
    }
    process.once('exit', killOnExit)
    void this.exited.then(() => process.off('exit', killOnExit))
    after(() => this.stop())
    node.network.onTeardown(() => this.stop())
  }

  /** Starts sshd on `<node address>:22` in the node's namespace; sessions get DOCKER_HOST=unix://<engineSocket>. */
  static async start(node: TestNode, engineSocket: string): Promise<EngineSshServer> {
    const dir = tempDir('kedge-engine-sshd-')
    const hostKeyFile = path.join(dir, 'ssh_host_ed25519_key')
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `kedge-test-${node.name}`, '-f', hostKeyFile], {stdio: 'ignore'})
    const clientKey = generateKeyPair(dir)
    const authorizedKeysFile = path.join(dir, 'authorized_keys')
    writeFileSync(authorizedKeysFile, `${clientKey.publicKey}\n`, {mode: 0o600})
    // Running as root, sshd refuses to start without its privilege-separation directory, which a container may lack.
    mkdirSync('/run/sshd', {recursive: true, mode: 0o755})
    const configFile = path.join(dir, 'sshd_config')
    writeFileSync(configFile, sshdConfig({address: node.address, dir, hostKeyFile, authorizedKeysFile, engineSocket}))

    const sshd = spawn('nsenter', [`--net=${node.netnsPath}`, '--', SSHD, '-D', '-e', '-f', configFile], {stdio: ['ignore', 'ignore', 'pipe']})
    const log = {text: ''}
    sshd.stderr!.setEncoding('utf8')
    sshd.stderr!.on('data', (chunk: string) => {
      // Kept short: every connection logs here.
      log.text = (log.text + chunk).slice(-8192)
    })
    try {
      await waitFor(`sshd to greet on ${node.address}:${SSH_PORT}`, async () => {
        if (sshd.exitCode !== null || sshd.signalCode !== null) throw new Error(`sshd exited early (${sshd.exitCode ?? sshd.signalCode}): ${log.text.trim()}`)
        return greets(SSH_PORT, node.address)
      }, START_TIMEOUT_MS, 50)
    } catch (error) {
      sshd.kill('SIGKILL')
      throw new Error(`${String(error)} ${log.text.trim()}`)
    }
    return new EngineSshServer(node, engineSocket, sshd, dir, hostKeyFile, clientKey, log)
  }

  /** The end of sshd's log (-e: on stderr), to tell why a connection or a forward was refused. */
  get log(): string {
    return this.stderr.text
  }

  /** `root@<address>` */
  get destination(): string {
    return `${this.user}@${this.host}`
  }

  /**
   * OpenSSH client options that use only the test's key and known_hosts: nothing of the user's ssh
   * configuration or agent, and no prompt.
   */
  get clientOptions(): string[] {
    return [
      '-F', '/dev/null',
      '-o', 'BatchMode=yes',
      '-o', 'IdentitiesOnly=yes',
      '-o', 'IdentityAgent=none',
      '-i', this.privateKeyFile,
      '-o', `UserKnownHostsFile=${this.knownHostsFile}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'StrictHostKeyChecking=yes',
      '-p', String(this.port),
    ]
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.sshd.kill('SIGTERM')
      await this.exited
    })()
    return this.stopped
  }
}

function sshdConfig(options: {address: string; dir: string; hostKeyFile: string; authorizedKeysFile: string; engineSocket: string}): string {
  return [
    `ListenAddress ${options.address}`,
    `Port ${SSH_PORT}`,
    `HostKey ${options.hostKeyFile}`,
    // Its own, not the system sshd's /run/sshd.pid.
    `PidFile ${path.join(options.dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${options.authorizedKeysFile}`,
    // The temp directory's owner and modes are not what sshd insists on for a user's ~/.ssh.
    'StrictModes no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'AllowUsers root',
    'X11Forwarding no',
    'AllowAgentForwarding no',
    // `ssh -L <local socket>:<engine socket>`, the tunnel to the engine. sshd grants a unix socket forward
    // only where it grants local TCP forwards too: with `AllowTcpForwarding no` it denies the request.
    'AllowStreamLocalForwarding yes',
    'AllowTcpForwarding local',
    `SetEnv DOCKER_HOST=unix://${options.engineSocket}`,
    '',
  ].join('\n')
}

