import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {InvalidInputError} from '../../src/model/errors.js'
import {
  commitStatusRequest,
  type CommitStatusInput,
  DESCRIPTION_MAX_LENGTH,
  defaultApiBase,
  type Forge,
  forgeOfUrl,
  parseForge,
  repositoryPathOf,
  statusContext,
} from '../../src/model/notify/commit-status.js'

const COMMIT = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b'

function refusedAs(code: string, reason: RegExp) {
  return (error: unknown) => error instanceof InvalidInputError && error.code === code && reason.test(error.message)
}

describe('parseForge', () => {
  for (const [name, forge] of [['github', 'github'], ['Gitea', 'gitea'], [' gitlab ', 'gitlab'], ['forgejo', 'gitea'], ['FORGEJO', 'gitea']] as const) {
    it(`reads ${JSON.stringify(name)} as ${forge}`, () => assert.equal(parseForge(name), forge))
  }

  for (const name of ['', 'bitbucket', 'constructor', 'git hub']) {
    it(`refuses ${JSON.stringify(name)}, naming the choices`, () => {
      assert.throws(
        () => parseForge(name),
        (error: unknown) => refusedAs('invalid_input', /unknown forge/)(error) && /github, gitea \(also for Forgejo\) or gitlab/.test((error as InvalidInputError).hint ?? ''),
      )
    })
  }
})

describe('forgeOfUrl', () => {
  const cases: Array<[string, Forge | null]> = [
    ['https://github.com/acme/webapp.git', 'github'],
    ['git@github.com:acme/webapp.git', 'github'],
    ['ssh://git@GitHub.com/acme/webapp.git', 'github'],
    ['https://gitlab.com/group/sub/project.git', 'gitlab'],
    ['https://codeberg.org/acme/webapp', 'gitea'],
    ['git@gitea.com:acme/webapp.git', 'gitea'],
    ['https://git.example.com/acme/webapp.git', null],
    ['https://github.example.com/acme/webapp.git', null],
    ['http://constructor/acme/webapp.git', null],
    ['/srv/git/webapp.git', null],
    ['file:///srv/git/webapp.git', null],
  ]
  for (const [url, forge] of cases) {
    it(`finds ${forge ?? 'no forge'} for ${url}`, () => assert.equal(forgeOfUrl(url), forge))
  }
})

describe('repositoryPathOf', () => {
  const cases: Array<[string, string]> = [
    ['https://github.com/acme/webapp.git', 'acme/webapp'],
    ['https://github.com/acme/webapp', 'acme/webapp'],
    ['https://github.com/acme/webapp.git/', 'acme/webapp'],
    ['http://127.0.0.1:3000/acme/app.git', 'acme/app'],
    ['https://gitlab.com/group/sub/project.git', 'group/sub/project'],
    ['ssh://git@host:2222/org/infra.git', 'org/infra'],
    ['git@github.com:org/repo.git', 'org/repo'],
    ['git@gitlab.com:group/sub/deeper/project.git', 'group/sub/deeper/project'],
    ['gitea.local:team/stacks', 'team/stacks'],
    ['git@[::1]:org/repo.git', 'org/repo'],
    ['https://host/my%20org/app.git', 'my org/app'],
  ]
  for (const [url, path] of cases) {
    it(`reads ${path} from ${url}`, () => assert.equal(repositoryPathOf(url), path))
  }

  for (const url of ['/srv/git/webapp.git', 'file:///srv/git/webapp.git']) {
    it(`refuses the local repository ${url}`, () => {
      assert.throws(() => repositoryPathOf(url), refusedAs('invalid_input', /not on a forge/))
    })
  }

  for (const url of ['https://host/webapp.git', 'https://host/', 'git@host:webapp.git', 'https://host/.git']) {
    it(`refuses ${url}, which names no owner`, () => {
      assert.throws(() => repositoryPathOf(url), refusedAs('invalid_input', /names no owner and repository/))
    })
  }

  it('refuses a malformed URL as parseRemoteUrl does', () => {
    assert.throws(() => repositoryPathOf('not a url'), refusedAs('invalid_url', /invalid repository URL/))
  })
})

