import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'

import {runKedge} from '../helpers/cli.js'
import {git, GitRemote, SIMPLE_COMPOSE, type FileChanges} from '../helpers/git-remote.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'

/**
 * Commits pushed by someone with push access that point kedge at files it must not read: links to a
 * device or to host files, files too large to parse in time. Each is refused with one line naming the
 * file; nothing of a host file appears in a message or the database; serve keeps answering throughout.
 */

const execFileAsync = promisify(execFile)
const ONE_LINE_ERROR = /^Error: [^\n]+\n(Hint: [^\n]+\n)?$/

/** Writes the symbolic links (path in the repository → target) and the files, commits and pushes. */
function commitLinks(remote: GitRemote, links: Record<string, string>, files: FileChanges = {}): string {
  for (const [link, target] of Object.entries(links)) {
    const at = path.join(remote.workDir, link)
    mkdirSync(path.dirname(at), {recursive: true})
    symlinkSync(target, at)
  }
  return remote.commit(files, 'links')
}

/** A commit on `branch`, from the watched branch's head, with the links and files; the working clone goes back to the watched branch. */
function commitOnBranch(remote: GitRemote, branch: string, links: Record<string, string>, files: Record<string, string> = {}): string {
  git(remote.workDir, 'checkout', '--quiet', '-B', branch, remote.branch)
  try {
    for (const [link, target] of Object.entries(links)) symlinkSync(target, path.join(remote.workDir, link))
    for (const [file, content] of Object.entries(files)) writeFileSync(path.join(remote.workDir, file), content)
    git(remote.workDir, 'add', '--all')
    git(remote.workDir, '-c', 'user.name=kedge-test', '-c', 'user.email=test@kedge.invalid', '-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', branch)
    git(remote.workDir, 'push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${branch}`)
    return git(remote.workDir, 'rev-parse', 'HEAD').trim()
  } finally {
    git(remote.workDir, 'checkout', '--quiet', '--force', remote.branch)
  }
}

/** A directory outside any repository holding a valid compose file and kedge.yaml that both carry `secret`. */
function hostFiles(secret: string): string {
  const dir = tempDir('kedge-host-')
  writeFileSync(path.join(dir, 'docker-compose.yaml'), `services:\n  web:\n    image: kedge-test/busybox:1\n    labels:\n      marker: ${secret}\n`)
  writeFileSync(path.join(dir, 'kedge.yaml'), `reconciliation:\n  interval: ${secret}\n`)
  return dir
}

/** The database files of a home (not the clones, whose links lead to the host files). */
function databaseHolds(home: string, needle: string): boolean {
  return readdirSync(home)
    .filter((file) => file.startsWith('kedge.db'))
    .some((file) => readFileSync(path.join(home, file)).includes(needle))
}

function assertOneLine(result: {code: number | null; stdout: string; stderr: string}, message: RegExp, secret?: string): void {
  assert.notEqual(result.code, 0, result.stdout)
  assert.match(result.stderr, ONE_LINE_ERROR)
  assert.match(result.stderr.split('\n')[0]!, message)
  if (secret) assert.ok(!result.stderr.includes(secret) && !result.stdout.includes(secret), 'a host file was echoed')
}

describe('hostile files in a commit', {timeout: 240_000}, () => {
  it('kedge.yaml linked to /dev/zero: repo add refuses it at once with one line', async () => {
    const remote = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE})
    commitLinks(remote, {'kedge.yaml': '/dev/zero'})
    const started = Date.now()
    const result = await runKedge(['repo', 'add', remote.fileUrl], {home: tempDir(), timeoutMs: 20_000})
    assert.equal(result.code, 2, result.stderr)
    assertOneLine(result, /^Error: kedge\.yaml: leads outside the repository$/)
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`)
  })

  it('a compose file, an extra compose file, kedge.yaml or --path linked to host files: refused, their content nowhere', async () => {
    const secret = `host-secret-${randomBytes(6).toString('hex')}`
    const host = hostFiles(secret)
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE})
    const sync = () => runKedge(['sync', '--repo', stack.name], {home: stack.home})

    commitLinks(stack.remote, {'extra.yaml': path.join(host, 'docker-compose.yaml')}, {'kedge.yaml': 'docker:\n  compose_file: [docker-compose.yaml, extra.yaml]\n'})
    assertOneLine(await sync(), /kedge\.yaml: docker\.compose_file: "extra\.yaml" leads outside the repository$/, secret)

    stack.remote.commit({'kedge.yaml': null, 'extra.yaml': null, 'docker-compose.yaml': null})
    commitLinks(stack.remote, {'docker-compose.yaml': '../../../../../../../../..' + path.join(host, 'docker-compose.yaml')})
    assertOneLine(await sync(), /docker-compose\.yaml: leads outside the repository$/, secret)

    stack.remote.commit({'docker-compose.yaml': SIMPLE_COMPOSE})
    commitLinks(stack.remote, {'kedge.yaml': path.join(host, 'kedge.yaml')})
    assertOneLine(await sync(), /kedge\.yaml: leads outside the repository$/, secret)

    commitLinks(stack.remote, {web: host}, {'kedge.yaml': null})
    assertOneLine(await runKedge(['repo', 'add', stack.remote.fileUrl, '--name', `${stack.name}-b`, '--path', 'web'], {home: stack.home}), /^Error: path "web" leads outside the repository$/, secret)

    assert.equal(databaseHolds(stack.home, secret), false, 'a host file reached the database')
  })

  it('serve keeps running and answering /health, each answer under a second, through pushes of kedge.yaml linked to /dev/zero and of 700 KB', async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {args: ['--interval', '1s']})
    // The commits are made before serve runs: git run synchronously would stall this process's own /health probe.
    const keys = Array.from({length: 60_000}, (_, n) => `k${n}: 1`).join('\n')
    const zero = commitOnBranch(stack.remote, 'zero', {'kedge.yaml': '/dev/zero'})
    // 60,000 keys: the parse took minutes, blocking the event loop, and was done again on every pass.
    const large = commitOnBranch(stack.remote, 'large', {}, {'kedge.yaml': `${keys.slice(0, 700 * 1024)}\n`})
    // Under the size limit, 200 KB of keys is refused by the token bound, not parsed.
    const tokens = commitOnBranch(stack.remote, 'tokens', {}, {'kedge.yaml': `${keys.slice(0, 200 * 1024)}\n`})

    const serve = new ServeProcess(stack.home)
    const base = String((await serve.waitForLog((line) => line.event === 'http.listening', 30_000)).address)
    await serve.waitForLog((line) => line.event === 'deploy.succeeded' && line.repo === stack.name)
    let slowest = 0
    let failures = 0
    let polling = true
    const health = (async () => {
      while (polling) {
        const started = Date.now()
        // A probe that times out counts as answered after its timeout.
        const status = await fetch(`${base}/health`, {signal: AbortSignal.timeout(5_000)}).then(
          async (response) => (await response.text(), response.status),
          () => 0,
        )
        if (status !== 200) failures++
        slowest = Math.max(slowest, Date.now() - started)
        await sleep(100)
      }
    })()
    const refusal = async (commit: string) => {
      await execFileAsync('git', ['push', '--quiet', '--force', 'origin', `${commit}:refs/heads/${stack.remote.branch}`], {cwd: stack.remote.workDir})
      const line = await serve.waitForLog((line) => line.event === 'deploy.failed' && line.repo === stack.name && commit.startsWith(String(line.commit)), 60_000)
      return String(line.error)
    }
    try {
      assert.match(await refusal(zero), /^kedge\.yaml: leads outside the repository$/)
      assert.match(await refusal(large), /^kedge\.yaml: is larger than 256 KiB, the most kedge reads$/)
      assert.match(await refusal(tokens), /^kedge\.yaml: too large to parse: more than \d+ YAML tokens$/)
      // A few more passes over the same invalid commit.
      await sleep(2_500)
    } finally {
      polling = false
      await health
    }
    assert.ok(slowest < 1_000, `/health took ${slowest} ms`)
    assert.equal(failures, 0, '/health did not answer 200')
    assert.equal(await serve.stop(), 0, serve.stderr)
  })
})
