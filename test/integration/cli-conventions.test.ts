import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {chmodSync, chownSync, existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {before, describe, it} from 'node:test'

import {KEDGE_BIN, runKedge, runKedgeJson, type CliResult} from '../helpers/cli.js'
import {kedgeContainers} from '../helpers/docker.js'
import {registeredStack, type TestStack} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'

const ESCAPE = '\u001b['
const COMPOSE = 'services:\n  web:\n    image: kedge-test/busybox:1\n'
const NOBODY = 65534

/** Runs kedge with its output on a terminal (util-linux's `script` gives it a pseudo-terminal): stdout and stderr arrive together. */
function onTerminal(args: string[], options: {home?: string; env?: NodeJS.ProcessEnv; cwd?: string; stderrTo?: string} = {}): Promise<CliResult> {
  const command = [process.execPath, KEDGE_BIN, ...args].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(' ')
  return spawned('script', ['-qefc', options.stderrTo ? `${command} 2>'${options.stderrTo}'` : command, '/dev/null'], options)
}

/** Runs kedge with its output on pipes and no colour setting of the test runner's (runKedge sets FORCE_COLOR=0). */
function piped(args: string[], options: {home?: string; env?: NodeJS.ProcessEnv; cwd?: string} = {}): Promise<CliResult> {
  return spawned(process.execPath, [KEDGE_BIN, ...args], options)
}

function spawned(file: string, args: string[], options: {home?: string; env?: NodeJS.ProcessEnv; cwd?: string}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {...process.env, ...options.env}
  for (const name of ['FORCE_COLOR', 'NO_COLOR', 'KEDGE_HOME', 'KEDGE_DEBUG']) if (!(options.env && name in options.env)) delete env[name]
  // A terminal's colour also depends on TERM and on CI markers (chalk gives none to TERM=dumb, an unset TERM or
  // an unknown CI): the tests set a colour terminal outside any CI, whatever the runner has.
  env.TERM = options.env?.TERM ?? 'xterm-256color'
  for (const name of ['CI', 'COLORTERM', 'TF_BUILD', 'TEAMCITY_VERSION']) if (!(options.env && name in options.env)) delete env[name]
  if (options.home) env.KEDGE_HOME = options.home
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
}

describe('the CLI conventions', () => {
  // Registered as the file is read, not in before(): what registeredStack removes at the end (its home,
  // its remote) is then removed when the file ends, not when the hook does.
  const registering = registeredStack({'docker-compose.yaml': COMPOSE, 'kedge.yaml': 'reconciliation:\n  mode: manual\n'})
  let stack: TestStack
  let first: string

  before(async () => {
    stack = await registering
    first = stack.remote.head()
    const synced = await runKedge(['sync', stack.name], {home: stack.home})
    assert.equal(synced.code, 0, synced.stderr)
  })

  it('colours on a terminal only, and never under NO_COLOR or --no-color', async () => {
    const coloured = await onTerminal(['history', stack.name], {home: stack.home})
    assert.equal(coloured.code, 0, coloured.stdout)
    assert.ok(coloured.stdout.includes(ESCAPE), 'a terminal gets colour')
    for (const [what, run] of [
      ['NO_COLOR=1', onTerminal(['history', stack.name], {home: stack.home, env: {NO_COLOR: '1'}})],
      ['--no-color', onTerminal(['history', stack.name, '--no-color'], {home: stack.home})],
      ['--no-color before the command', onTerminal(['--no-color', 'history', stack.name], {home: stack.home})],
      ['an error under NO_COLOR', onTerminal(['history', 'ghost'], {home: stack.home, env: {NO_COLOR: '1'}})],
      ['help under NO_COLOR', onTerminal(['sync', '--help'], {env: {NO_COLOR: '1'}})],
      ['a pipe', piped(['history', stack.name], {home: stack.home})],
    ] as const) {
      const result = await run
      assert.ok(result.stdout.length > 0 || result.stderr.length > 0, what)
      assert.ok(!`${result.stdout}${result.stderr}`.includes(ESCAPE), `${what}: no escape codes`)
    }
    assert.ok((await onTerminal(['history', 'ghost'], {home: stack.home})).stdout.includes(`${ESCAPE}`), 'an error on a terminal is coloured')
    // stderr is a file while stdout is the terminal: the error written to the file has no colour.
    const errors = path.join(tempDir(), 'stderr.txt')
    assert.equal((await onTerminal(['history', 'ghost'], {home: stack.home, stderrTo: errors})).code, 2)
    assert.equal(readFileSync(errors, 'utf8'), 'Error: no repository named "ghost"\nHint: run "kedge repo list" to see the registered repositories\n')
  })

  it('answers -h and --help, -v, --version and kedge version', async () => {
    for (const args of [['-h'], ['--help'], ['sync', '-h'], ['repo', 'add', '-h'], ['history', '--help']]) {
      const help = await runKedge(args)
      assert.equal(help.code, 0, `${args.join(' ')}: ${help.stderr}`)
      assert.match(help.stdout, /USAGE\n\s+\$ kedge/, args.join(' '))
    }
    const short = await runKedge(['-v'])
    const long = await runKedge(['--version'])
    assert.equal(short.code, 0)
    assert.equal(short.stdout, long.stdout)
    assert.match(short.stdout, /^kedge\/\d+\.\d+\.\d+ /)
    const built = JSON.parse(readFileSync(path.join(path.dirname(KEDGE_BIN), '..', 'dist', 'build-info.json'), 'utf8')) as {version: string; commit: string | null}
    assert.match(built.commit ?? '', /^[0-9a-f]{40}(-dirty)?$/, 'the build recorded the commit of this clone')
    const version = await runKedgeJson<{version: string; commit: string | null; node: string}>(['version'])
    assert.equal(version.code, 0)
    assert.deepEqual([version.json.version, version.json.commit, version.json.node], [built.version, built.commit, process.version])
    assert.equal((await runKedge(['version'])).stdout, `kedge ${built.version} (commit ${built.commit}, node ${process.version}, ${process.platform}-${process.arch})\n`)
  })

  it('suggests the command meant, for a typo, and only then', async () => {
    const cases: Array<[string[], string]> = [
      [['statu'], 'Error: unknown command "statu"\nHint: did you mean "kedge status"?\n'],
      [['repo', 'lsit'], 'Error: unknown command "repo lsit"\nHint: did you mean "kedge repo list"?\n'],
      [['rollbak'], 'Error: unknown command "rollbak"\nHint: did you mean "kedge rollback"?\n'],
      [['deploy-everything'], 'Error: unknown command "deploy-everything"\nHint: run "kedge --help" to see the commands\n'],
    ]
    for (const [args, stderr] of cases) {
      const result = await runKedge(args)
      assert.equal(result.code, 2, args.join(' '))
      assert.equal(result.stderr, stderr)
    }
  })

  it('completes commands and flags in bash and zsh', async () => {
    const cache = tempDir()
    const env = {XDG_CACHE_HOME: cache}
    const instructions = await runKedge(['autocomplete', 'bash'], {env})
    assert.equal(instructions.code, 0, instructions.stderr)
    assert.match(instructions.stdout, /kedge autocomplete script bash/)
    const script = await runKedge(['autocomplete', 'script', 'bash'], {env})
    assert.equal(script.code, 0, script.stderr)
    assert.match(script.stdout, /KEDGE_AC_BASH_SETUP_PATH=/)
    for (const shell of ['bash', 'zsh']) {
      const refreshed = await runKedge(['autocomplete', shell, '--refresh-cache'], {env})
      assert.equal(refreshed.code, 0, refreshed.stderr)
    }
    const bash = readFileSync(path.join(cache, 'kedge', 'autocomplete', 'functions', 'bash', 'kedge.bash'), 'utf8')
    for (const word of ['status', 'repo:add', 'rollback', 'version', '--repo', '--allow-unreachable']) assert.ok(bash.includes(word), `bash completes ${word}`)
    const zsh = readFileSync(path.join(cache, 'kedge', 'autocomplete', 'functions', 'zsh', '_kedge'), 'utf8')
    assert.match(zsh, /sync/)
  })

  it('takes the repository as the argument or as --repo, and refuses two different ones', async () => {
    for (const [byArgument, byFlag] of [
      [['history', stack.name], ['history', '--repo', stack.name]],
      [['status', stack.name], ['status', '--repo', stack.name]],
      [['diff', stack.name], ['diff', '--repo', stack.name]],
    ]) {
      const one = await runKedgeJson(byArgument!, {home: stack.home})
      const other = await runKedgeJson(byFlag!, {home: stack.home})
      assert.equal(one.code, 0, one.stderr)
      assert.deepEqual(withoutTimes(one.json), withoutTimes(other.json), byArgument!.join(' '))
    }
    const twice = await runKedgeJson<{error: {code: string; message: string}}>(['history', stack.name, '--repo', 'other'], {home: stack.home})
    assert.equal(twice.code, 2)
    assert.deepEqual([twice.json.error.code, twice.json.error.message], ['invalid_usage', `two different repositories given: "${stack.name}" and --repo "other"`])
    assert.equal((await runKedge(['status', stack.name.toUpperCase(), '--repo', stack.name], {home: stack.home})).code, 0, 'names match without regard to case')
    const none = await runKedge(['sync'], {home: stack.home})
    assert.equal(none.code, 2)
    assert.equal(none.stderr, 'Error: no repository given\nHint: kedge sync <repository>[/<stack>], or --repo NAME\n')
    // A name piped to standard input is no argument: nothing is suspended.
    const piped = await runKedge(['suspend'], {home: stack.home, input: `${stack.name}\n`})
    assert.equal(piped.code, 2)
    assert.equal(piped.stderr, 'Error: no repository given\nHint: kedge suspend <repository>[/<stack>], or --repo NAME\n')
    const commitless = await runKedge(['rollback', stack.name], {home: stack.home})
    assert.equal(commitless.code, 2)
    assert.equal(commitless.stderr, 'Error: Missing 1 required arg: commit\nHint: kedge rollback <repository> <commit>\n')
  })

  it('shows its steps on a terminal, nothing extra on a pipe or under --json, and Compose\'s output with --verbose', async () => {
    const second = stack.remote.commit({'docker-compose.yaml': COMPOSE.replace('busybox:1', 'busybox:2')})
    const watched = await onTerminal(['sync', stack.name], {home: stack.home})
    assert.equal(watched.code, 0, watched.stdout)
    const steps = watched.stdout.split(/\r?\n/).filter((line) => line.endsWith('…'))
    assert.deepEqual(
      steps.map((line) => line.replace(/^.*\[\s*\d+\.\ds\]\S* /, '')),
      [
        `${stack.name}: fetching main from ${stack.remote.fileUrl}…`,
        `${stack.name}: validating ${second.slice(0, 7)}: kedge.yaml and the compose files…`,
        `${stack.name}: recreating web…`,
        `${stack.name}: waiting for every service to run, and to be healthy where it has a health check…`,
      ],
    )
    assert.match(watched.stdout, new RegExp(`Deployed ${stack.name}|${second.slice(0, 7)}`))

    const back = await onTerminal(['rollback', stack.name, first.slice(0, 7)], {home: stack.home})
    assert.equal(back.code, 0, back.stdout)
    assert.match(back.stdout, new RegExp(`${stack.name}: restoring ${first.slice(0, 7)} from what kedge kept of it…`))
    const json = await onTerminal(['sync', stack.name, '--json'], {home: stack.home})
    assert.equal(json.code, 0, json.stdout)
    assert.ok(!json.stdout.includes('…\r\n'), 'no steps under --json')
    assert.ok(JSON.parse(json.stdout.replaceAll('\r\n', '\n')), 'the output is the JSON alone')

    stack.remote.commit({'docker-compose.yaml': COMPOSE})
    const quiet = await runKedge(['sync', stack.name], {home: stack.home})
    assert.equal(quiet.code, 0, quiet.stderr)
    assert.equal(quiet.stderr, '', 'nothing on a pipe')
    stack.remote.commit({'docker-compose.yaml': COMPOSE.replace('busybox:1', 'busybox:2')})
    const verbose = await runKedge(['sync', stack.name, '--verbose'], {home: stack.home})
    assert.equal(verbose.code, 0, verbose.stderr)
    assert.match(verbose.stderr, /^ {2}compose: .*(Recreat|Start|Creat)/m)
    assert.equal(kedgeContainers(stack.name).length, 1)

    const added = await onTerminal(['repo', 'add', stack.remote.fileUrl, '--name', `${stack.name}-b`], {home: stack.home})
    assert.equal(added.code, 0, added.stdout)
    assert.match(added.stdout, /asking .* for its branches…\r?\n.*cloning main…\r?\n.*validating kedge\.yaml and the compose files…/)
    assert.equal((await runKedge(['repo', 'remove', '--repo', `${stack.name}-b`], {home: stack.home})).code, 0)
  })

  it('sets the branch and the interval with repo set, as the API does', async () => {
    const set = await runKedgeJson<{interval: string | null; branch: string}>(['repo', 'set', stack.name, '--interval', '5m'], {home: stack.home})
    assert.equal(set.code, 0, set.stderr)
    assert.equal(set.json.interval, '5m')
    const unset = await runKedgeJson<{interval: string | null}>(['repo', 'set', '--repo', stack.name, '--interval', 'default'], {home: stack.home})
    assert.equal(unset.json.interval, null)
    const refused = await runKedgeJson<{error: {code: string; message: string}}>(['repo', 'set', stack.name, '--branch', 'release', '--interval', '1m'], {home: stack.home})
    assert.equal(refused.code, 2)
    assert.equal(refused.json.error.code, 'unknown_branch')
    assert.equal((await runKedgeJson<Array<{interval: string | null; branch: string}>>(['repo', 'list'], {home: stack.home})).json.find(Boolean)!.interval, null, 'nothing changed')
    const release = stack.remote.commitOnBranch('release', {'docker-compose.yaml': COMPOSE, 'release.txt': 'yes\n'})
    const moved = await runKedgeJson<{branch: string}>(['repo', 'set', stack.name, '--branch', 'release'], {home: stack.home})
    assert.equal(moved.code, 0, moved.stderr)
    assert.equal(moved.json.branch, 'release')
    // What was known of main is not kept as the new branch's: status shows release's head at once.
    const switched = (await runKedgeJson<Array<{branch: string; head: {commit: string} | null; pending: unknown}>>(['status', stack.name], {home: stack.home})).json[0]!
    assert.deepEqual([switched.branch, switched.head?.commit, switched.pending], ['release', release, null])
    const synced = await runKedgeJson<{deployment: {commit: string}}>(['sync', stack.name], {home: stack.home})
    assert.equal(synced.json.deployment.commit, release)
  })

  it('reads KEDGE_LOG_FORMAT, KEDGE_LOG_LEVEL and KEDGE_INTERVAL, and refuses bad values of them', async () => {
    const home = tempDir()
    assert.equal((await runKedge(['repo', 'add', 'http://127.0.0.1:9/acme/quiet.git', '--allow-unreachable'], {home})).code, 0)
    const serve = spawn(process.execPath, [KEDGE_BIN, 'serve', '--listen', 'off'], {
      env: {...process.env, KEDGE_HOME: home, KEDGE_LOG_FORMAT: 'json', KEDGE_LOG_LEVEL: 'debug', KEDGE_INTERVAL: '7m'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    serve.stdout.on('data', (chunk) => (out += chunk))
    const lines = await new Promise<Array<Record<string, unknown>>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve logged no poll retry: ${out}`)), 30_000)
      serve.stdout.on('data', () => {
        const parsed = out.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>)
        if (parsed.some((line) => line.event === 'poll.retry')) {
          clearTimeout(timer)
          resolve(parsed)
        }
      })
    })
    serve.kill('SIGTERM')
    assert.equal(lines.find((line) => line.event === 'serve.started')?.interval, '7m')
    assert.ok(lines.some((line) => line.level === 'debug'), 'debug lines at KEDGE_LOG_LEVEL=debug')
    for (const [env, message] of [
      [{KEDGE_INTERVAL: 'often'}, /^Error: invalid interval "often"/],
      [{KEDGE_LOG_LEVEL: 'loud'}, /^Error: Expected --log-level=loud to be one of: debug, info, warn, error/],
      [{KEDGE_LOG_FORMAT: 'xml'}, /^Error: Expected --log-format=xml to be one of/],
    ] as const) {
      const refused = await runKedge(['serve', '--listen', 'off'], {home, env})
      assert.equal(refused.code, 2, JSON.stringify(env))
      assert.match(refused.stderr, message)
    }
  })

  it('keeps its state in the user\'s state directory by default, reads an existing ./.kedge and says so once, and creates no home to read', async () => {
    // As a user other than root: root's default is /var/lib/kedge, which a test must not touch.
    const userHome = tempDir()
    chownSync(userHome, NOBODY, NOBODY)
    const cwd = tempDir()
    chmodSync(cwd, 0o777)
    const asNobody = (args: string[]) => spawned('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, KEDGE_BIN, ...args], {cwd, env: {HOME: userHome, XDG_STATE_HOME: ''}})
    // Input refused by a command that would create the home creates none.
    assert.equal((await asNobody(['repo', 'add', 'not a url'])).code, 2)
    assert.equal((await asNobody(['notify', 'add', 'bogus://x'])).code, 2)
    const none = await asNobody(['repo', 'list'])
    assert.equal(none.code, 2, none.stderr)
    assert.equal(none.stderr, `Error: no kedge home at "${cwd}/.kedge" and "${userHome}/.local/state/kedge"\nHint: register a repository with "kedge repo add <url>" to create one, or name an existing home with --home or KEDGE_HOME\n`)
    assert.equal(existsSync(path.join(userHome, '.local')), false)
    assert.equal(existsSync(path.join(cwd, '.kedge')), false)
    const added = await asNobody(['notify', 'add', 'json://127.0.0.1:9/hook'])
    assert.equal(added.code, 0, added.stderr)
    assert.ok(existsSync(path.join(userHome, '.local', 'state', 'kedge', 'kedge.db')))

    // A ./.kedge from before the default: used, and named once.
    assert.equal((await asNobody(['notify', 'add', 'json://127.0.0.1:9/old', '--home', '.kedge'])).code, 0)
    const firstRead = await asNobody(['notify', 'list'])
    assert.equal(firstRead.code, 0, firstRead.stderr)
    assert.match(firstRead.stdout, /json:\/\/127\.0\.0\.1:9\/old/)
    assert.equal(
      firstRead.stderr,
      `using the kedge home in the working directory, ${cwd}/.kedge: kedge's default home is now ${userHome}/.local/state/kedge. Move it there, or set KEDGE_HOME to keep it where it is (said once)\n`,
    )
    const secondRead = await asNobody(['notify', 'list'])
    assert.equal(secondRead.stderr, '')
    assert.match(secondRead.stdout, /json:\/\/127\.0\.0\.1:9\/old/)
  })
})

/** What changes from one second to the next: a container's "Up 24 seconds", and the times of a check. */
function withoutTimes(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value).replace(/"status":"(Up|Exited) [^"]*"/g, '"status":"<uptime>"').replace(/"(checkedAt|remoteCheckedAt)":"[^"]*"/g, '"$1":""'))
}