describe('defaultApiBase', () => {
  const cases: Array<[Forge, string, string]> = [
    ['github', 'https://github.com/acme/webapp.git', 'https://api.github.com'],
    ['github', 'git@github.com:acme/webapp.git', 'https://api.github.com'],
    ['github', 'https://ghe.example.com/acme/webapp.git', 'https://ghe.example.com/api/v3'],
    ['github', 'git@ghe.example.com:acme/webapp.git', 'https://ghe.example.com/api/v3'],
    ['gitea', 'https://codeberg.org/acme/webapp.git', 'https://codeberg.org/api/v1'],
    ['gitea', 'http://gitea.lan:3000/acme/webapp.git', 'http://gitea.lan:3000/api/v1'],
    ['gitea', 'ssh://git@gitea.lan:2222/acme/webapp.git', 'https://gitea.lan/api/v1'],
    ['gitea', 'git@Gitea.LAN:acme/webapp.git', 'https://gitea.lan/api/v1'],
    ['gitlab', 'https://gitlab.com/group/sub/project.git', 'https://gitlab.com/api/v4'],
    ['gitlab', 'https://gitlab.example.com:8443/group/project.git', 'https://gitlab.example.com:8443/api/v4'],
    ['gitlab', 'git://gitlab.example.com/group/project.git', 'https://gitlab.example.com/api/v4'],
    ['gitlab', 'git@[fd00::1]:group/project.git', 'https://[fd00::1]/api/v4'],
  ]
  for (const [forge, url, base] of cases) {
    it(`asks ${base} for ${forge} at ${url}`, () => assert.equal(defaultApiBase(forge, url), base))
  }

  it('refuses a local repository', () => {
    assert.throws(() => defaultApiBase('gitea', '/srv/git/webapp.git'), refusedAs('invalid_input', /not on a forge/))
  })
})

