import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {openGitAccess} from '../../src/adapters/git/git-access.js'
import {remoteBranchHead} from '../../src/adapters/git/git.js'
import {readLocalBranch} from '../../src/adapters/git/local-refs.js'
import type {GitAccess, RemoteOptions} from '../../src/ports/git.js'
import {ExternalError} from '../../src/model/errors.js'
import {runKedge} from '../helpers/cli.js'
import {removeComposeProject} from '../helpers/docker.js'
import {GitHttpServer} from '../helpers/git-http-server.js'
import {git, GitRemote, SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {GitSpawnLog} from '../helpers/git-spawn-log.js'
import {freePort} from '../helpers/ports.js'
import {ServeProcess} from '../helpers/serve.js'
import {uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'
import {waitFor} from '../helpers/wait.js'

const FILES = {'docker-compose.yaml': SIMPLE_COMPOSE}
const IDENTITY = ['-c', 'user.name=kedge-test', '-c', 'user.email=test@kedge.invalid', '-c', 'commit.gpgsign=false']

/** Every git process started by the calls below is logged; a host git config of the test's own (none unless a test writes one). */
const spawns = new GitSpawnLog()
const home = tempDir('kedge-ref-home-')

/**
 * remoteBranchHead as serve calls it, with git found through the spawn log and the environment
 * changed for this call only. Returns the head, and the `git ls-remote` runs it took.
 */
async function ask(url: string, branch: string, options: RemoteOptions = {}, env: Record<string, string | undefined> = {}): Promise<{head: string | null; gitRuns: number}> {
  const before = spawns.runsOf('ls-remote').length
  const head = await withEnvironment({PATH: spawns.path, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), ...env}, () => remoteBranchHead(url, branch, options))
  return {head, gitRuns: spawns.runsOf('ls-remote').length - before}
}

/** The error remoteBranchHead failed with, and the `git ls-remote` runs it took. */
async function askFailing(url: string, branch: string, options: RemoteOptions = {}, env: Record<string, string | undefined> = {}): Promise<{error: ExternalError; gitRuns: number}> {
  const before = spawns.runsOf('ls-remote').length
  try {
    const {head} = await ask(url, branch, options, env)
    assert.fail(`expected an error, got ${head}`)
  } catch (error) {
    assert.ok(error instanceof ExternalError, String(error))
    assert.equal(error.message.split('\n').length, 1, error.message)
    return {error, gitRuns: spawns.runsOf('ls-remote').length - before}
  }
}

/** Sets (or, with undefined, unsets) variables for the action only. */
async function withEnvironment<T>(values: Record<string, string | undefined>, action: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]))
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
  apply(values)
  try {
    return await action()
  } finally {
    apply(saved)
  }
}

function tokenAccess(url: string, token: string): GitAccess {
  const access = openGitAccess(url, {kind: 'token', token, username: 'x-access-token', source: '$KEDGE_TEST_TOKEN'})
  after(() => access.close())
  return access
}

