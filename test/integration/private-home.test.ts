import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {chmodSync, existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {runKedge} from '../helpers/cli.js'
import {docker, kedgeContainers, removeComposeProject} from '../helpers/docker.js'
import {GitRemote, SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {homeContents} from '../helpers/home-state.js'
import {request} from '../helpers/http.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack, uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'
import {waitFor} from '../helpers/wait.js'

const mode = (file: string) => statSync(file).mode & 0o777

/**
 * Paths under the home that others could read were it not private, outside the stack and release trees
 * containers read; git's index of a placed tree is written with the tree.
 */
function openToOthers(home: string): string[] {
  const insideTree = /^(stacks|releases)\/[^/]+(\/|$)|^generated\/[^/]+\/stack\.index$/
  return readdirSync(home, {recursive: true, encoding: 'utf8'})
    .filter((entry) => !insideTree.test(entry))
    .filter((entry) => ((statSync(path.join(home, entry), {throwIfNoEntry: false})?.mode ?? 0) & 0o077) !== 0)
}

describe('the kedge home is private', {timeout: 180_000}, () => {
  it('a new home: 0700, its database 0600, nothing but the stack trees open to others; a non-root container reads its mounted files', async () => {
    const home = path.join(tempDir(), 'home')
    const compose = `services:
  reader:
    image: kedge-test/busybox:1
    user: "1000:1000"
    volumes:
      - ./conf/app.conf:/app.conf:ro
      - ./conf:/conf:ro
      - .:/stack:ro
`
    const stack = await registeredStack({'docker-compose.yaml': compose, 'conf/app.conf': 'version one\n'}, {home})
    const synced = await runKedge(['sync', '--repo', stack.name], {home})
    assert.equal(synced.code, 0, synced.stderr)

    assert.equal(mode(home), 0o700)
    assert.equal(mode(path.join(home, 'kedge.db')), 0o600)
    for (const dir of ['repos', 'stacks', 'releases', 'generated']) assert.equal(mode(path.join(home, dir)) & 0o077, 0, `${dir}/ is open to others`)
    assert.deepEqual(openToOthers(home), [])
    const serve = new ServeProcess(home, ['--interval', '1h'])
    await serve.waitForLog((line) => line.event === 'http.listening')
    await waitFor('kedge.db-wal', () => existsSync(path.join(home, 'kedge.db-wal')))
    assert.equal(mode(path.join(home, 'kedge.db-wal')), 0o600)
    assert.equal(await serve.stop(), 0, serve.stderr)

    // As the service's user (1000), whatever container the deployment left running.
    const readAs = (file: string) => docker('exec', kedgeContainers(stack.name)[0]!.id, 'cat', file)
    assert.equal(readAs('/app.conf'), 'version one\n')
    assert.equal(readAs('/conf/app.conf'), 'version one\n')
    assert.equal(readAs('/stack/conf/app.conf'), 'version one\n')

    // A rollback places the kept release the same way.
    const first = stack.remote.head()
    stack.remote.commit({'conf/app.conf': 'version two\n'})
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home})).code, 0)
    assert.equal(readAs('/app.conf'), 'version two\n')
    const rolledBack = await runKedge(['rollback', first, '--repo', stack.name], {home})
    assert.equal(rolledBack.code, 0, rolledBack.stderr)
    assert.equal(readAs('/app.conf'), 'version one\n')
    assert.equal(readAs('/conf/app.conf'), 'version one\n')
  })

  it('an existing home open to others is made private when opened, with one note, once', async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE}, {home: path.join(tempDir(), 'home')})
    chmodSync(stack.home, 0o755)
    chmodSync(path.join(stack.home, 'kedge.db'), 0o644)

    const status = await runKedge(['status'], {home: stack.home})
    assert.equal(status.code, 0, status.stderr)
    assert.match(status.stderr, new RegExp(`^Note: the kedge home ${stack.home} was readable by other users; it is now private \\(\\., kedge\\.db\\)\\n$`))
    assert.equal(mode(stack.home), 0o700)
    assert.equal(mode(path.join(stack.home, 'kedge.db')), 0o600)
    const again = await runKedge(['repo', 'list'], {home: stack.home})
    assert.equal(again.stderr, '')
  })
})

/** A key as kedge writes it, with a "+" in it: Compose v2 then refuses the env file and quotes the line. */
function keyComposeQuotes(): string {
  for (;;) {
    const key = randomBytes(32).toString('base64')
    if (key.includes('+')) return key
  }
}

