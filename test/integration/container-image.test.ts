import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {rootCertificates} from 'node:tls'
import {fileURLToPath} from 'node:url'

import {docker, kedgeContainers, removeComposeProject} from '../helpers/docker.js'
import {GitRemote} from '../helpers/git-remote.js'
import {request} from '../helpers/http.js'
import type {LogLine} from '../helpers/serve.js'
import {uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'
import {waitFor} from '../helpers/wait.js'

/**
 * The image the Dockerfile builds, run against this host's engine as docs/container.md says: the engine's
 * socket mounted, and the home at the same path inside and out. No registry is needed: the Dockerfile's
 * base is a local Debian 13 (scripts/build-base-image.sh), and the stack runs a local test image.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BASE_IMAGE = 'kedge-test/debian:trixie-slim'
/** Kept by tag between runs: a rebuild with unchanged dependencies reuses the cached layers. */
const IMAGE = 'kedge-test/kedge:latest'
/** A cold build compiles SQLite; on a loaded 2-core machine that and the rest take several minutes. */
const BUILD_TIMEOUT_MS = 15 * 60_000

/** The stack's service writes through a relative bind mount: the file must land in the stack directory on the host. */
const STACK_COMPOSE = `services:
  web:
    image: kedge-test/busybox:1
    volumes:
      - ./data:/data
    command: ["sh", "-c", "echo written-in-the-stack > /data/proof; trap 'exit 0' TERM; while true; do sleep 1; done"]
`

/** The part of `docker compose config --format json` the example's checks read. */
interface ExampleService {
  volumes: Array<{source: string; target: string}>
  ports: Array<{host_ip: string; published: string; target: number}>
  restart: string
  environment: Record<string, string | null>
}

/** Runs a command to its end without blocking this process's timers; fails with the end of its output. */
function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(output)
      else reject(new Error(`${command} ${args.slice(0, 2).join(' ')} ended with ${code ?? signal}:\n${output.slice(-4000)}`))
    })
  })
}

/** The engine's unix socket, to mount into the container; null when the engine is reached some other way. */
function engineSocket(): string | null {
  const host = process.env.DOCKER_HOST
  if (!host) return '/var/run/docker.sock'
  return host.startsWith('unix://') ? host.slice('unix://'.length) : null
}

/**
 * The CA certificates this process trusts beyond Node's own (NODE_EXTRA_CA_CERTS, as behind a proxy that
 * intercepts TLS): the image's build needs them to reach the npm registry too.
 */
function extraCaCertificates(): string {
  const file = process.env.NODE_EXTRA_CA_CERTS
  if (!file || !existsSync(file)) return ''
  const known = new Set(rootCertificates.map((pem) => pem.replace(/\s+/g, '')))
  const pems = readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
  return pems.filter((pem) => !known.has(pem.replace(/\s+/g, ''))).join('\n')
}

function headCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
  } catch {
    return ''
  }
}

function hasImage(reference: string): boolean {
  try {
    docker('image', 'inspect', reference)
    return true
  } catch {
    return false
  }
}

/**
 * Removes what earlier builds on the local base left and this build did not use: the image it replaced
 * under the tag, and the ends of the other stages (the builder keeps them untagged, as its cache). After
 * a change to the sources each run would otherwise leave them behind; what this build used stays, the
 * cache of the next run.
 */
function removeSupersededBuilds(buildOutput: string): void {
  // The classic builder prints each step's image; BuildKit keeps its cache elsewhere and prints none.
  const used = new Set([...buildOutput.matchAll(/^ ---> ([0-9a-f]{12})\s*$/gm)].map((match) => match[1]))
  const firstLayer = (image: string) => docker('image', 'inspect', '--format', '{{index .RootFS.Layers 0}}', image).trim()
  const baseLayer = firstLayer(BASE_IMAGE)
  for (const id of docker('images', '--quiet', '--filter', 'dangling=true').split('\n').filter(Boolean)) {
    try {
      if (!used.has(id) && firstLayer(id) === baseLayer) docker('image', 'rm', id)
    } catch {
      // removed with another one already, or in use
    }
  }
}

/** A container's JSON log lines (serve's, with --log-format json). */
function logLines(container: string): LogLine[] {
  return docker('logs', container)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)
}

