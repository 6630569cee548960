import assert from 'node:assert/strict'
import {spawnSync, type SpawnSyncReturns} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import {kedgeContainers, removeComposeProject} from '../helpers/docker.js'
import {GitRemote, SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'

/**
 * kedge as a user gets it: `npm pack` of a fresh checkout (prepack builds it), the tarball installed
 * globally into a prefix of its own, and the installed `kedge` run from there. One install serves every
 * test below. better-sqlite3's install script takes a prebuilt library, as it downloads one for a user;
 * with no download host reachable here, the archive it would download is made from the checkout's own
 * build (see localPrebuild), rather than leaving it to compile SQLite again (minutes of both cores, which
 * the tests beside this one would wait through).
 */

const CHECKOUT = fileURLToPath(new URL('../..', import.meta.url))
const INSTALL_TIMEOUT_MS = 12 * 60_000

interface Installed {
  tarballFiles: string[]
  /** The installed kedge's bin (a link into the package, as npm makes it). */
  kedge: string
  /** Where npm installed the package, whose node_modules holds better-sqlite3. */
  packageDirectory: string
  packSeconds: number
  installSeconds: number
}

/** npm without the settings of the npm that may run this test (npm test): the install is a user's. */
function npmEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== 'INIT_CWD'))
}

function run(command: string, args: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, {cwd: options.cwd, env: options.env ?? npmEnvironment(), encoding: 'utf8', timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024})
  assert.equal(result.status, 0, `${command} ${args.join(' ')} exited ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`)
  return result
}

/**
 * The checkout's files as a fresh clone (plus files not committed yet, that are not ignored), in a temp
 * directory: prepack rebuilds dist/, which the other tests run from. The build tools are the checkout's
 * node_modules, linked.
 */
function freshCopy(copy: string): void {
  const listed = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {cwd: CHECKOUT}).stdout.split('\0').filter(Boolean)
  for (const file of listed) {
    const source = path.join(CHECKOUT, file)
    // A tracked file deleted in the working tree is listed too.
    if (!existsSync(source)) continue
    mkdirSync(path.dirname(path.join(copy, file)), {recursive: true})
    copyFileSync(source, path.join(copy, file))
  }
  symlinkSync(path.join(CHECKOUT, 'node_modules'), path.join(copy, 'node_modules'))
}

