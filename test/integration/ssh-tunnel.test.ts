import assert from 'node:assert/strict'
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {userInfo} from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {localDockerEngine} from '../../src/adapters/engine/docker-engine.js'
import {connectEngine, identifyEngine, type EngineConnection} from '../../src/adapters/engine/engine-connection.js'
import {withoutDockerEndpoint, type EngineEndpoint} from '../../src/model/engine/engine-endpoint.js'
import {isKedgeError, type KedgeError} from '../../src/model/errors.js'
import {redact} from '../../src/model/secrets/redaction.js'
import {freePort} from '../helpers/ports.js'
import {generateKeyPair} from '../helpers/ssh-server.js'
import {tempDir} from '../helpers/temp.js'
import {waitFor} from '../helpers/wait.js'
import {greets} from '../helpers/ssh-server.js'

// sshd re-executes itself for every connection, which it only does when started by absolute path.
const SSHD = '/usr/sbin/sshd'
const ENGINE_SOCKET = '/var/run/docker.sock'

/**
 * A real OpenSSH server on 127.0.0.1 that lets the current user forward a local unix socket to the
 * engine's (test/helpers/ssh-server.ts's forbids forwarding, as a git host does).
 */
class ForwardingSshServer {
  readonly user = userInfo().username
  readonly hostKeyLine: string
  readonly hostKeyFingerprint: string
  readonly authorizedKeys: string

  private constructor(
    readonly port: number,
    private readonly sshd: ChildProcess,
    dir: string,
  ) {
    this.authorizedKeys = path.join(dir, 'authorized_keys')
    const [type, key] = readFileSync(path.join(dir, 'host_key.pub'), 'utf8').trim().split(/\s+/)
    this.hostKeyLine = `[127.0.0.1]:${port} ${type} ${key}`
    this.hostKeyFingerprint = execFileSync('ssh-keygen', ['-lf', path.join(dir, 'host_key.pub')], {encoding: 'utf8'}).split(/\s+/)[1]!
  }

  /** `dir` outlives the hooks: node:test runs an after() registered inside a before() as soon as that ends. */
  static async start(dir: string): Promise<ForwardingSshServer> {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kedge-test-host', '-f', path.join(dir, 'host_key')], {stdio: 'ignore'})
    writeFileSync(path.join(dir, 'authorized_keys'), '', {mode: 0o600})
    // Running as root, sshd refuses to start without its privilege-separation directory, which a container may lack.
    if (userInfo().uid === 0) mkdirSync('/run/sshd', {recursive: true, mode: 0o755})
    let lastError: unknown
    // The free port found may be taken again before sshd binds it; another one will do.
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort()
      writeFileSync(path.join(dir, 'sshd_config'), sshdConfig(dir, port))
      const sshd = spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], {stdio: ['ignore', 'ignore', 'pipe']})
      let stderr = ''
      sshd.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8192)))
      // However the test process ends, it must not leave an sshd behind holding the port.
      const stop = () => sshd.kill('SIGTERM')
      process.once('exit', stop)
      try {
        await waitFor('sshd to greet', () => sshd.exitCode === null && greets(port), 10_000, 50)
        return new ForwardingSshServer(port, sshd, dir)
      } catch (error) {
        stop()
        lastError = new Error(`sshd did not start on port ${port}: ${stderr.trim() || String(error)}`)
      }
    }
    throw lastError
  }

  authorize(publicKey: string): void {
    writeFileSync(this.authorizedKeys, `${publicKey.trim()}\n`, {flag: 'a'})
  }

  endpoint(port = this.port): EngineEndpoint {
    return {kind: 'ssh', user: this.user, host: '127.0.0.1', port, socket: ENGINE_SOCKET}
  }

  stop(): void {
    this.sshd.kill('SIGTERM')
  }
}