describe("kedge's own secrets", {timeout: 180_000}, () => {
  it('a commit whose env_file is the home\'s secret.key: the key is in no output, row or log', async () => {
    const home = tempDir()
    const key = keyComposeQuotes()
    writeFileSync(path.join(home, 'secret.key'), `${key}\n`, {mode: 0o600})
    const name = uniqueName()
    const remote = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE})
    after(() => removeComposeProject(name))
    const added = await runKedge(['repo', 'add', remote.fileUrl, '--name', name, '--interval', '1s'], {home})
    assert.equal(added.code, 0, added.stderr)

    // stacks/<name>/envk -> ../../secret.key is the home's key.
    symlinkSync('../../secret.key', path.join(remote.workDir, 'envk'))
    const hostile = remote.commit({'docker-compose.yaml': `services:\n  web:\n    image: kedge-test/busybox:1\n    env_file: ./envk\n`}, 'env_file is the key')

    const adminToken = `admin-${randomBytes(16).toString('hex')}`
    const serve = new ServeProcess(home, ['--interval', '1s'], {KEDGE_ADMIN_TOKEN: adminToken})
    const base = String((await serve.waitForLog((line) => line.event === 'http.listening')).address)
    await serve.waitForLog((line) => line.repo === name && /^(deploy|plan|reconcile)\.(failed|succeeded)$/.test(line.event) && JSON.stringify(line).includes(hostile.slice(0, 7)), 60_000).catch((error) => {
      throw new Error(`${error}\n${serve.lines.map((line) => JSON.stringify(line)).join('\n')}`)
    })
    const outputs: Array<[string, string]> = [['repo add', added.stdout + added.stderr]]
    for (const args of [['status'], ['history', '--repo', name], ['status', '--repo', name], ['diff', '--repo', name]]) {
      const result = await runKedge([...args, '--json'], {home})
      outputs.push([args.join(' '), result.stdout + result.stderr])
      const text = await runKedge(args, {home})
      outputs.push([`${args.join(' ')} (text)`, text.stdout + text.stderr])
    }
    for (const route of ['/api/v1/repos', `/api/v1/repos/${name}`, `/api/v1/repos/${name}/status`, `/api/v1/repos/${name}/history`]) {
      outputs.push([route, (await request(base, 'GET', route, {token: adminToken})).text])
    }
    assert.equal(await serve.stop(), 0, serve.stderr)
    outputs.push(['serve', `${JSON.stringify(serve.lines)}\n${serve.stderr}`])
    const {rows} = homeContents(home)
    outputs.push(['deployments', JSON.stringify(rows.deployments)], ['repositories', JSON.stringify(rows.repositories)])
    for (const file of ['kedge.db', 'kedge.db-wal']) if (existsSync(path.join(home, file))) outputs.push([file, readFileSync(path.join(home, file), 'latin1')])

    const needles = [key, key.replace(/=+$/, ''), Buffer.from(key, 'base64').toString('hex')]
    for (const [where, text] of outputs) {
      for (const needle of needles) assert.ok(!text.includes(needle), `${where} holds the secret key:\n${text}`)
    }
    const failure = (rows.deployments as Array<{commit: string; error: string | null}>).find((row) => row.commit === hostile)
    // Compose v2 quotes the line it cannot read (v1 takes it as a variable's name); unless kedge refused the link first.
    if (failure?.error?.includes('variable name')) assert.match(failure.error, /variable name "\*\*\*"/, 'Compose quoted the key, masked')
  })

  it('the API refuses one of kedge\'s own variables as a repository\'s token', async () => {
    const home = tempDir()
    const adminToken = `admin-${randomBytes(16).toString('hex')}`
    const serve = new ServeProcess(home, ['--interval', '1h'], {KEDGE_ADMIN_TOKEN: adminToken})
    const base = String((await serve.waitForLog((line) => line.event === 'http.listening')).address)
    for (const tokenEnv of ['KEDGE_SECRET_KEY', 'KEDGE_ADMIN_TOKEN']) {
      const response = await request(base, 'POST', '/api/v1/repos', {token: adminToken, body: {url: 'https://git.example.invalid/x.git', tokenEnv}})
      assert.equal(response.status, 400, response.text)
      assert.equal(response.json.error.code, 'invalid_auth')
      assert.equal(response.json.error.message, `--token-env ${tokenEnv} names one of kedge's own variables, which cannot hold a repository's token`)
    }
    assert.deepEqual((await request(base, 'GET', '/api/v1/repos', {token: adminToken})).json, [])
    assert.equal(await serve.stop(), 0, serve.stderr)
  })
})
