import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'

import {checkDeploymentRow, checkRepositoryName, checkRepositoryRow, checkStackRow, isContainedPath, isCorruptRow, isoTimeOrNull} from '../../src/model/repository/row-checks.js'
import {insideDirectory, insideHome} from '../../src/usecases/repositories/stack-paths.js'
import type {StackSnapshot} from '../../src/model/stack/stack-snapshot.js'
import {parseSnapshot} from '../../src/model/stack/stored-snapshot.js'
import {InvalidStateError} from '../../src/model/errors.js'
import type {DeploymentRow, RepositoryRow, StackRow} from '../../src/store/schema.js'
import {EMPTY_STACK_STATE} from '../../src/model/stack/stack-row.js'

const GOOD_REPOSITORY: RepositoryRow = {
  id: 7,
  name: 'webapp',
  url: 'https://git.example/acme/webapp.git',
  branch: 'main',
  path: '.',
  intervalMs: 30_000,
  createdAt: new Date(1_700_000_000_000),
  remoteHead: null,
  remoteCheckedAt: null,
  lastError: null,
  lastErrorAt: null,
  authKind: null,
  authSecret: null,
  tokenEnv: null,
  authKeyFingerprint: null,
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

const GOOD_STACK: StackRow = {
  id: 5,
  repositoryId: 7,
  name: 'webapp',
  path: '.',
  createdAt: new Date(1_700_000_000_000),
  ...EMPTY_STACK_STATE,
  drift: '[]',
}

const GOOD_DEPLOYMENT: DeploymentRow = {
  id: 3,
  repositoryId: 7,
  stackId: 5,
  commit: 'a'.repeat(40),
  trigger: 'git',
  status: 'success',
  startedAt: new Date(1_700_000_000_000),
  finishedAt: null,
  error: null,
  snapshot: null,
  replacedCommit: null,
  note: null,
  project: 'webapp',
  interrupted: false,
  leftFailed: false,
  reason: null,
  hooks: null,
  buildOutput: null,
  engineId: null,
}

const SNAPSHOT: StackSnapshot = {
  version: 1,
  commit: 'b'.repeat(40),
  project: 'webapp',
  stackPath: 'stacks/web',
  composeFiles: [{path: '../common/compose.yaml', content: 'services: {}\n'}],
  kedgeConfig: {path: 'stacks/web/kedge.yaml', content: ''},
  placedPaths: ['stacks/web', 'config/app.ini'],
  services: [],
}

/** The corrupt_row error's message, asserting that it is one. */
function corruptMessage(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    assert.ok(isCorruptRow(error), `expected corrupt_row, got ${String(error)}`)
    assert.ok(error.hint, 'a corrupt_row error says how to fix it')
    assert.doesNotMatch(error.message, /\n/)
    return error.message
  }
  return assert.fail('expected corrupt_row')
}

describe('checkRepositoryRow', () => {
  it('takes a row as repo add and repo set write it', () => {
    assert.equal(checkRepositoryRow(GOOD_REPOSITORY), GOOD_REPOSITORY)
    for (const path of ['', '.', 'stacks/web']) checkRepositoryRow({...GOOD_REPOSITORY, path})
    checkRepositoryRow({...GOOD_REPOSITORY, intervalMs: null})
    checkRepositoryRow({...GOOD_REPOSITORY, intervalMs: 1000, url: '/srv/git/webapp.git', authKind: 'token_env'})
  })

  const refused: Array<[string, Partial<Record<keyof RepositoryRow, unknown>>, RegExp]> = [
    ['a name that leads out of the home', {name: '../../victim'}, /repositories row 7, column name: "\.\.\/\.\.\/victim"/],
    ['an absolute name', {name: '/etc'}, /column name/],
    ['an upper-case name', {name: 'WebApp'}, /column name/],
    ['a path with ".."', {path: 'stacks/../../..'}, /column path/],
    ['a path going up', {path: '../elsewhere'}, /column path/],
    ['an absolute path', {path: '/etc'}, /column path/],
    ['a path under .git', {path: '.git/hooks'}, /column path/],
    ['a path not normalised', {path: 'stacks//web/'}, /column path/],
    ['an interval of 0', {intervalMs: 0}, /column interval_ms: "0"/],
    ['a negative interval', {intervalMs: -1000}, /column interval_ms/],
    ['an interval under a second', {intervalMs: 999}, /column interval_ms/],
    ['an interval that is text', {intervalMs: 'soon'}, /column interval_ms/],
    ['a branch git would read as an option', {branch: '--upload-pack=touch /tmp/x'}, /column branch/],
    ['a URL git would read as an option', {url: '-oProxyCommand=sh'}, /column url/],
    ['a remote helper', {url: 'ext::sh -c id'}, /column url/],
    ['a timestamp that is not one', {createdAt: new Date('yesterday-ish')}, /column created_at: not a timestamp/],
    ['a last error time that is not one', {lastErrorAt: new Date(Number.NaN)}, /column last_error_at/],
    ['an unknown kind of credentials', {authKind: 'password'}, /column auth_kind/],
  ]
  for (const [what, change, message] of refused) {
    it(`refuses ${what} as corrupt_row`, () => {
      assert.match(
        corruptMessage(() => checkRepositoryRow({...GOOD_REPOSITORY, ...change} as RepositoryRow)),
        message,
      )
    })
  }

  it('names the repository to remove in its hint when the name itself is sound', () => {
    try {
      checkRepositoryRow({...GOOD_REPOSITORY, intervalMs: 0})
    } catch (error) {
      assert.match((error as InvalidStateError).hint!, /kedge repo remove webapp/)
    }
  })

  it('quotes a name with control characters, keeping the message on one line', () => {
    assert.match(corruptMessage(() => checkRepositoryName('evil\nname', 1)), /"evil\\nname"/)
  })
})