function removeContainer(name: string): void {
  try {
    docker('rm', '--force', '--volumes', name)
  } catch {
    // never started
  }
}

const socket = engineSocket()
const skip = socket === null ? 'the engine is not on a unix socket this test can mount' : process.getuid?.() !== 0 && !hasImage(BASE_IMAGE) ? 'building the base image needs root (debootstrap)' : false

describe('the container image', {skip}, () => {
  const name = uniqueName('kt-image')
  const kedge = `${name}-kedge`
  const elsewhere = `${name}-elsewhere`
  const commit = headCommit()
  let imageBuilt = false
  /** How long the images took, told by the first test (a hook has no diagnostics). */
  let buildTimes = ''

  before(async () => {
    let started = Date.now()
    await run('bash', ['scripts/build-base-image.sh', BASE_IMAGE], BUILD_TIMEOUT_MS)
    const baseMs = Date.now() - started
    started = Date.now()
    const extraCa = extraCaCertificates()
    const caArgs = extraCa ? ['--build-arg', `EXTRA_CA_CERTIFICATES=${extraCa}`] : []
    // --force-rm: a step that fails leaves no container behind either.
    const output = await run('docker', ['build', '--force-rm', '--tag', IMAGE, '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, '--build-arg', `KEDGE_COMMIT=${commit}`, ...caArgs, ROOT], BUILD_TIMEOUT_MS)
    buildTimes = `base image ready in ${baseMs} ms, kedge image built in ${Date.now() - started} ms`
    removeSupersededBuilds(output)
    imageBuilt = true
  }, {timeout: 2 * BUILD_TIMEOUT_MS})

  after(() => {
    removeContainer(kedge)
    removeContainer(elsewhere)
    removeComposeProject(name)
  })

  it('records the commit it was built from, and runs kedge serve under tini, with Compose v2 and a healthcheck by Node', (t) => {
    assert.ok(imageBuilt)
    t.diagnostic(buildTimes)
    const config = JSON.parse(docker('image', 'inspect', '--format', '{{json .Config}}', IMAGE)) as {
      Entrypoint: string[]
      Cmd: string[]
      Env: string[]
      Labels: Record<string, string>
      Healthcheck: {Test: string[]}
    }
    assert.deepEqual(config.Entrypoint, ['tini', '--', 'kedge'])
    assert.deepEqual(config.Cmd, ['serve'])
    assert.ok(config.Env.includes('KEDGE_HOME=/var/lib/kedge') && config.Env.includes('KEDGE_LISTEN=0.0.0.0:8080'), config.Env.join(' '))
    assert.equal(config.Labels['org.opencontainers.image.revision'], commit)
    assert.deepEqual(config.Healthcheck.Test.slice(0, 3), ['CMD', 'node', '-e'])
    assert.match(docker('run', '--rm', '--entrypoint', 'docker', IMAGE, 'compose', 'version'), /Docker Compose version v?2\./)
  })

  it('has an example compose file that mounts the socket and the home at the same path, and publishes on the loopback', () => {
    const example = path.join(ROOT, 'examples/kedge-in-docker/compose.yaml')
    const service = (JSON.parse(docker('compose', '--file', example, 'config', '--format', 'json')) as {services: Record<string, ExampleService>}).services.kedge!
    assert.deepEqual(
      service.volumes.map((volume) => [volume.source, volume.target]),
      [
        ['/var/run/docker.sock', '/var/run/docker.sock'],
        ['/var/lib/kedge', '/var/lib/kedge'],
      ],
    )
    assert.deepEqual(service.ports.map((port) => [port.host_ip, port.published, port.target]), [['127.0.0.1', '8080', 8080]])
    assert.equal(service.restart, 'unless-stopped')
    assert.ok('KEDGE_SECRET_KEY' in service.environment)
  })

  it('deploys a stack through the host engine, turns healthy, heals a stopped container and stops on SIGTERM', async (t) => {
    assert.ok(imageBuilt)
    const home = tempDir('kedge-image-home-')
    const remote = GitRemote.create({'docker-compose.yaml': STACK_COMPOSE})
    const remoteDir = path.dirname(remote.bareDir)
    // The home, and the remote kedge clones by path, are mounted at their own paths inside and out.
    const mounts = ['--volume', `${socket}:/var/run/docker.sock`, '--volume', `${home}:${home}`, '--env', `KEDGE_HOME=${home}`, '--volume', `${remoteDir}:${remoteDir}:ro`]

    const added = docker('run', '--rm', ...mounts, IMAGE, 'repo', 'add', remote.bareDir, '--name', name)
    assert.match(added, new RegExp(name))
    let started = Date.now()
    // The image's own healthcheck, made every second instead of every 30.
    docker('run', '--detach', '--name', kedge, ...mounts, '--publish', '127.0.0.1::8080', '--health-interval', '1s', IMAGE, 'serve', '--interval', '2s', '--log-format', 'json', '--log-level', 'debug')

    const deployed = await waitFor('the stack to run the branch head', () => kedgeContainers(name).find((container) => container.state === 'running' && container.commit === remote.head()), 120_000, 250)
    t.diagnostic(`serve started and deployed in ${Date.now() - started} ms`)
    const proof = path.join(home, 'stacks', name, 'data', 'proof')
    await waitFor(`the stack's file at ${proof} on the host`, () => existsSync(proof), 30_000)
    assert.equal(readFileSync(proof, 'utf8').trim(), 'written-in-the-stack')

    assert.equal(await waitFor('the healthcheck to pass', () => docker('inspect', '--format', '{{.State.Health.Status}}', kedge).trim() === 'healthy', 60_000, 250), true)
    const port = docker('port', kedge, '8080/tcp').trim().split('\n')[0]!.split(':').pop()
    assert.equal((await request(`http://127.0.0.1:${port}`, 'GET', '/health')).status, 200)
    const dashboard = await request(`http://127.0.0.1:${port}`, 'GET', '/')
    assert.equal(dashboard.status, 200, 'the image serves the dashboard it built')
    assert.match(dashboard.text, /<script type="module" src="\/assets\//)
    const status = JSON.parse(docker('exec', kedge, 'kedge', 'status', '--repo', name, '--json')) as unknown
    assert.match(JSON.stringify(status), new RegExp(remote.head()))
    assert.deepEqual(logLines(kedge).filter((line) => line.event === 'home.mount_mismatch'), [], 'no warning for a home at the same path')

    await waitFor('the engine event stream', () => logLines(kedge).some((line) => line.event === 'events.connected'), 30_000, 250)
    started = Date.now()
    docker('stop', '--time', '5', deployed.id)
    const healed = await waitFor('kedge to heal the stopped container', () => kedgeContainers(name).find((container) => container.state === 'running'), 60_000, 250)
    t.diagnostic(`a stopped container ran again after ${Date.now() - started} ms`)
    assert.equal(healed.commit, remote.head())
    assert.ok(logLines(kedge).some((line) => line.event === 'drift.healed' && line.repo === name))

    started = Date.now()
    docker('stop', '--time', '20', kedge)
    const stopMs = Date.now() - started
    t.diagnostic(`docker stop took ${stopMs} ms`)
    assert.equal(docker('inspect', '--format', '{{.State.ExitCode}}', kedge).trim(), '0')
    assert.ok(stopMs < 10_000, `serve stopped ${stopMs} ms after SIGTERM`)
    assert.ok(logLines(kedge).some((line) => line.event === 'serve.stopped'))
  })

  it('warns at start when the home is mounted at another path than its own', async () => {
    assert.ok(imageBuilt)
    const hostDir = tempDir('kedge-image-elsewhere-')
    docker('run', '--detach', '--name', elsewhere, '--volume', `${socket}:/var/run/docker.sock`, '--volume', `${hostDir}:/var/lib/kedge`, IMAGE, 'serve', '--listen', 'off', '--log-format', 'json')
    const warning = await waitFor('the warning', () => logLines(elsewhere).find((line) => line.event === 'home.mount_mismatch'), 30_000, 250)
    assert.equal(warning.level, 'warn')
    assert.equal(warning.home, '/var/lib/kedge')
    assert.equal(warning.host_path, hostDir)
    assert.match(String(warning.hint), new RegExp(`-v ${hostDir}:${hostDir}`))
    docker('stop', '--time', '20', elsewhere)
  })
})