describe('commitStatusRequest', () => {
  const input = (forge: Forge, changes: Partial<CommitStatusInput> = {}): CommitStatusInput => ({
    forge,
    apiBase: defaultApiBase(forge, forge === 'gitlab' ? 'https://gitlab.com/group/sub/project.git' : 'https://codeberg.org/acme/webapp.git'),
    repositoryPath: forge === 'gitlab' ? 'group/sub/project' : 'acme/webapp',
    token: 'the-token',
    commit: COMMIT,
    state: 'success',
    context: statusContext('web-1', 'app'),
    description: 'deployed in 12 s',
    targetUrl: 'https://kedge.example.com/stacks/app',
    ...changes,
  })

  it("follows GitHub's create-a-commit-status", () => {
    const request = commitStatusRequest(input('github', {apiBase: 'https://api.github.com'}))
    assert.equal(request.kind, 'http')
    assert.equal(request.method, 'POST')
    assert.equal(request.url, `https://api.github.com/repos/acme/webapp/statuses/${COMMIT}`)
    assert.deepEqual(request.headers, {
      'content-type': 'application/json',
      'user-agent': 'kedge',
      accept: 'application/vnd.github+json',
      authorization: 'Bearer the-token',
      'x-github-api-version': '2022-11-28',
    })
    assert.deepEqual(JSON.parse(request.body), {
      state: 'success',
      target_url: 'https://kedge.example.com/stacks/app',
      description: 'deployed in 12 s',
      context: 'kedge/web-1/app',
    })
  })

  it("follows Gitea's (and Forgejo's) repoCreateStatus", () => {
    const request = commitStatusRequest(input('gitea', {state: 'failure'}))
    assert.equal(request.method, 'POST')
    assert.equal(request.url, `https://codeberg.org/api/v1/repos/acme/webapp/statuses/${COMMIT}`)
    assert.deepEqual(request.headers, {
      'content-type': 'application/json',
      'user-agent': 'kedge',
      accept: 'application/json',
      authorization: 'token the-token',
    })
    assert.deepEqual(JSON.parse(request.body), {
      state: 'failure',
      target_url: 'https://kedge.example.com/stacks/app',
      description: 'deployed in 12 s',
      context: 'kedge/web-1/app',
    })
  })

  it("follows GitLab's commit status API: the project's path encoded, its name for the context, failed for a failure", () => {
    const request = commitStatusRequest(input('gitlab', {state: 'failure'}))
    assert.equal(request.method, 'POST')
    assert.equal(request.url, `https://gitlab.com/api/v4/projects/group%2Fsub%2Fproject/statuses/${COMMIT}`)
    assert.deepEqual(request.headers, {
      'content-type': 'application/json',
      'user-agent': 'kedge',
      accept: 'application/json',
      'private-token': 'the-token',
    })
    assert.deepEqual(JSON.parse(request.body), {
      state: 'failed',
      name: 'kedge/web-1/app',
      target_url: 'https://kedge.example.com/stacks/app',
      description: 'deployed in 12 s',
    })
  })

  for (const state of ['pending', 'success'] as const) {
    it(`sends ${state} to GitLab as ${state}`, () => {
      assert.equal(JSON.parse(commitStatusRequest(input('gitlab', {state})).body).state, state)
    })
  }

  for (const forge of ['github', 'gitea', 'gitlab'] as const) {
    it(`leaves a null target URL out for ${forge}`, () => {
      assert.equal('target_url' in JSON.parse(commitStatusRequest(input(forge, {targetUrl: null})).body), false)
    })
  }

  it('joins an API base given with a trailing slash', () => {
    const request = commitStatusRequest(input('gitea', {apiBase: 'https://git.example.com/api/v1/'}))
    assert.equal(request.url, `https://git.example.com/api/v1/repos/acme/webapp/statuses/${COMMIT}`)
  })

  it('encodes the owner and repository in the path', () => {
    const request = commitStatusRequest(input('gitea', {repositoryPath: 'my org/app?x'}))
    assert.equal(request.url, `https://codeberg.org/api/v1/repos/my%20org/app%3Fx/statuses/${COMMIT}`)
  })

  it('puts the description on one line and keeps a short one whole', () => {
    const body = JSON.parse(commitStatusRequest(input('github', {description: '  compose failed:\n\tport 80\r\n in use  '})).body)
    assert.equal(body.description, 'compose failed: port 80 in use')
  })

  it(`clips the description to ${DESCRIPTION_MAX_LENGTH} characters, GitHub's limit, with "…" where it was cut`, () => {
    const exact = 'x'.repeat(DESCRIPTION_MAX_LENGTH)
    assert.equal(JSON.parse(commitStatusRequest(input('github', {description: exact})).body).description, exact)
    const clipped = JSON.parse(commitStatusRequest(input('gitlab', {description: 'y'.repeat(500)})).body).description
    assert.equal(clipped, `${'y'.repeat(DESCRIPTION_MAX_LENGTH - 1)}…`)
  })

  it('counts characters, not UTF-16 units, and never cuts one in half', () => {
    const clipped: string = JSON.parse(commitStatusRequest(input('gitea', {description: '🚢'.repeat(200)})).body).description
    assert.equal([...clipped].length, DESCRIPTION_MAX_LENGTH)
    assert.equal(clipped, `${'🚢'.repeat(DESCRIPTION_MAX_LENGTH - 1)}…`)
  })

  for (const commit of ['1a2b3c4', COMMIT.toUpperCase(), `${COMMIT}/../../x`, '']) {
    it(`refuses the commit ${JSON.stringify(commit)}`, () => {
      assert.throws(() => commitStatusRequest(input('github', {commit})), refusedAs('invalid_commit', /full commit id/))
    })
  }

  it('takes a SHA-256 commit id', () => {
    const commit = 'a'.repeat(64)
    assert.ok(commitStatusRequest(input('gitea', {commit})).url.endsWith(`/statuses/${commit}`))
  })

  for (const forge of ['github', 'gitea'] as const) {
    for (const repositoryPath of ['group/sub/project', 'webapp', 'acme/']) {
      it(`refuses ${JSON.stringify(repositoryPath)} for ${forge}, which only has owner/repo`, () => {
        assert.throws(() => commitStatusRequest(input(forge, {repositoryPath})), refusedAs('invalid_input', /expected owner\/repo/))
      })
    }
  }
})

describe('statusContext', () => {
  it('names the host and the stack, so that each host reports its own status', () => {
    assert.equal(statusContext('web-1', 'app'), 'kedge/web-1/app')
  })
})