describe('checkStackRow', () => {
  it('takes a row as repo add, sync, down and suspend write it', () => {
    assert.equal(checkStackRow(GOOD_STACK, 'webapp'), GOOD_STACK)
    for (const path of ['', '.', 'stacks/web']) checkStackRow({...GOOD_STACK, path}, 'webapp')
    for (const name of ['web', 'Web_2', 'api.v2', 'a-b']) checkStackRow({...GOOD_STACK, name}, 'webapp')
    checkStackRow({...GOOD_STACK, hold: 'down', heldAt: new Date(1_700_000_000_000)}, 'webapp')
    checkStackRow({...GOOD_STACK, hold: 'suspended', heldAt: new Date(1_700_000_000_000)}, 'webapp')
    checkStackRow({...GOOD_STACK, drift: null, pendingCommit: 'c'.repeat(40), pendingChanges: '[{"service":"web","action":"recreate"}]'}, 'webapp')
  })

  const refused: Array<[string, Partial<Record<keyof StackRow, unknown>>, RegExp]> = [
    ['a name that leads out of the home', {name: '../../victim'}, /stacks row 5, column name: "\.\.\/\.\.\/victim"/],
    ['a name with a slash', {name: 'web/api'}, /column name/],
    ['an empty name', {name: ''}, /column name/],
    ['a name starting with a dot', {name: '.hidden'}, /column name/],
    ['a name that is not text', {name: 42}, /column name/],
    ['a path with ".."', {path: 'stacks/../../..'}, /column path/],
    ['a path going up', {path: '../elsewhere'}, /column path/],
    ['an absolute path', {path: '/etc'}, /column path/],
    ['a path under .git', {path: '.git/hooks'}, /column path/],
    ['a path not normalised', {path: 'stacks//web/'}, /column path/],
    ['an unknown hold', {hold: 'paused'}, /column hold: "paused" is not down or suspended/],
    ['a creation time that is not one', {createdAt: new Date('yesterday-ish')}, /column created_at: not a timestamp/],
    ['a missing creation time', {createdAt: null}, /column created_at: not a timestamp/],
    ['a hold time that is not one', {heldAt: new Date(Number.NaN)}, /column held_at/],
    ['a last error time that is not one', {lastErrorAt: 'yesterday'}, /column last_error_at/],
    ['a drift check time that is not one', {driftCheckedAt: new Date(Number.NaN)}, /column drift_checked_at/],
    ['drift that is not JSON', {drift: '{broken'}, /column drift: not JSON/],
    ['drift that is not a list', {drift: '{"web":"stopped"}'}, /column drift: not a JSON list/],
    ['pending changes that are not JSON', {pendingChanges: '[{'}, /column pending_changes: not JSON/],
    ['pending changes that are not a list', {pendingChanges: '{"a":1}'}, /column pending_changes: not a JSON list/],
  ]
  for (const [what, change, message] of refused) {
    it(`refuses ${what} as corrupt_row`, () => {
      assert.match(corruptMessage(() => checkStackRow({...GOOD_STACK, ...change} as StackRow, 'webapp')), message)
    })
  }

  it('names the repository to remove in its hint', () => {
    try {
      checkStackRow({...GOOD_STACK, hold: 'paused'} as unknown as StackRow, 'webapp')
      assert.fail('expected corrupt_row')
    } catch (error) {
      assert.match((error as InvalidStateError).hint!, /kedge repo remove webapp/)
    }
  })

  it('quotes a name with control characters, keeping the message on one line', () => {
    assert.match(corruptMessage(() => checkStackRow({...GOOD_STACK, name: 'evil\nname'}, 'webapp')), /"evil\\nname"/)
  })
})