async function listen(server: http.Server | https.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  after(() => {
    server.closeAllConnections()
    server.close()
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('ref discovery in a repository on this host', {timeout: 60_000}, () => {
  const remote = GitRemote.create(FILES)
  remote.createBranch('dev')

  it('reads a loose branch of a bare repository, by path and by file:// URL, without git', async () => {
    assert.deepEqual(await ask(remote.bareDir, 'main'), {head: remote.head(), gitRuns: 0})
    assert.deepEqual(await ask(remote.fileUrl, 'dev'), {head: remote.head(), gitRuns: 0})
    const next = remote.commit({'README.md': 'next\n'})
    assert.deepEqual(await ask(remote.bareDir, 'main'), {head: next, gitRuns: 0}, 'a new commit is seen at once')
  })

  it('reads packed refs after git pack-refs --all, and a loose ref that overrides its packed line', async () => {
    git(remote.bareDir, 'pack-refs', '--all')
    assert.ok(readFileSync(path.join(remote.bareDir, 'packed-refs'), 'utf8').includes('refs/heads/main'))
    assert.deepEqual(await ask(remote.bareDir, 'main'), {head: remote.head(), gitRuns: 0})
    const next = remote.commit({'README.md': 'after packing\n'})
    assert.deepEqual(await ask(remote.bareDir, 'main'), {head: next, gitRuns: 0})
  })

  it('answers null for a branch the repository lacks, without git', async () => {
    assert.deepEqual(await ask(remote.bareDir, 'release/1.x'), {head: null, gitRuns: 0})
    assert.deepEqual(await ask(remote.bareDir, 'mai'), {head: null, gitRuns: 0})
  })

  it('reads a work tree, and one whose .git is a gitdir: file', async () => {
    assert.deepEqual(await ask(remote.workDir, 'main'), {head: remote.head(), gitRuns: 0})
    const root = tempDir('kedge-ref-gitfile-')
    const work = path.join(root, 'work')
    git(root, 'init', '--quiet', '--initial-branch=main', '--separate-git-dir', path.join(root, 'separate.git'), work)
    git(work, ...IDENTITY, 'commit', '--quiet', '--allow-empty', '-m', 'one')
    assert.match(readFileSync(path.join(work, '.git'), 'utf8'), /^gitdir: /)
    assert.deepEqual(await ask(work, 'main'), {head: git(work, 'rev-parse', 'HEAD').trim(), gitRuns: 0})
  })

  it('reads a SHA-256 repository\'s 64-hex object ids', async () => {
    const work = path.join(tempDir('kedge-ref-sha256-'), 'work')
    git(path.dirname(work), 'init', '--quiet', '--initial-branch=main', '--object-format=sha256', work)
    git(work, ...IDENTITY, 'commit', '--quiet', '--allow-empty', '-m', 'one')
    const head = git(work, 'rev-parse', 'HEAD').trim()
    assert.equal(head.length, 64)
    assert.deepEqual(await ask(work, 'main'), {head, gitRuns: 0})
  })

  it('gives a repository that does not exist to git, which fails as it always did', async () => {
    const missing = path.join(tempDir(), 'nothing-here.git')
    const {error, gitRuns} = await askFailing(missing, 'main')
    assert.equal(gitRuns, 1)
    assert.equal(error.code, 'git_failed')
    assert.equal(error.message, `git could not reach ${missing}: '${missing}' does not appear to be a git repository`)
  })

  it('gives git what it reads differently: a symbolic ref, a reftable directory, hidden refs', async () => {
    const other = GitRemote.create(FILES)
    git(other.bareDir, 'symbolic-ref', 'refs/heads/alias', 'refs/heads/main')
    assert.deepEqual(await ask(other.bareDir, 'alias'), {head: other.head(), gitRuns: 1})

    mkdirSync(path.join(other.bareDir, 'reftable'))
    assert.deepEqual(await ask(other.bareDir, 'main'), {head: other.head(), gitRuns: 1})

    const hiding = GitRemote.create(FILES)
    git(hiding.bareDir, 'config', 'uploadpack.hideRefs', 'refs/heads/main')
    assert.deepEqual(await ask(hiding.bareDir, 'main'), {head: null, gitRuns: 1}, 'a hidden ref stays hidden')
  })

  it('leaves a FIFO or a directory where a ref file belongs to git, without waiting on it', () => {
    const odd = GitRemote.create(FILES)
    // No loose ref for the branch, so packed-refs is read: a FIFO there would hold a blocking open forever.
    git(odd.bareDir, 'pack-refs', '--all')
    execFileSync('rm', [path.join(odd.bareDir, 'packed-refs')])
    execFileSync('mkfifo', [path.join(odd.bareDir, 'packed-refs')])
    assert.deepEqual(readLocalBranch(odd.bareDir, 'main'), {known: false, why: `${path.join(odd.bareDir, 'packed-refs')} is not a regular file`})
    mkdirSync(path.join(odd.bareDir, 'refs', 'heads', 'main'))
    assert.deepEqual(readLocalBranch(odd.bareDir, 'main'), {known: false, why: `${path.join(odd.bareDir, 'refs', 'heads', 'main')} is not a regular file`})
  })

  it('gives git a repository of another user, which git refuses', {skip: process.getuid?.() !== 0 && 'only root can give a repository away'}, async () => {
    const foreign = GitRemote.create(FILES)
    execFileSync('chown', ['-R', '65534:65534', foreign.bareDir])
    const {error, gitRuns} = await askFailing(foreign.bareDir, 'main')
    assert.equal(gitRuns, 1)
    assert.match(error.message, /dubious ownership/)
  })

  it('gives git a URL the host\'s git config rewrites', async () => {
    const elsewhere = GitRemote.create(FILES)
    elsewhere.commit({'README.md': 'elsewhere\n'})
    assert.notEqual(elsewhere.head(), remote.head())
    writeFileSync(path.join(home, '.gitconfig'), `[url "${elsewhere.bareDir}"]\n\tinsteadOf = ${remote.bareDir}\n`)
    try {
      assert.deepEqual(await ask(remote.bareDir, 'main'), {head: elsewhere.head(), gitRuns: 1})
    } finally {
      writeFileSync(path.join(home, '.gitconfig'), '')
    }
    assert.deepEqual(await ask(remote.bareDir, 'main'), {head: remote.head(), gitRuns: 0})
  })
})

describe('ref discovery over smart HTTP', {timeout: 90_000}, () => {
  const remote = GitRemote.create(FILES)
  const token = `tok_${randomBytes(16).toString('hex')}`
  const repoPath = `/${path.basename(remote.bareDir)}`
  let open: GitHttpServer
  let closed: GitHttpServer
  const startingOpen = GitHttpServer.start({projectRoot: path.dirname(remote.bareDir), username: 'x-access-token', token: null})
  const startingClosed = GitHttpServer.start({projectRoot: path.dirname(remote.bareDir), username: 'x-access-token', token})
  before(async () => {
    open = await startingOpen
    closed = await startingClosed
  })
  after(async () => {
    await open?.stop()
    await closed?.stop()
  })

  const refRequests = (server: GitHttpServer) => server.requests.filter((request) => request.path === `${repoPath}/info/refs`)
  const uploadPackPosts = (server: GitHttpServer) => server.requests.filter((request) => request.method === 'POST')

  it('asks a public remote with one GET of info/refs as git/kedge, without git', async () => {
    const url = open.url(path.basename(remote.bareDir))
    assert.deepEqual(await ask(url, 'main'), {head: remote.head(), gitRuns: 0})
    assert.deepEqual(await ask(`${url}/`, 'main'), {head: remote.head(), gitRuns: 0}, 'a trailing slash')
    assert.deepEqual(await ask(url, 'release'), {head: null, gitRuns: 0})
    const requests = refRequests(open)
    assert.equal(requests.length, 3)
    for (const request of requests) {
      assert.equal(request.method, 'GET')
      assert.equal(request.query, 'service=git-upload-pack')
      assert.equal(request.userAgent, 'git/kedge')
      assert.equal(request.authorization, undefined)
    }
    assert.deepEqual(uploadPackPosts(open), [])
  })

  it('sends the token as git would, and gives a refusal to git, which names it', async () => {
    const url = closed.url(path.basename(remote.bareDir))
    assert.deepEqual(await ask(url, 'main', {access: tokenAccess(url, token)}), {head: remote.head(), gitRuns: 0})
    const sent = refRequests(closed).at(-1)!
    assert.ok(sent.authorized && sent.userAgent === 'git/kedge')
    assert.equal(sent.authorization, `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`)

    const none = await askFailing(url, 'main')
    assert.equal(none.gitRuns, 1)
    assert.equal(none.error.code, 'auth_required')
    assert.match(none.error.message, /asks for credentials/)

    const wrong = await askFailing(url, 'main', {access: tokenAccess(url, 'tok_wrong_0123456789')})
    assert.equal(wrong.gitRuns, 1)
    assert.equal(wrong.error.code, 'auth_failed')
    assert.match(wrong.error.message, /refused the token \(\$KEDGE_TEST_TOKEN\)/)
    assert.deepEqual(uploadPackPosts(closed), [])
  })

  it('does not follow a redirect: git reports it, and the token never reaches the other address', async () => {
    const before = closed.requests.length
    const redirector = http.createServer((request, response) => {
      response.writeHead(301, {location: `${closed.url(path.basename(remote.bareDir))}${request.url!.replace(/^\/[^/?]+/, '')}`})
      response.end()
    })
    const url = `${await listen(redirector)}/moved.git`
    const {error, gitRuns} = await askFailing(url, 'main', {access: tokenAccess(url, token)})
    assert.equal(gitRuns, 1)
    assert.equal(error.code, 'remote_redirected')
    assert.equal(closed.requests.length, before)
  })

  it('gives a dumb HTTP server to git, which reads its info/refs', async () => {
    git(remote.bareDir, 'update-server-info')
    const served: string[] = []
    const dumb = http.createServer((request, response) => {
      const file = new URL(request.url!, 'http://x').pathname.replace(/^\/dumb\.git/, '')
      served.push(`${request.headers['user-agent']} ${request.url}`)
      try {
        const body = readFileSync(path.join(remote.bareDir, file))
        response.writeHead(200, {'Content-Type': 'text/plain'})
        response.end(body)
      } catch {
        response.writeHead(404)
        response.end()
      }
    })
    const url = `${await listen(dumb)}/dumb.git`
    assert.deepEqual(await ask(url, 'main'), {head: remote.head(), gitRuns: 1})
    assert.match(served[0]!, /^git\/kedge \/dumb\.git\/info\/refs\?service=git-upload-pack$/)
  })

  it('gives git an answer that claims to be an advertisement but is not one', async () => {
    const odd = http.createServer((_request, response) => {
      response.writeHead(200, {'Content-Type': 'application/x-git-upload-pack-advertisement'})
      response.end('001e# service=git-upload-pack\n0000000eversion 2\n0000')
    })
    const url = `${await listen(odd)}/odd.git`
    const {error, gitRuns} = await askFailing(url, 'main')
    assert.equal(gitRuns, 1)
    assert.match(error.message, /^git could not reach /)
  })

  it('gives git a server whose certificate is not trusted, and git refuses it', async () => {
    const dir = tempDir('kedge-ref-tls-')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], {stdio: 'ignore'})
    const answered: string[] = []
    const untrusted = https.createServer({key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem'))}, (request, response) => {
      answered.push(String(request.headers['user-agent']))
      response.writeHead(200, {'Content-Type': 'application/x-git-upload-pack-advertisement'})
      const ref = `${remote.head()} refs/heads/main\0\n`
      response.end(`001e# service=git-upload-pack\n0000${(ref.length + 4).toString(16).padStart(4, '0')}${ref}0000`)
    })
    const url = `${(await listen(untrusted)).replace(/^http:/, 'https:')}/tls.git`
    // Neither may trust it: no CA variable (which would leave the remote to git anyway).
    const {error, gitRuns} = await askFailing(url, 'main', {}, {GIT_SSL_CAINFO: undefined, GIT_SSL_CAPATH: undefined, NODE_TLS_REJECT_UNAUTHORIZED: '0'})
    assert.equal(gitRuns, 1)
    assert.match(error.message, /^git could not reach .*certificate/)
    assert.deepEqual(answered, [], 'no request got past the TLS handshake')
  })

  it('times out on a remote that accepts and never answers, with one line naming it, and does not ask git', async () => {
    const url = open.url(path.basename(remote.bareDir))
    const before = refRequests(open).length
    open.setHanging(true)
    try {
      const started = Date.now()
      const {error, gitRuns} = await askFailing(url, 'main', {timeoutMs: 500})
      assert.ok(Date.now() - started < 5000, `gave up after ${Date.now() - started} ms`)
      assert.equal(gitRuns, 0)
      assert.equal(error.code, 'git_failed')
      assert.equal(error.message, `could not reach ${url}: timed out after 0.5s waiting for its refs`)
      assert.ok(error.hint)
      assert.equal(refRequests(open).length, before + 1, 'the request did reach the server')

      const abort = new AbortController()
      setTimeout(() => abort.abort(), 200)
      const abandoned = Date.now()
      const stopped = await askFailing(url, 'main', {timeoutMs: 30_000, signal: abort.signal})
      assert.ok(Date.now() - abandoned < 5000, `abandoned after ${Date.now() - abandoned} ms`)
      assert.equal(stopped.gitRuns, 0)
      assert.match(stopped.error.message, /abandoned/)
    } finally {
      open.setHanging(false)
    }
  })

  it('gives git a remote when a proxy is set or the host\'s git config has http settings', async () => {
    const url = open.url(path.basename(remote.bareDir))
    const before = refRequests(open).length
    const deadProxy = `http://127.0.0.1:${await freePort()}`
    const proxied = await askFailing(url, 'main', {}, {http_proxy: deadProxy})
    assert.equal(proxied.gitRuns, 1)
    assert.equal(refRequests(open).length, before, 'git went to the proxy, and so would kedge have to')

    writeFileSync(path.join(home, '.gitconfig'), `[http "${url}"]\n\textraHeader = X-Kedge-Test: 1\n`)
    try {
      assert.deepEqual(await ask(url, 'main'), {head: remote.head(), gitRuns: 1})
    } finally {
      writeFileSync(path.join(home, '.gitconfig'), '')
    }
    assert.notEqual(refRequests(open).at(-1)!.userAgent, 'git/kedge')
  })
})

describe('kedge serve polling', {timeout: 120_000}, () => {
  it('polls local and smart HTTP remotes without running git, and still sees each new commit', async () => {
    const kedgeHome = tempDir()
    const manual = {...FILES, 'kedge.yaml': 'reconciliation:\n  mode: manual\n  interval: 1s\n'}
    const local = GitRemote.create(manual)
    const served = GitRemote.create(manual)
    const server = await GitHttpServer.start({projectRoot: path.dirname(served.bareDir), username: 'x-access-token', token: null})
    after(() => server.stop())
    const names = {local: uniqueName('kt-refs'), http: uniqueName('kt-refs')}
    after(() => Object.values(names).forEach(removeComposeProject))
    for (const [url, name] of [[local.bareDir, names.local], [server.url(path.basename(served.bareDir)), names.http]] as const) {
      const added = await runKedge(['repo', 'add', url, '--name', name], {home: kedgeHome})
      assert.equal(added.code, 0, added.stderr)
    }

    const serveSpawns = new GitSpawnLog()
    const serve = new ServeProcess(kedgeHome, [], {PATH: serveSpawns.path})
    const polls = (name: string, commit: string) => serve.events('poll.pending', name).filter((line) => commit.startsWith(String(line.commit))).length
    // The first round fetched the commit (git: the POSTs of upload-pack); the polls after it are kedge's own GETs.
    await waitFor('the first round', () => polls(names.http, served.head()) >= 1, 30_000)
    const afterFirstRound = server.requests.length
    await waitFor('three more polls of each repository', () => polls(names.local, local.head()) >= 3 && polls(names.http, served.head()) >= 4, 30_000)
    assert.deepEqual(serveSpawns.runsOf('ls-remote'), [])
    const polled = server.requests.slice(afterFirstRound)
    assert.ok(polled.length >= 3)
    for (const request of polled) assert.deepEqual([request.method, request.query, request.userAgent], ['GET', 'service=git-upload-pack', 'git/kedge'])

    const nextLocal = local.commit({'README.md': 'next\n'})
    const nextServed = served.commit({'README.md': 'next\n'})
    await waitFor('polls of the new commits', () => polls(names.local, nextLocal) >= 1 && polls(names.http, nextServed) >= 1, 30_000)
    assert.deepEqual(serveSpawns.runsOf('ls-remote'), [])
    assert.ok(serveSpawns.runsOf('fetch').length >= 4, 'the commits themselves are fetched by git')
    assert.equal(await serve.stop(), 0)
  })
})
