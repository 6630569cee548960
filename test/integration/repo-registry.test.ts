import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {GitRemote, SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {homeState} from '../helpers/home-state.js'
import {tempDir} from '../helpers/temp.js'

interface RepoJson {
  name: string
  url: string
  branch: string
  path: string
  interval: string | null
  lastDeployment: unknown
}

describe('kedge repo add / list / remove', () => {
  it('registers a file:// remote, clones its branch, and lists it', async () => {
    const home = tempDir()
    const remote = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': 'reconciliation:\n  mode: notify\n'}, {name: 'WebApp'})
    const added = await runKedgeJson<{repository: RepoJson; checkout: {commit: string; mode: string; projectName: string; composeFiles: string[]}; warnings: string[]}>(
      ['repo', 'add', remote.fileUrl],
      {home},
    )
    assert.equal(added.code, 0, added.stderr)
    assert.equal(added.stderr, '')
    assert.equal(added.json.repository.name, 'remote')
    assert.equal(added.json.repository.branch, 'main')
    assert.equal(added.json.checkout.commit, remote.head())
    assert.equal(added.json.checkout.mode, 'notify')
    assert.equal(added.json.checkout.projectName, 'remote')
    assert.deepEqual(added.json.checkout.composeFiles, ['docker-compose.yaml'])
    assert.deepEqual(added.json.warnings, [])

    const clone = path.join(home, 'repos', 'remote')
    assert.equal(readFileSync(path.join(clone, 'docker-compose.yaml'), 'utf8'), SIMPLE_COMPOSE)

    const listed = await runKedgeJson<RepoJson[]>(['repo', 'list'], {home})
    assert.equal(listed.code, 0)
    assert.deepEqual(listed.json, [
      {...added.json.repository, name: 'remote', url: remote.fileUrl, branch: 'main', path: '.', interval: null, lastDeployment: null},
    ])
    const text = await runKedge(['repo', 'list'], {home})
    assert.match(text.stdout, /^NAME\s+BRANCH\s+PATH\s+INTERVAL\s+AUTH\s+DEPLOYED\s+URL\n/)
    assert.match(text.stdout, new RegExp(`remote\\s+main\\s+\\.\\s+default\\s+-\\s+-\\s+${remote.fileUrl}`))
  })

  it('takes an absolute path, --name, --branch, --path and --interval', async () => {
    const home = tempDir()
    const remote = GitRemote.create({'README.md': '# infra\n'})
    remote.createBranch('production')
    remote.commit({'stacks/proxy/compose.yaml': SIMPLE_COMPOSE, 'stacks/proxy/kedge.yaml': 'docker:\n  project_name: edge\n'})
    remote.createBranch('production')
    const added = await runKedgeJson<{repository: RepoJson; checkout: {projectName: string}}>(
      ['repo', 'add', remote.bareDir, '--name', 'Proxy', '--branch', 'production', '--path', 'stacks/proxy/', '--interval', '90s'],
      {home},
    )
    assert.equal(added.code, 0, added.stderr)
    assert.equal(added.json.repository.name, 'proxy')
    assert.equal(added.json.repository.url, remote.bareDir)
    assert.equal(added.json.repository.path, 'stacks/proxy')
    assert.equal(added.json.repository.interval, '1m30s')
    assert.equal(added.json.checkout.projectName, 'edge')
    const text = await runKedge(['repo', 'add', remote.bareDir, '--name', 'proxy2', '--branch', 'production', '--path', 'stacks/proxy'], {home})
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /^Added proxy2 \(.*, branch production\)\n {2}commit {3}[0-9a-f]{7}\n {2}project  edge \(docker\.project_name in stacks\/proxy\/kedge\.yaml\)\n/)
  })

  it('is not thrown off by git variables in its own environment', async () => {
    const home = tempDir()
    const remote = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE})
    const env = {GIT_DIR: '/nonexistent', GIT_WORK_TREE: '/nonexistent', EDITOR: 'vi', GIT_CONFIG_PARAMETERS: "'core.bare=true'"}
    const added = await runKedge(['repo', 'add', remote.fileUrl], {home, env})
    assert.equal(added.code, 0, added.stderr)
  })

  it('refuses a network remote that does not answer, and registers it with a warning when asked to', async () => {
    const home = tempDir()
    for (const url of ['http://127.0.0.1:9/acme/offline.git', 'https://kedge-no-such-host.invalid/acme/x.git']) {
      const refused = await runKedge(['repo', 'add', url], {home})
      assert.equal(refused.code, 1, refused.stderr)
      assert.match(refused.stderr, /^Error: git could not reach [^\n]+\nHint: check the URL and the network; to register a remote that is down now and have serve retry it, pass --allow-unreachable\n$/)
    }
    assert.deepEqual((await homeState(home)).repositories, [])
    const added = await runKedgeJson<{repository: RepoJson; checkout: null; warnings: string[]}>(['repo', 'add', 'http://127.0.0.1:9/acme/offline.git', '--allow-unreachable'], {home})
    assert.equal(added.code, 0, added.stderr)
    assert.equal(added.json.repository.name, 'offline')
    assert.equal(added.json.checkout, null)
    assert.equal(added.json.warnings.length, 1)
    assert.match(added.json.warnings[0]!, /git could not reach http:\/\/127\.0\.0\.1:9\/acme\/offline\.git: .*registered anyway/)
    const text = await runKedge(['repo', 'add', 'http://127.0.0.1:9/acme/offline2.git', '--allow-unreachable'], {home})
    assert.match(text.stderr, /^Warning: git could not reach/)
  })

  describe('refuses, with one line, a non-zero exit, and nothing changed', () => {
    const remote = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE})
    const cases: Array<{what: string; args: () => string[]; exit: number; message: RegExp; prepare?: (home: string) => Promise<void>}> = [
      {what: 'a malformed URL', args: () => ['repo', 'add', 'not a url'], exit: 2, message: /^Error: invalid repository URL "not a url"/},
      {what: 'a relative path', args: () => ['repo', 'add', 'some/dir'], exit: 2, message: /neither a URL nor an absolute path/},
      {what: 'an unsupported scheme', args: () => ['repo', 'add', 'ftp://host/x.git'], exit: 2, message: /scheme "ftp" is not supported/},
      {what: 'a URL with a password', args: () => ['repo', 'add', 'https://me:hunter2@host/x.git'], exit: 2, message: /contains a password/},
      {what: 'an unsafe name', args: () => ['repo', 'add', remote.fileUrl, '--name', 'bad name'], exit: 2, message: /^Error: invalid repository name "bad name"/},
      {what: 'a name starting with a dot', args: () => ['repo', 'add', remote.fileUrl, '--name', '.x'], exit: 2, message: /invalid repository name/},
      {what: 'a bad branch name', args: () => ['repo', 'add', remote.fileUrl, '--branch', 'a..b'], exit: 2, message: /invalid branch name "a\.\.b"/},
      {what: 'an unknown branch', args: () => ['repo', 'add', remote.fileUrl, '--branch', 'develop'], exit: 2, message: /^Error: branch "develop" does not exist on .*: it has main$/m},
      {what: 'a bad interval', args: () => ['repo', 'add', remote.fileUrl, '--interval', 'often'], exit: 2, message: /invalid interval "often"/},
      {what: 'a path outside the repository', args: () => ['repo', 'add', remote.fileUrl, '--path', '../x'], exit: 2, message: /invalid path "\.\.\/x"/},
      {what: 'a path missing on the branch', args: () => ['repo', 'add', remote.fileUrl, '--path', 'nope'], exit: 2, message: /path "nope" does not exist on branch "main"/},
      {what: 'a local path that is no repository', args: () => ['repo', 'add', '/nonexistent/kedge/repo.git'], exit: 1, message: /git could not reach \/nonexistent\/kedge\/repo\.git: .*does not appear to be a git repository/},
      {
        what: 'a name already registered',
        args: () => ['repo', 'add', remote.fileUrl],
        exit: 2,
        message: /^Error: a repository named "remote" is already registered/,
        prepare: async (home) => assert.equal((await runKedge(['repo', 'add', remote.fileUrl], {home})).code, 0),
      },
    ]
    for (const testCase of cases) {
      it(testCase.what, async () => {
        const home = tempDir()
        await testCase.prepare?.(home)
        const before = await homeState(home)
        const result = await runKedge(testCase.args(), {home})
        assert.equal(result.code, testCase.exit, result.stderr)
        assert.match(result.stderr, testCase.message)
        assert.match(result.stderr, /^Error: [^\n]+\n(Hint: [^\n]+\n)?$/)
        assert.equal(result.stdout, '')
        assert.deepEqual(await homeState(home), before)
      })
    }

    const badRepositories: Array<[string, Record<string, string>, RegExp]> = [
      ['an invalid kedge.yaml', {'docker-compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': 'reconciliation:\n  mode: sometimes\n'}, /^Error: kedge\.yaml: reconciliation\.mode: expected one of auto, notify, manual/],
      ['kedge.yaml with a YAML error', {'docker-compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': 'docker: [\n'}, /^Error: kedge\.yaml: invalid YAML: line \d+, column \d+/],
      ['no compose file', {'README.md': 'nothing here\n'}, /^Error: no compose file in the repository root: looked for compose\.yaml/],
      ['a missing named compose file', {'kedge.yaml': 'docker:\n  compose_file: prod.yaml\n'}, /docker\.compose_file: "prod\.yaml" does not exist/],
    ]
    for (const [what, files, message] of badRepositories) {
      it(`a repository with ${what}`, async () => {
        const home = tempDir()
        const bad = GitRemote.create(files)
        const before = await homeState(home)
        const result = await runKedgeJson<{error: {code: string; message: string}}>(['repo', 'add', bad.fileUrl], {home})
        assert.equal(result.code, 2)
        assert.match(`Error: ${result.json.error.message}`, message)
        assert.deepEqual(await homeState(home), before)
        assert.equal(existsSync(path.join(home, 'repos', 'remote')), false)
      })
    }
  })

  it('removes a repository and its clone; refuses an unknown name', async () => {
    const home = tempDir()
    const remote = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE})
    assert.equal((await runKedge(['repo', 'add', remote.fileUrl, '--name', 'keep'], {home})).code, 0)
    assert.equal((await runKedge(['repo', 'add', remote.fileUrl, '--name', 'drop'], {home})).code, 0)

    const unknown = await runKedge(['repo', 'remove', 'nope'], {home})
    assert.equal(unknown.code, 2)
    assert.equal(unknown.stderr, 'Error: no repository named "nope"\nHint: run "kedge repo list" to see the registered repositories\n')

    const removed = await runKedgeJson<{name: string; removed: boolean; down: {action: string; reason: string}; keptStackDir: null; purgedStackDir: null}>(['repo', 'remove', 'DROP', '--down'], {home})
    assert.equal(removed.code, 0, removed.stderr)
    assert.deepEqual(removed.json, {name: 'drop', removed: true, down: {action: 'none', reason: 'kedge has not deployed this repository'}, keptStackDir: null, purgedStackDir: null})
    assert.equal(existsSync(path.join(home, 'repos', 'drop')), false)
    assert.equal(existsSync(path.join(home, 'repos', 'keep')), true)
    const listed = await runKedgeJson<RepoJson[]>(['repo', 'list'], {home})
    assert.deepEqual(listed.json.map((repo) => repo.name), ['keep'])

    const again = await runKedgeJson<{error: {code: string}}>(['repo', 'remove', 'drop'], {home})
    assert.equal(again.code, 2)
    assert.equal(again.json.error.code, 'not_found')
  })
})