/** Packs a fresh copy of the checkout and installs the tarball, in directories under `work`. */
function packAndInstall(work: string): Installed {
  const copy = path.join(work, 'kedge')
  const out = path.join(work, 'tarball')
  const prefix = path.join(work, 'prefix')
  freshCopy(copy)
  mkdirSync(out)
  let started = performance.now()
  run('npm', ['pack', '--pack-destination', out], {cwd: copy, timeoutMs: 300_000})
  const packSeconds = (performance.now() - started) / 1000
  const [tarball, ...others] = readdirSync(out).filter((file) => file.endsWith('.tgz'))
  assert.ok(tarball && others.length === 0, `npm pack made ${readdirSync(out).join(', ')}`)
  const tarballFiles = run('tar', ['-tzf', path.join(out, tarball)]).stdout.split('\n').filter(Boolean).map((file) => file.replace(/^package\//, ''))

  // --prefer-offline: npm's cache serves what it holds. --allow-scripts: better-sqlite3 fetches (or builds)
  // its native library at install, which npm 12 allows only when asked to (docs/install.md).
  const env = {...npmEnvironment(), npm_config_better_sqlite3_local_prebuilds: localPrebuild(work)}
  started = performance.now()
  run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--allow-scripts=better-sqlite3', path.join(out, tarball)], {env, timeoutMs: INSTALL_TIMEOUT_MS})
  const installSeconds = (performance.now() - started) / 1000
  // A compile leaves its objects beside the library: the archive was not taken, and the install took minutes.
  const built = path.join(prefix, 'lib/node_modules/kedge/node_modules/better-sqlite3/build')
  assert.ok(!existsSync(path.join(built, 'Release/obj.target')), `better-sqlite3 was compiled rather than unpacked from ${path.join(work, 'prebuilds')}`)
  return {tarballFiles, kedge: path.join(prefix, 'bin', 'kedge'), packageDirectory: path.join(prefix, 'lib', 'node_modules', 'kedge'), packSeconds, installSeconds}
}

/**
 * A directory holding the archive better-sqlite3's install script (prebuild-install) would download for
 * this Node.js and machine, named as it names it, made from the checkout's own build of the library:
 * prebuild-install looks in the directory npm_config_better_sqlite3_local_prebuilds names before it
 * downloads, and unpacks the archive as it would a downloaded one.
 */
function localPrebuild(work: string): string {
  const library = path.join(CHECKOUT, 'node_modules/better-sqlite3')
  const {version} = JSON.parse(readFileSync(path.join(library, 'package.json'), 'utf8')) as {version: string}
  const directory = path.join(work, 'prebuilds')
  mkdirSync(directory)
  const archive = path.join(directory, `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`)
  run('tar', ['-czf', archive, '-C', library, 'build/Release/better_sqlite3.node'])
  return directory
}

/** Runs the installed kedge itself (its shebang, its link), with a home of the test's own. */
function kedge(installed: Installed, home: string, ...args: string[]): {code: number | null; stdout: string; stderr: string} {
  const env: NodeJS.ProcessEnv = {...npmEnvironment(), KEDGE_HOME: home, FORCE_COLOR: '0'}
  delete env.KEDGE_DEBUG
  const result = spawnSync(installed.kedge, args, {env, encoding: 'utf8', timeout: 120_000})
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

describe('the npm package, installed globally from its tarball', {timeout: INSTALL_TIMEOUT_MS + 5 * 60_000}, () => {
  let installed: Installed
  // Made here, not in before(): what a hook registers with after() would be removed when the hook ends.
  const work = tempDir('kedge-package-')
  const home = path.join(work, 'home')
  const name = uniqueName('kpkg')
  after(() => removeComposeProject(name))

  before(() => {
    installed = packAndInstall(work)
  })

  it('holds what runs and nothing of development', (t) => {
    t.diagnostic(`npm pack (with prepack's build): ${installed.packSeconds.toFixed(0)} s; npm install -g: ${installed.installSeconds.toFixed(0)} s`)
    const files = installed.tarballFiles
    for (const needed of ['package.json', 'LICENSE', 'README.md', 'npm-shrinkwrap.json', 'bin/run.cjs', 'oclif.manifest.json', 'dist/fast-path/index.cjs', 'drizzle/meta/_journal.json', 'contrib/systemd/kedge.service', 'dist/dashboard/index.html']) {
      assert.ok(files.includes(needed), `the tarball lacks ${needed}`)
    }
    assert.ok(files.some((file) => /^dist\/drivers\/cli\/commands\/.+\.js$/.test(file)), 'the tarball lacks the commands')
    assert.ok(files.some((file) => /^drizzle\/\d{4}_\w+\.sql$/.test(file)), 'the tarball lacks the migrations')
    const development = files.filter((file) => file === 'bin/dev.js' || file.endsWith('.map') || file.endsWith('.ts') || /^(src|test|bench|scripts|docs|examples|contrib\/grafana)\//.test(file) || file === 'package-lock.json')
    assert.deepEqual(development, [])
  })

  it('runs kedge --version, registers a repository and deploys its stack', () => {
    const version = kedge(installed, home, '--version')
    assert.equal(version.code, 0, version.stderr)
    assert.match(version.stdout, /^kedge\/\d+\.\d+\.\d+ \S+ node-v\d+/)

    const remote = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE})
    const added = kedge(installed, home, 'repo', 'add', remote.fileUrl, '--name', name)
    assert.equal(added.code, 0, added.stderr)
    const synced = kedge(installed, home, 'sync', '--repo', name, '--json')
    assert.equal(synced.code, 0, synced.stdout + synced.stderr)
    assert.equal((JSON.parse(synced.stdout) as {deployment: {status: string}}).deployment.status, 'success')
    assert.deepEqual(kedgeContainers(name).map((container) => [container.service, container.state, container.commit]), [['web', 'running', remote.head()]])

    // The read commands' fast path finds the installed better-sqlite3 too.
    const listed = kedge(installed, home, 'repo', 'list')
    assert.equal(listed.code, 0, listed.stderr)
    assert.match(listed.stdout, new RegExp(`^${name}\\s`, 'm'))
  })

  it('says in one line that the SQLite library cannot load, and how to rebuild it', () => {
    const library = path.join(installed.packageDirectory, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')
    assert.ok(existsSync(library), `npm installed no ${library}`)
    const hint = `Hint: rebuild it for this Node.js: cd ${installed.packageDirectory} && npm rebuild better-sqlite3\n`
    const broken: Array<[string, () => void, string]> = [
      ['not a library', () => writeFileSync(library, Buffer.alloc(4096, 0x41)), 'cannot be loaded: invalid ELF header'],
      ['deleted', () => rmSync(library), 'is missing'],
    ]
    for (const [how, breakIt, cause] of broken) {
      breakIt()
      // repo list takes the fast path, sync oclif's: both open the store.
      for (const args of [['repo', 'list'], ['sync', '--repo', name]]) {
        const result = kedge(installed, home, ...args)
        assert.equal(result.code, 1, `${how}, kedge ${args.join(' ')}: ${result.stderr}`)
        assert.equal(result.stderr, `Error: kedge cannot load SQLite: better-sqlite3's native library ${library} ${cause}\n${hint}`, `${how}, kedge ${args.join(' ')}`)
      }
    }
    const json = kedge(installed, home, 'status', '--json')
    assert.equal(json.code, 1)
    assert.equal((JSON.parse(json.stdout) as {error: {code: string}}).error.code, 'sqlite_unavailable')
  })
})
