import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {commitStatusRequest, type CommitStatusInput, type Forge, FORGES} from '../../src/model/notify/commit-status.js'
import type {OutgoingRequest} from '../../src/model/notify/outgoing-message.js'
import {type ForgeStatusServer, startForgeStatusServer} from '../helpers/forge-status-server.js'
import {request} from '../helpers/http.js'

const TOKEN = 'forge-token'
const REPOSITORY = 'group/sub/project'
const OWNER_AND_REPO = 'acme/webapp'
const COMMIT = 'c0ffee'.repeat(6) + 'c0ff'

/** Sends the request kedge built, as the messenger would. */
function send(outgoing: OutgoingRequest) {
  const url = new URL(outgoing.url)
  return request(url.origin, outgoing.method, `${url.pathname}${url.search}`, {headers: outgoing.headers, raw: outgoing.body})
}

/** One server per shape of path: GitLab's nests groups, GitHub's and Gitea's are owner/repo. */
function servedPath(forge: Forge): string {
  return forge === 'gitlab' ? REPOSITORY : OWNER_AND_REPO
}

describe('the forge status server', () => {
  const servers = new Map<string, ForgeStatusServer>()
  const serverFor = (forge: Forge) => servers.get(servedPath(forge))!
  const statusOf = (forge: Forge, changes: Partial<CommitStatusInput> = {}): OutgoingRequest =>
    commitStatusRequest({
      forge,
      apiBase: serverFor(forge).apiBase(forge),
      repositoryPath: servedPath(forge),
      token: TOKEN,
      commit: COMMIT,
      state: 'failure',
      context: 'kedge/web-1/app',
      description: 'compose up failed',
      targetUrl: null,
      ...changes,
    })

  before(async () => {
    for (const repositoryPath of [REPOSITORY, OWNER_AND_REPO]) servers.set(repositoryPath, await startForgeStatusServer({token: TOKEN, repositoryPath}))
  })
  after(async () => {
    for (const server of servers.values()) await server.close()
  })

  const answers: Record<Forge, (json: any) => void> = {
    github: (json) => assert.deepEqual([json.state, json.context, json.target_url], ['failure', 'kedge/web-1/app', null]),
    gitea: (json) => assert.deepEqual([json.status, json.context], ['failure', 'kedge/web-1/app']),
    gitlab: (json) => assert.deepEqual([json.status, json.name, json.sha], ['failed', 'kedge/web-1/app', COMMIT]),
  }

  for (const forge of FORGES) {
    it(`accepts the status kedge builds for ${forge}, answers as ${forge} does and records it`, async () => {
      const server = serverFor(forge)
      const before = server.calls.length
      const answer = await send(statusOf(forge))
      assert.equal(answer.status, 201, answer.text)
      answers[forge](answer.json)
      await server.waitFor((calls) => calls.length > before, 1_000)
      assert.deepEqual(server.calls.at(-1), {
        forge,
        commit: COMMIT,
        state: forge === 'gitlab' ? 'failed' : 'failure',
        context: 'kedge/web-1/app',
        description: 'compose up failed',
        targetUrl: null,
      })
    })

    it(`refuses a wrong token for ${forge} with 401, and records nothing`, async () => {
      const server = serverFor(forge)
      const before = server.calls.length
      assert.equal((await send(statusOf(forge, {token: 'stolen'}))).status, 401)
      assert.equal(server.calls.length, before)
    })
  }

  it("refuses another repository with 404: GitLab's project path, GitHub's owner/repo", async () => {
    assert.equal((await send(statusOf('gitlab', {repositoryPath: 'group/other'}))).status, 404)
    assert.equal((await send(statusOf('github', {repositoryPath: 'acme/other'}))).status, 404)
  })

  it("refuses a GitLab project path whose slashes are not encoded, as GitLab's router does", async () => {
    const outgoing = statusOf('gitlab')
    assert.equal((await send({...outgoing, url: outgoing.url.replaceAll('%2F', '/')})).status, 404)
  })

  const refusals: Array<[Forge, Record<string, unknown>, number]> = [
    ['github', {state: 'failed', context: 'x'}, 422],
    ['github', {context: 'x'}, 422],
    ['github', {state: 'success', description: 'd'.repeat(141)}, 422],
    ['gitea', {state: 'failed'}, 422],
    ['gitlab', {state: 'failure'}, 400],
    ['gitlab', {name: 'x'}, 400],
  ]
  for (const [forge, body, status] of refusals) {
    it(`refuses ${JSON.stringify(body).slice(0, 60)} for ${forge} with ${status}`, async () => {
      assert.equal((await send({...statusOf(forge), body: JSON.stringify(body)})).status, status)
    })
  }

  it('refuses a short sha', async () => {
    const outgoing = statusOf('github')
    assert.equal((await send({...outgoing, url: outgoing.url.replace(COMMIT, COMMIT.slice(0, 7))})).status, 422)
  })

  it('answers as a forge that is down while failing, and accepts again after', async () => {
    const server = serverFor('gitea')
    server.setFailing(503)
    try {
      assert.equal((await send(statusOf('gitea'))).status, 503)
    } finally {
      server.setFailing(null)
    }
    assert.equal((await send(statusOf('gitea'))).status, 201)
  })
})