function sshdConfig(dir: string, port: number): string {
  return [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${path.join(dir, 'host_key')}`,
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
    // A unix socket's forwarding needs both: sshd refuses it when TCP forwarding is off.
    'AllowTcpForwarding yes',
    'AllowStreamLocalForwarding yes',
    // A banner that looks like ssh's own refusal must not become kedge's diagnosis.
    `Banner ${writeBanner(dir)}`,
    '',
  ].join('\n')
}

function writeBanner(dir: string): string {
  const file = path.join(dir, 'banner')
  writeFileSync(file, 'WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!\nPermission denied (publickey).\n')
  return file
}


/** The ssh processes whose arguments name this socket: the tunnel's, found as `ps` would find it. */
function sshProcessesFor(socketPath: string): Array<{pid: number; args: string[]}> {
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return []
    let args: string[]
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').slice(0, -1)
    } catch {
      return []
    }
    return args[0] === 'ssh' && args.some((arg) => arg.startsWith(`${socketPath}:`)) ? [{pid: Number(entry), args}] : []
  })
}

function socketOf(connection: EngineConnection): string {
  const host = connection.environment.DOCKER_HOST ?? ''
  assert.ok(host.startsWith('unix://'), host)
  return host.slice('unix://'.length)
}

async function refusal(work: Promise<unknown>): Promise<KedgeError> {
  const error = await work.then(
    () => assert.fail('it connected'),
    (caught: unknown) => caught,
  )
  assert.ok(isKedgeError(error), String(error))
  assert.ok(!error.message.includes('\n'), error.message)
  assert.ok(error.hint, 'a hint')
  return error
}

/** Every ssh process and private directory a refused connection made is gone. */
function assertNothingLeft(before: Set<string>): void {
  const after = privateDirectories()
  assert.deepEqual([...after].filter((dir) => !before.has(dir)), [], 'private directories left behind')
  assert.deepEqual(sshProcessesFor('/dev/shm/kedge-private-'), [])
}

function privateDirectories(): Set<string> {
  const root = existsSync('/dev/shm') ? '/dev/shm' : '/tmp'
  return new Set(readdirSync(root).filter((entry) => entry.startsWith(`kedge-private-${process.pid}-`)).map((entry) => path.join(root, entry)))
}

describe('an engine over kedge\'s ssh tunnel', () => {
  let server: ForwardingSshServer
  const serverDir = tempDir('kedge-sshd-')
  const key = generateKeyPair()
  let learned: string | null = null

  before(async () => {
    server = await ForwardingSshServer.start(serverDir)
    server.authorize(key.publicKey)
  })
  after(() => server.stop())

  it('answers through the tunnel, learns the host key on first use, and gives the CLIs the tunnel', async () => {
    const learnedLines: string[] = []
    const connection = await connectEngine('web2', server.endpoint(), {sshKey: key.privateKey, knownHosts: ''}, {onHostKeyLearned: (lines) => learnedLines.push(lines)})
    try {
      await connection.engine.ping()
      const [through, direct] = await Promise.all([identifyEngine(connection.engine), identifyEngine(localDockerEngine)])
      assert.equal(through.id, direct.id, 'the tunnel reaches the engine on the forwarded socket')
      // The same containers either way; the tests beside this one create and remove some between two listings, so both are taken again until they agree.
      const listings = async () =>
        Promise.all([connection.engine, localDockerEngine].map(async (engine) => (await engine.listAllKedgeContainers()).map((container) => container.id).sort()))
      await waitFor('the listings through the tunnel and direct to agree', async () => {
        const [tunnelled, local] = await listings()
        return JSON.stringify(tunnelled) === JSON.stringify(local)
      }, 30_000, 200)

      assert.equal(learnedLines.length, 1)
      assert.equal(learnedLines[0]!.trim(), server.hostKeyLine)
      learned = learnedLines[0]!

      const socket = socketOf(connection)
      assert.deepEqual(Object.keys(connection.environment), ['DOCKER_HOST'])
      const cliId = execFileSync('docker', ['info', '--format', '{{.ID}}'], {env: {...withoutDockerEndpoint(process.env), ...connection.environment}, encoding: 'utf8'}).trim()
      assert.equal(cliId, direct.id, 'the docker CLI reaches the same engine through the tunnel')

      const [ssh] = sshProcessesFor(socket)
      assert.ok(ssh, 'ssh runs')
      const dir = path.dirname(socket)
      assert.deepEqual(ssh.args, [
        'ssh', '-N', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20', '-o', 'ServerAliveInterval=10', '-o', 'ServerAliveCountMax=2',
        '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-i', path.join(dir, 'key'),
        '-o', `UserKnownHostsFile=${path.join(dir, 'known_hosts')}`, '-o', 'GlobalKnownHostsFile=/dev/null',
        '-o', 'StrictHostKeyChecking=accept-new', '-o', 'HashKnownHosts=no', '-o', 'UpdateHostKeys=no', '-o', 'CheckHostIP=no',
        '-o', 'ExitOnForwardFailure=yes', '-o', 'StreamLocalBindUnlink=yes', '-o', 'LogLevel=ERROR',
        '-p', String(server.port), '-L', `${socket}:${ENGINE_SOCKET}`, '--', `${server.user}@127.0.0.1`,
      ])
      const keyLine = key.privateKey.split('\n')[1]!
      assert.equal(redact(`ssh said: ${keyLine}`), 'ssh said: ***', 'the key is registered as a secret')

      connection.close()
      await waitFor('ssh to end', () => sshProcessesFor(socket).length === 0, 5000, 50)
      assert.equal(existsSync(dir), false, 'the private directory is removed')
    } finally {
      connection.close()
    }
  })

  it('checks the learned host key strictly, and reports nothing new', async () => {
    assert.ok(learned, 'the first test learned the host key')
    const learnedLines: string[] = []
    const connection = await connectEngine('web2', server.endpoint(), {sshKey: key.privateKey, knownHosts: learned}, {onHostKeyLearned: (lines) => learnedLines.push(lines)})
    try {
      await connection.engine.ping()
      assert.deepEqual(learnedLines, [])
      const [ssh] = sshProcessesFor(socketOf(connection))
      assert.ok(ssh?.args.includes('StrictHostKeyChecking=yes'), ssh?.args.join(' '))
    } finally {
      connection.close()
    }
  })

  it('refuses a changed host key in one line, as it does for a repository, and leaves nothing running', async () => {
    const before = privateDirectories()
    const other = generateKeyPair()
    const [type, otherKey] = other.publicKey.split(/\s+/)
    const error = await refusal(connectEngine('web2', server.endpoint(), {sshKey: key.privateKey, knownHosts: `[127.0.0.1]:${server.port} ${type} ${otherKey}\n`}))
    assert.equal(error.code, 'host_key_changed')
    assert.equal(error.message, `the SSH host key of 127.0.0.1:${server.port} changed (it now offers ${server.hostKeyFingerprint}): it is not the key kedge trusts for the engine web2`)
    assert.match(error.hint!, /ssh-keyscan -p \d+ 127\.0\.0\.1/)
    assertNothingLeft(before)
  })

  it('refuses a key the server does not take, in one line', async () => {
    const before = privateDirectories()
    const stranger = generateKeyPair()
    const error = await refusal(connectEngine('web2', server.endpoint(), {sshKey: stranger.privateKey, knownHosts: learned ?? ''}))
    assert.equal(error.code, 'auth_failed')
    assert.equal(error.message, `the SSH server 127.0.0.1:${server.port} refused kedge's ssh key for the engine web2`)
    assertNothingLeft(before)
  })

  it('says so when ssh cannot read the key it is given', async () => {
    const error = await refusal(connectEngine('web2', server.endpoint(), {sshKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key at all\n-----END OPENSSH PRIVATE KEY-----\n', knownHosts: learned ?? ''}))
    assert.equal(error.code, 'invalid_ssh_key')
    assert.equal(error.message, 'ssh cannot read kedge\'s ssh key for the engine web2')
  })

  it('opens the tunnel again when ssh is killed, and says why while it is down', async () => {
    const connection = await connectEngine('web2', server.endpoint(), {sshKey: key.privateKey, knownHosts: learned ?? ''})
    try {
      const socket = socketOf(connection)
      await connection.engine.ping()
      const [first] = sshProcessesFor(socket)
      assert.ok(first)
      process.kill(first.pid, 'SIGKILL')

      // Until ssh is started again (a second later), a request fails at once, saying so.
      const down = await waitFor('the tunnel to be seen down', () => connection.engine.ping().then(() => undefined, (error: KedgeError) => error), 5000, 20)
      assert.equal(down.code, 'engine_unavailable')
      assert.match(down.message, /^kedge's ssh tunnel to the Docker engine web2 \(ssh:\/\/.+@127\.0\.0\.1:\d+\) closed: ssh was ended by SIGKILL$/)

      await waitFor('the tunnel to open again', () => connection.engine.answers(), 15_000, 100)
      const [second] = sshProcessesFor(socket)
      assert.ok(second && second.pid !== first.pid, 'a new ssh')
      assert.equal((await identifyEngine(connection.engine)).id, (await identifyEngine(localDockerEngine)).id)
    } finally {
      connection.close()
    }
  })

  it('says why when the server is not there at all', async () => {
    const before = privateDirectories()
    const closed = await freePort()
    const error = await refusal(connectEngine('web2', server.endpoint(closed), {sshKey: key.privateKey, knownHosts: ''}))
    assert.equal(error.code, 'engine_unavailable')
    assert.match(error.message, new RegExp(`^kedge's ssh tunnel to the Docker engine web2 \\(ssh://.+@127\\.0\\.0\\.1:${closed}\\) closed: ssh: connect to host 127\\.0\\.0\\.1 port ${closed}: Connection refused$`))
    assertNothingLeft(before)
  })
})
