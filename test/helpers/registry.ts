import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {freePort} from './ports.js'
import {tempDir} from './temp.js'
import {waitFor} from './wait.js'

/**
 * Debian's docker-registry on 127.0.0.1 (which the engine treats as an insecure registry, so no TLS is
 * needed) with htpasswd authentication (unless started with `auth: false`), and a DOCKER_CONFIG directory
 * that holds its credentials.
 */
export class PrivateRegistry {
  private constructor(
    private readonly process: ChildProcess,
    readonly port: number,
    readonly username: string,
    readonly password: string,
    /** A Docker client configuration directory that can pull from the registry. */
    readonly dockerConfigDir: string,
  ) {}

  static async start(options: {auth?: boolean} = {}): Promise<PrivateRegistry> {
    const auth = options.auth ?? true
    const dir = tempDir('kedge-registry-')
    const username = 'kedge-reader'
    const password = `reg-${Math.random().toString(36).slice(2)}-pass`
    const htpasswd = execFileSync('htpasswd', ['-Bbn', username, password], {encoding: 'utf8'})
    writeFileSync(path.join(dir, 'htpasswd'), htpasswd)
    const port = await freePort()
    writeFileSync(
      path.join(dir, 'config.yml'),
      [
        'version: 0.1',
        'log: {level: error}',
        `storage: {filesystem: {rootdirectory: ${path.join(dir, 'data')}}}`,
        `http: {addr: "127.0.0.1:${port}"}`,
        ...(auth ? [`auth: {htpasswd: {realm: kedge-test, path: ${path.join(dir, 'htpasswd')}}}`] : []),
        '',
      ].join('\n'),
    )
    const dockerConfigDir = path.join(dir, 'docker-config')
    mkdirSync(dockerConfigDir)
    const credentials = Buffer.from(`${username}:${password}`).toString('base64')
    // localhost is the same registry under another name: publish() pushes through it (see there).
    writeFileSync(path.join(dockerConfigDir, 'config.json'), JSON.stringify({auths: auth ? {[`127.0.0.1:${port}`]: {auth: credentials}, [`localhost:${port}`]: {auth: credentials}} : {}}))
    const child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], {stdio: 'ignore'})
    const registry = new PrivateRegistry(child, port, username, password, dockerConfigDir)
    process.once('exit', () => child.kill())
    await waitFor('the registry to answer', async () => {
      if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}`)
      const response = await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => null)
      return response?.status === (auth ? 401 : 200)
    }, 15_000)
    return registry
  }

  /** `name:tag` in this registry. */
  reference(name: string): string {
    return `127.0.0.1:${this.port}/${name}`
  }

  /**
   * Pushes a local image under `reference`, then removes it locally, so using it needs a pull; with
   * `keepLocal`, the local tag stays (with the digest the push recorded in its RepoDigests).
   */
  push(localImage: string, reference: string, options: {keepLocal?: boolean} = {}): void {
    execFileSync('docker', ['tag', localImage, reference])
    execFileSync('docker', ['push', reference], {env: {...process.env, DOCKER_CONFIG: this.dockerConfigDir}, stdio: 'ignore'})
    if (!options.keepLocal) execFileSync('docker', ['rmi', reference], {stdio: 'ignore'})
  }

  /**
   * Makes `name:tag` of this registry name `localImage`, as another host pushing would: pushed through
   * the registry's other name (localhost), so that the engine's own `127.0.0.1:<port>/name:tag`, and the
   * containers that run it, are left as they are. Returns the digest the registry now serves for it.
   */
  publish(localImage: string, nameTag: string): string {
    const elsewhere = `localhost:${this.port}/${nameTag}`
    execFileSync('docker', ['tag', localImage, elsewhere])
    try {
      const pushed = execFileSync('docker', ['push', elsewhere], {env: {...process.env, DOCKER_CONFIG: this.dockerConfigDir}, encoding: 'utf8'})
      const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1]
      if (!digest) throw new Error(`docker push printed no digest: ${pushed}`)
      return digest
    } finally {
      execFileSync('docker', ['rmi', elsewhere], {stdio: 'ignore'})
    }
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return
    const exited = new Promise((resolve) => this.process.once('exit', resolve))
    this.process.kill()
    await exited
  }
}

