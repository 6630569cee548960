import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {RepositoryRow} from '../../src/model/rows.js'
import type {Git, GitAccess, GitCredentials} from '../../src/ports/git.js'
import type {Secrets} from '../../src/ports/secrets.js'
import type {RepositoryChanges, Store} from '../../src/ports/store.js'
import {withRepositoryAccess} from '../../src/usecases/repositories/credentials.js'

const HOST_KEY = 'git.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyOfTheRemote'

const SSH_REPOSITORY: RepositoryRow = {
  id: 7,
  name: 'webapp',
  url: 'ssh://git@git.example/acme/webapp.git',
  branch: 'main',
  path: '.',
  intervalMs: null,
  createdAt: new Date(1_700_000_000_000),
  remoteHead: null,
  remoteCheckedAt: null,
  lastError: null,
  lastErrorAt: null,
  authKind: 'ssh_key',
  authSecret: 'sealed',
  tokenEnv: null,
  authKeyFingerprint: 'SHA256:key',
  knownHosts: null,
  webhookSecretEnv: null,
  webhookSecret: null,
  localEnv: null,
  ageKey: null,
  allowHooks: false,
  commitStatus: null,
  commitStatusApi: null,
  engineId: null,
}

/** git whose ssh ends every operation with `learned` in its known_hosts; the credentials each operation got are kept. */
function fakeWorld(learned: string | null) {
  const updates: Array<{id: number; values: RepositoryChanges}> = []
  const credentialsSeen: Array<GitCredentials | null> = []
  const git = {
    withAccess: async <T>(_url: string, credentials: GitCredentials | null, action: (access: GitAccess) => Promise<T>) => {
      credentialsSeen.push(credentials)
      return action({credentials, env: {}, httpAuthorization: null, knownHosts: () => learned, close: () => undefined})
    },
  } as unknown as Git
  const store = {updateRepository: (id: number, values: RepositoryChanges) => updates.push({id, values})} as unknown as Store
  const secrets = {open: () => 'the private key'} as unknown as Secrets
  return {context: {git, store, secrets}, updates, credentialsSeen}
}

describe('a remote operation with the repository\'s credentials', () => {
  it('returns the row with the host key accepted on first use, stores it, and leaves the given row as it was', async () => {
    const {context, updates} = fakeWorld(HOST_KEY)
    const result = await withRepositoryAccess(context, SSH_REPOSITORY, async () => 'head')
    assert.equal(result.value, 'head')
    assert.equal(result.repository.knownHosts, HOST_KEY)
    assert.equal(SSH_REPOSITORY.knownHosts, null)
    assert.deepEqual(updates, [{id: 7, values: {knownHosts: HOST_KEY}}])
  })

  it('checks a later operation given the returned row against that key', async () => {
    const {context, updates, credentialsSeen} = fakeWorld(HOST_KEY)
    const first = await withRepositoryAccess(context, SSH_REPOSITORY, async () => 'head')
    await withRepositoryAccess(context, first.repository, async () => 'fetched')
    assert.deepEqual(credentialsSeen.map((credentials) => credentials?.kind === 'ssh_key' && credentials.knownHosts), ['', HOST_KEY])
    assert.equal(updates.length, 1, 'a key already known is not stored again')
  })

  it('stores the key even when the operation fails', async () => {
    const {context, updates} = fakeWorld(HOST_KEY)
    await assert.rejects(withRepositoryAccess(context, SSH_REPOSITORY, async () => {
      throw new Error('refused')
    }), /refused/)
    assert.deepEqual(updates, [{id: 7, values: {knownHosts: HOST_KEY}}])
  })

  it('returns the given row when no key was learned', async () => {
    const {context, updates} = fakeWorld(null)
    const result = await withRepositoryAccess(context, SSH_REPOSITORY, async () => 'head')
    assert.equal(result.repository, SSH_REPOSITORY)
    assert.deepEqual(updates, [])
  })
})