describe('checkDeploymentRow', () => {
  it('takes a row as kedge writes it', () => {
    assert.equal(checkDeploymentRow(GOOD_DEPLOYMENT), GOOD_DEPLOYMENT)
  })

  for (const [what, change, message] of [
    ['a start that is not a time', {startedAt: new Date('garbage')}, /deployments row 3, column started_at/],
    ['an end that is not a time', {finishedAt: new Date(8.64e15 + 1)}, /column finished_at/],
    ['an unknown status', {status: 'great'}, /column status/],
    ['a commit that is not an id', {commit: '../x'}, /column commit/],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.match(corruptMessage(() => checkDeploymentRow({...GOOD_DEPLOYMENT, ...change} as DeploymentRow)), message)
    })
  }

  it('shows a damaged time as null rather than failing', () => {
    assert.equal(isoTimeOrNull(new Date('garbage')), null)
    assert.equal(isoTimeOrNull(null), null)
    assert.equal(isoTimeOrNull(new Date(0)), '1970-01-01T00:00:00.000Z')
  })
})

describe('parseSnapshot', () => {
  it('takes a snapshot as kedge writes it, compose files reaching up to the repository root', () => {
    assert.deepEqual(parseSnapshot(JSON.stringify(SNAPSHOT), 3), SNAPSHOT)
    assert.equal(parseSnapshot(null), null)
    assert.equal(parseSnapshot(JSON.stringify({...SNAPSHOT, version: 2})), null)
  })

  const refused: Array<[string, unknown, RegExp]> = [
    ['text that is not JSON', '{"version": 1, ', /deployments row 3, column snapshot: not JSON/],
    ['a compose file leaving the repository', {...SNAPSHOT, composeFiles: [{path: '../../../../etc/cron.d/x', content: ''}]}, /compose file "\.\.\/\.\.\/\.\.\/\.\.\/etc\/cron\.d\/x" leaves/],
    ['an absolute compose file', {...SNAPSHOT, composeFiles: [{path: '/etc/passwd', content: ''}]}, /compose file/],
    ['a compose file under .git', {...SNAPSHOT, composeFiles: [{path: '../../.git/hooks/post-checkout', content: ''}]}, /compose file/],
    ['a kedge.yaml leaving the repository', {...SNAPSHOT, kedgeConfig: {path: '../kedge.yaml', content: ''}}, /kedge\.yaml path/],
    ['a stack path leaving the repository', {...SNAPSHOT, stackPath: '../..'}, /stackPath/],
    ['a placed path leaving the repository', {...SNAPSHOT, placedPaths: ['ok', '../../secret']}, /placed path "\.\.\/\.\.\/secret"/],
    ['a commit that is not an id', {...SNAPSHOT, commit: '../../x'}, /commit/],
    ['a project that is not a Compose name', {...SNAPSHOT, project: 'Web App'}, /project/],
    ['compose files that are not a list', {...SNAPSHOT, composeFiles: 'compose.yaml'}, /must be lists/],
  ]
  for (const [what, snapshot, message] of refused) {
    it(`refuses ${what} as corrupt_row`, () => {
      const text = typeof snapshot === 'string' ? snapshot : JSON.stringify(snapshot)
      assert.match(corruptMessage(() => parseSnapshot(text, 3)), message)
    })
  }
})

describe('isContainedPath', () => {
  it('takes paths inside a root and refuses the rest', () => {
    for (const inside of ['', '.', 'a', 'a/b', 'a/../b', './a']) assert.ok(isContainedPath(inside), inside)
    for (const outside of ['..', '../a', 'a/../..', '/a', 'a\\..\\..', '.git', 'a/.git/config', 'a\0b', 42, null]) assert.ok(!isContainedPath(outside), String(outside))
  })
})

describe('insideHome', () => {
  const home = {root: path.resolve('/srv/kedge')}
  it('returns a path inside the home, resolved', () => {
    assert.equal(insideHome(home, '/srv/kedge/repos/webapp'), path.resolve('/srv/kedge/repos/webapp'))
    assert.equal(insideHome(home, '/srv/kedge/stacks/../repos/x'), path.resolve('/srv/kedge/repos/x'))
  })

  for (const outside of ['/srv/kedge/repos/../../victim', '/srv/kedge', '/srv/kedge-other/x', '/etc', '/srv/kedge/..']) {
    it(`refuses ${outside}`, () => {
      assert.throws(() => insideHome(home, outside), (error: unknown) => error instanceof InvalidStateError && error.code === 'outside_home')
    })
  }

  it('checks a relative entry against its own directory', () => {
    assert.equal(insideDirectory('/srv/kedge/releases/webapp', 'abc123'), path.resolve('/srv/kedge/releases/webapp/abc123'))
    assert.throws(() => insideDirectory('/srv/kedge/releases/webapp', '../../../etc'), /not inside/)
  })
})
