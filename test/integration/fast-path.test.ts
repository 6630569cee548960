import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {KEDGE_BIN, runKedge, type CliOptions, type CliResult} from '../helpers/cli.js'
import {SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {registeredStack, type TestStack} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'

/** kedge through oclif alone, as bin/run.cjs ran it before it had a fast path: what the fast path must match. */
const OCLIF_ONLY = [
  '--input-type=module',
  '-e',
  `const {execute} = await import(${JSON.stringify(import.meta.resolve('@oclif/core'))})
await execute({args: process.argv.slice(1), dir: ${JSON.stringify(KEDGE_BIN)}})`,
  '--',
]

/** Preloaded into kedge's process: writes the CommonJS packages it loaded (oclif and dockerode are) to a file at exit. */
const PACKAGE_PROBE = `process.on('exit', () => require('node:fs').writeFileSync(process.env.LOADED_PACKAGES_FILE, JSON.stringify([...new Set(
  Object.keys(require.cache).filter((file) => file.includes('/node_modules/')).map((file) => file.split('/node_modules/').pop()).map((rest) => rest.split('/').slice(0, rest.startsWith('@') ? 2 : 1).join('/')),
)])))`

interface Run extends CliResult {
  /** The CommonJS packages the process loaded. */
  packages: string[]
}

interface BothWays {
  fast: Run
  oclif: Run
}

let probeDir = ''
let runCount = 0

async function run(args: string[], options: CliOptions): Promise<Run> {
  const packagesFile = path.join(probeDir, `${runCount++}.json`)
  const env = {...options.env, NODE_OPTIONS: `--require ${path.join(probeDir, 'probe.cjs')}`, LOADED_PACKAGES_FILE: packagesFile}
  const result = await runKedge(args, {...options, env})
  return {...result, packages: JSON.parse(readFileSync(packagesFile, 'utf8')) as string[]}
}

/** The command run by bin/run.cjs (through the fast path when it applies), then by oclif alone. */
async function bothWays(args: string[], options: CliOptions = {}): Promise<BothWays> {
  const fast = await run(args, options)
  const oclif = await run(args, {...options, entry: OCLIF_ONLY})
  assert.ok(oclif.packages.includes('@oclif/core'), 'the probe sees oclif')
  return {fast, oclif}
}

/** The engine's words for how long a container has run change between two runs; nothing else may. */
function withoutUptime(text: string): string {
  return text.replace(/"status": "(Up|Exited) [^"]*"/g, '"status": "<uptime>"')
}

/** A stack trace's frames name the modules that ran, which differ by how kedge was started. */
function withoutFrames(text: string): string {
  return text.replace(/^\s+at .*\n/gm, '')
}

function assertSameOutput({fast, oclif}: BothWays, what: string, normalise: (text: string) => string = withoutUptime): void {
  assert.deepEqual(
    {code: fast.code, stdout: normalise(fast.stdout), stderr: normalise(fast.stderr)},
    {code: oclif.code, stdout: normalise(oclif.stdout), stderr: normalise(oclif.stderr)},
    what,
  )
}

/** better-sqlite3 and what it requires to find its native library: all the CommonJS packages the fast path loads. */
const SQLITE_PACKAGES = ['better-sqlite3', 'bindings', 'file-uri-to-path']

/** drizzle's reader of the migration files: loaded only to migrate a database, a new home's among them. */
const MIGRATION_PACKAGES = ['drizzle-orm']

function assertFastPath(runs: BothWays, what: string, options: {migrates?: boolean} = {}): void {
  const expected = [...SQLITE_PACKAGES, ...(options.migrates ? MIGRATION_PACKAGES : [])]
  assert.deepEqual(runs.fast.packages.filter((name) => !expected.includes(name)), [], `${what}: the fast path loaded more`)
}

function assertOclif(runs: BothWays, what: string): void {
  assert.ok(runs.fast.packages.includes('@oclif/core'), `${what}: oclif was not loaded`)
}

/** The engine's unix socket on a loopback TCP port: with DOCKER_HOST=tcp://, kedge lists containers through dockerode. */
async function engineOverTcp(): Promise<string> {
  const server = net.createServer((client) => {
    const engine = net.connect('/var/run/docker.sock')
    for (const socket of [client, engine]) socket.on('error', () => socket.destroy())
    client.pipe(engine).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  after(() => server.close())
  return `tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`
}

// A bound on the whole, not a timing: under a loaded machine its hundreds of starts of both CLIs take minutes.
describe('the fast path of repo list, status and history', {timeout: 900_000}, () => {
  // Made while the suite is defined, not in a hook: the directories and stacks must live as long as the suite.
  probeDir = tempDir('kedge-probe-')
  writeFileSync(path.join(probeDir, 'probe.cjs'), PACKAGE_PROBE)
  // In one home: a stack with a kedge.yaml (status parses it for the mode), deployed, then a failed
  // deployment after it; and a repository never deployed.
  const home = tempDir()
  const registering = Promise.all([
    registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': 'reconciliation:\n  mode: notify\n'}, {home}),
    registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home}),
  ])
  let deployed: TestStack
  let neverDeployed: TestStack

  before(async () => {
    ;[deployed, neverDeployed] = await registering
    const synced = await runKedge(['sync', '--repo', deployed.name], {home: deployed.home})
    assert.equal(synced.code, 0, synced.stderr)
    deployed.remote.commit({'docker-compose.yaml': 'services:\n  web:\n    image: [not, an, image]\n'}, 'a bad compose file')
    const failed = await runKedge(['sync', '--repo', deployed.name], {home: deployed.home})
    assert.notEqual(failed.code, 0, 'the bad commit fails')
  })

  it('prints what oclif prints, in text and JSON, without loading oclif', async () => {
    const cases = [
      ['repo', 'list'],
      ['repo', 'list', '--json'],
      ['status'],
      ['status', '--json'],
      ['status', '--repo', deployed.name],
      ['status', '--json', '--repo', deployed.name.toUpperCase()],
      ['status', '--repo', neverDeployed.name],
      ['history', '--repo', deployed.name],
      ['history', '--repo', deployed.name, '--json'],
      ['history', `--repo=${deployed.name}`, '--limit=1'],
      ['history', '--limit', '1', '--json', '--repo', deployed.name],
      ['history', '--repo', neverDeployed.name],
      ['history', '--repo', neverDeployed.name, '--json'],
    ]
    for (const args of cases) {
      const runs = await bothWays(args, {home: deployed.home})
      assertSameOutput(runs, args.join(' '))
      assert.equal(runs.fast.code, 0, `${args.join(' ')}: ${runs.fast.stderr}`)
      assertFastPath(runs, args.join(' '))
    }
  })

  it('shows the deployed kedge.yaml\'s mode and the containers the engine lists', async () => {
    const runs = await bothWays(['status', '--repo', deployed.name, '--json'], {home: deployed.home})
    const [status] = JSON.parse(runs.fast.stdout) as Array<{mode: string; services: Array<{service: string; containers: Array<{state: string}>}>}>
    assert.equal(status!.mode, 'notify')
    assert.deepEqual(status!.services.map((service) => [service.service, service.containers.map((container) => container.state)]), [['web', ['running']]])
    assertSameOutput(runs, 'status --json')
  })

  it('lists the same containers over the engine socket as through dockerode, and reports an engine that does not answer in dockerode\'s words', async () => {
    const args = ['status', '--repo', deployed.name, '--json']
    const overSocket = await run(args, {home: deployed.home})
    const throughDockerode = await run(args, {home: deployed.home, env: {DOCKER_HOST: await engineOverTcp()}})
    assert.ok(!overSocket.packages.includes('dockerode'), 'the socket needs no dockerode')
    assert.ok(throughDockerode.packages.includes('dockerode'), 'DOCKER_HOST=tcp:// is dockerode\'s')
    assert.equal(withoutUptime(overSocket.stdout), withoutUptime(throughDockerode.stdout))
    assert.equal(overSocket.code, 0)

    const missing = path.join(tempDir(), 'docker.sock')
    const down = await bothWays(['status', '--repo', deployed.name], {home: deployed.home, env: {DOCKER_HOST: `unix://${missing}`}})
    assertSameOutput(down, 'an engine that does not answer')
    assert.match(down.fast.stdout, new RegExp(`\\n  engine    the Docker engine did not answer: connect ENOENT ${missing}\\n`))
    assert.equal(down.fast.code, 0)
  })

  it('colours its text as oclif does', async () => {
    for (const args of [['repo', 'list'], ['status'], ['history', '--repo', deployed.name]]) {
      const runs = await bothWays(args, {home: deployed.home, env: {FORCE_COLOR: '1'}})
      assert.match(runs.fast.stdout, /\u001b\[1m/, 'bold headers')
      assertSameOutput(runs, `FORCE_COLOR=1 ${args.join(' ')}`)
      assertFastPath(runs, args.join(' '))
    }
  })

  it('refuses an unknown repository in the same words and with the same exit code', async () => {
    for (const args of [
      ['history', '--repo', 'ghost'],
      ['history', '--repo', 'ghost', '--json'],
      ['status', '--repo', 'ghost'],
      ['status', '--repo', 'ghost', '--json'],
    ]) {
      const runs = await bothWays(args, {home: deployed.home})
      assertSameOutput(runs, args.join(' '))
      assert.equal(runs.fast.code, 2)
      assertFastPath(runs, args.join(' '))
    }
    const text = await bothWays(['history', '--repo', 'ghost'], {home: deployed.home})
    assert.equal(text.fast.stderr, 'Error: no repository named "ghost"\nHint: run "kedge repo list" to see the registered repositories\n')
    assert.equal(text.fast.stdout, '')
  })

  it('finds the home from --home, KEDGE_HOME or ./.kedge as oclif does', async () => {
    const elsewhere = tempDir()
    const flagWins = await bothWays(['repo', 'list', '--json', '--home', deployed.home], {home: elsewhere})
    assertSameOutput(flagWins, '--home over KEDGE_HOME')
    assertFastPath(flagWins, '--home over KEDGE_HOME')
    assert.deepEqual((JSON.parse(flagWins.fast.stdout) as Array<{name: string}>).map((repo) => repo.name).sort(), [deployed.name, neverDeployed.name].sort())

    const relative = await bothWays(['status', '--home', path.basename(deployed.home)], {cwd: path.dirname(deployed.home)})
    assertSameOutput(relative, 'a relative --home')
    assertFastPath(relative, 'a relative --home')

    // An existing ./.kedge, told of once (the mark is made first, so that both ways print the same).
    const cwd = tempDir()
    await runKedge(['notify', 'add', 'json://127.0.0.1:9/hook', '--home', '.kedge'], {cwd})
    writeFileSync(path.join(cwd, '.kedge', '.default-home-told'), '')
    const byDefault = await bothWays(['repo', 'list'], {cwd})
    assertSameOutput(byDefault, './.kedge')
    assertFastPath(byDefault, './.kedge')
    assert.equal(byDefault.fast.stdout, 'No repositories registered. Add one with "kedge repo add <url>".\n')
  })

  it('refuses, as oclif does, to read a home that does not exist, and creates none', async () => {
    const missing = path.join(tempDir(), 'home')
    for (const args of [['status', '--json'], ['repo', 'list'], ['history', 'ghost']]) {
      const runs = await bothWays(args, {home: missing})
      assertSameOutput(runs, `${args.join(' ')} without a home`)
      assertFastPath(runs, `${args.join(' ')} without a home`)
      assert.equal(runs.fast.code, 2)
    }
    const text = await run(['repo', 'list'], {home: missing})
    assert.equal(text.stderr, `Error: no kedge home at "${missing}"\nHint: register a repository with "kedge repo add <url>" to create one, or name an existing home with --home or KEDGE_HOME\n`)
    assert.equal(existsSync(missing), false)
  })

  it('gives oclif\'s result for any arguments, or leaves them to oclif', async () => {
    const name = deployed.name
    // Which way each goes is asserted too: the forms oclif reads as the fast path does must stay fast.
    const cases: Array<{args: string[]; via: 'fast path' | 'oclif'}> = [
      // help: --help (and -h) wherever it stands before "--"
      {args: ['status', '--help'], via: 'oclif'},
      {args: ['status', '-h'], via: 'oclif'},
      {args: ['repo', 'list', '--json', '--help'], via: 'oclif'},
      {args: ['history', '--help', '--repo', name], via: 'oclif'},
      {args: ['history', '--repo', name, '--', '--help'], via: 'fast path'},
      {args: ['status', '--version'], via: 'oclif'},
      // unknown flags and forms the fast path does not read
      {args: ['status', '--frobnicate'], via: 'oclif'},
      {args: ['status', '-x'], via: 'oclif'},
      {args: ['status', '--no-json'], via: 'oclif'},
      {args: ['status', '--json=true'], via: 'oclif'},
      {args: ['status', '--json', '--json'], via: 'oclif'},
      {args: ['history', '-r', name], via: 'oclif'},
      // positional arguments: the repository, as status and history take it (repo list takes none)
      {args: ['status', name], via: 'fast path'},
      {args: ['history', name, '--limit', '2'], via: 'fast path'},
      {args: ['repo', 'list', 'extra', '--json'], via: 'oclif'},
      {args: ['status', '--repo', name, 'extra'], via: 'fast path'},
      {args: ['status', '--repo', name, name], via: 'fast path'},
      {args: ['status', name, 'extra'], via: 'oclif'},
      {args: ['status', '--json', '--', name], via: 'fast path'},
      {args: ['status', '-'], via: 'fast path'},
      {args: ['history', '--repo', name, 'a=b'], via: 'fast path'},
      // --json, and "--" ending the flags
      {args: ['status', '--json'], via: 'fast path'},
      {args: ['status', '--json', '--'], via: 'fast path'},
      {args: ['status', '--', '--json'], via: 'fast path'},
      {args: ['repo', 'list', '--'], via: 'fast path'},
      // values: --flag=value, --flag value, and values oclif reads otherwise or refuses
      {args: ['history', `--repo=${name}`, '--limit=2'], via: 'fast path'},
      {args: ['history', '--limit', '2', `--repo=${name}`, '--json'], via: 'fast path'},
      {args: ['history', `--repo=${name}=x`], via: 'fast path'},
      {args: ['status', '--repo', name, '--json', '--home', deployed.home], via: 'fast path'},
      {args: ['history', '--repo', '-'], via: 'oclif'},
      {args: ['history', '--repo', '--json'], via: 'oclif'},
      {args: ['history', '--repo=--json'], via: 'oclif'},
      {args: ['history', '--repo', name, '--limit', '-1'], via: 'oclif'},
      {args: ['history', '--repo', name, '--limit', '1e3'], via: 'oclif'},
      {args: ['history', '--repo', name, '--limit', '100001', '--json'], via: 'oclif'},
      {args: ['history', '--limit', '3'], via: 'fast path'},
      {args: ['history'], via: 'fast path'},
    ]
    for (const {args, via} of cases) {
      const runs = await bothWays(args, {home: deployed.home})
      assertSameOutput(runs, args.join(' '))
      assert.equal(runs.fast.packages.includes('@oclif/core') ? 'oclif' : 'fast path', via, `${args.join(' ')}: the way it went`)
    }
  })

  it('leaves help, --debug, refused flags and what oclif reads from the environment to oclif', async () => {
    const themed = tempDir()
    mkdirSync(path.join(themed, 'kedge'))
    writeFileSync(path.join(themed, 'kedge', 'theme.json'), JSON.stringify({json: {key: 'cyan'}}))
    const cases: Array<{args: string[]; env?: NodeJS.ProcessEnv; normalise?: (text: string) => string}> = [
      {args: ['status', '--help']},
      {args: ['history', '--repo', deployed.name, '-h']},
      {args: ['repo:list']},
      {args: ['repo', 'list', '--frobnicate']},
      {args: ['repo', 'list', 'extra']},
      {args: ['history', '--repo']},
      {args: ['history', '--repo=']},
      {args: ['history', '--repo', deployed.name, '--limit', '0']},
      {args: ['history', '--repo', deployed.name, '--limit', 'ten', '--json']},
      {args: ['history', '--repo', deployed.name, '--repo', neverDeployed.name]},
      {args: ['repo', 'list', '--json', '--json']},
      {args: ['repo', 'list', '--json=yes']},
      {args: ['history', '--repo', 'ghost', '--debug'], normalise: withoutFrames},
      {args: ['history', '--repo', 'ghost'], env: {KEDGE_DEBUG: '1'}, normalise: withoutFrames},
      {args: ['repo', 'list'], env: {KEDGE_CONTENT_TYPE: 'json'}},
      {args: ['repo', 'list', '--json'], env: {XDG_CONFIG_HOME: themed}},
    ]
    for (const {args, env, normalise} of cases) {
      const what = `${Object.entries(env ?? {}).map(([name, value]) => `${name}=${value} `).join('')}${args.join(' ')}`
      const runs = await bothWays(args, {home: deployed.home, env})
      assertSameOutput(runs, what, normalise)
      assertOclif(runs, what)
    }
    const debug = await run(['history', '--repo', 'ghost', '--debug'], {home: deployed.home})
    assert.match(debug.stderr, /^Error: no repository named "ghost"\n[^]*NotFoundError[^]*\n\s+at /)
    const refused = await run(['history', '--repo', deployed.name, '--limit', '0'], {home: deployed.home})
    assert.equal(refused.code, 2)
    assert.equal(refused.stderr, 'Error: invalid --limit: expected an integer greater than or equal to 1 but received: 0\nHint: see --help\n')
  })
})
