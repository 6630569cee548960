import assert from 'node:assert/strict'
import {existsSync, mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {closeDatabase, openDatabase} from '../../src/store/database.js'
import {finishDeployment, startDeployment} from '../../src/store/deployments.js'
import {insertRepository} from '../../src/store/repositories.js'
import {insertStack} from '../../src/store/stacks.js'
import {runKedge} from '../helpers/cli.js'
import {containerIds} from '../helpers/docker.js'
import {git, GitRemote, SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {homeContents, type HomeContents} from '../helpers/home-state.js'
import {postDeclaringSize, request} from '../helpers/http.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack, uniqueName, type TestStack} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'
import {waitFor} from '../helpers/wait.js'

/**
 * A corpus of malformed input, table by table. Each case must be refused with one line naming the problem
 * (and at most a hint), the exit code for what it is (2 refused input, 1 an external failure) or the API's
 * status and stable code, and leave everything as it was: every row of the database, every file under the
 * home, the stack's containers. One home and one deployed stack serve every table that needs no other.
 */

interface Fixture {
  stack: TestStack
  /** The commits of the stack's two successful deployments, oldest first. */
  deployed: [string, string]
  /** A remote that is not registered: repo add of it gets as far as its flags let it. */
  spare: GitRemote
  /** A temp directory for files that must not appear (injected commands would create them). */
  scratch: string
}

interface CliCase {
  name: string
  args: (fixture: Fixture) => string[]
  expectExit: number
  /** Matched against the error line. */
  expectMessage: RegExp
  /** Runs after the command: what else must hold. */
  check?: (fixture: Fixture) => void
}

const ONE_LINE_ERROR = /^Error: [^\n]+\n(Hint: [^\n]+\n)?$/
/** Cases that only read run a few at a time: every one of them must leave the home as the table found it. */
const CONCURRENCY = 6

let fixture: Fixture

/**
 * A case's clone in `staging/` while it checks a repository: cases run side by side see each other's, so
 * each case compares the home without them, and the table checks that none is left once all have run.
 */
const withoutStaging = (contents: HomeContents): HomeContents => ({...contents, files: contents.files.filter((file) => !file.startsWith('staging/'))})

/** Runs a case against the shared home; checks the refusal, and that the home is as the table found it. */
async function assertRefused(testCase: CliCase, baseline: HomeContents): Promise<void> {
  const result = await runKedge(testCase.args(fixture), {home: fixture.stack.home, timeoutMs: 30_000})
  assert.equal(result.code, testCase.expectExit, `exit code; stdout: ${result.stdout} stderr: ${result.stderr}`)
  assert.equal(result.stdout, '')
  assert.match(result.stderr, ONE_LINE_ERROR)
  assert.match(result.stderr.split('\n')[0]!, testCase.expectMessage)
  testCase.check?.(fixture)
  assert.deepEqual(withoutStaging(homeContents(fixture.stack.home)), withoutStaging(baseline), 'the home changed')
}

/**
 * One `it` per case, a few at a time, against what the shared home is when the table starts; the stack's
 * containers, which no case of a table may touch, are checked once the table is done.
 */
function refusalTable(title: string, cases: CliCase[]): void {
  describe(title, {concurrency: CONCURRENCY}, () => {
    let baseline: HomeContents
    let containers: Record<string, string[]>
    before(() => {
      baseline = homeContents(fixture.stack.home)
      containers = containerIds(fixture.stack.name)
    })
    after(() => {
      assert.deepEqual(homeContents(fixture.stack.home), baseline, 'a refused command left something behind')
      assert.deepEqual(containerIds(fixture.stack.name), containers, "the stack's containers changed")
    })
    for (const testCase of cases) it(testCase.name, () => assertRefused(testCase, baseline))
  })
}

const marker = (name: string) => path.join(fixture.scratch, name)
const notCreated = (name: string) => () => assert.equal(existsSync(marker(name)), false, `${marker(name)} was created: a command ran`)

/** A prefix of 8 hexadecimal digits that no deployed commit starts with. */
function unknownPrefix(commits: string[]): string {
  for (let n = 0; ; n++) {
    const prefix = n.toString(16).padStart(8, '0')
    if (!commits.some((commit) => commit.startsWith(prefix))) return prefix
  }
}

/** The shared home, with a stack deployed twice. */
async function deployedFixture(): Promise<Fixture> {
  const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE})
  const sync = async () => {
    const result = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(result.code, 0, result.stderr)
    return stack.remote.head()
  }
  const first = await sync()
  // A second deployment, of a commit that changes no service: quick, and two commits to roll back between.
  stack.remote.commit({'README.md': 'second\n'})
  const second = await sync()
  return {stack, deployed: [first, second], spare: GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE}), scratch: tempDir('kedge-bad-input-')}
}

// The fixture is built while the suite is collected, so that the helpers' clean-up (their `after`) belongs to
// the suite: registered from a `before` hook, it would run as soon as the hook ends.
describe('bad input', {timeout: 480_000}, async () => {
  fixture = await deployedFixture()

  const kedgeYamlCases: Array<{name: string; kedgeYaml: string | Buffer; expectMessage: RegExp}> = [
    {name: 'not YAML', kedgeYaml: 'docker: [\n', expectMessage: /^Error: kedge\.yaml: invalid YAML: line \d+, column \d+: /},
    {name: 'YAML that is only punctuation', kedgeYaml: ': : :\n\t- ]\n', expectMessage: /^Error: kedge\.yaml: invalid YAML: /},
    {name: 'a list', kedgeYaml: '- docker\n- reconciliation\n', expectMessage: /^Error: kedge\.yaml: expected a mapping at the top level$/},
    {name: 'a scalar', kedgeYaml: 'just some words\n', expectMessage: /^Error: kedge\.yaml: expected a mapping at the top level$/},
    {name: 'an unknown top-level key', kedgeYaml: 'reconcilation:\n  mode: auto\n', expectMessage: /^Error: kedge\.yaml: reconcilation: unknown field \(expected docker, reconciliation, logging/},
    {name: 'an unknown nested key', kedgeYaml: 'reconciliation:\n  mood: auto\n', expectMessage: /^Error: kedge\.yaml: reconciliation\.mood: unknown field \(expected mode, interval/},
    {name: 'an unknown key holding a newline', kedgeYaml: '"a\\nb": 1\n', expectMessage: /^Error: kedge\.yaml: "a\\nb": unknown field/},
    {name: 'a section that is not a mapping', kedgeYaml: 'docker: web\n', expectMessage: /^Error: kedge\.yaml: docker: expected a mapping$/},
    {name: 'mode: 3', kedgeYaml: 'reconciliation:\n  mode: 3\n', expectMessage: /^Error: kedge\.yaml: reconciliation\.mode: expected one of auto, notify, manual$/},
    {name: 'mode: sometimes', kedgeYaml: 'reconciliation:\n  mode: sometimes\n', expectMessage: /^Error: kedge\.yaml: reconciliation\.mode: expected one of auto, notify, manual$/},
    {name: 'prune: maybe', kedgeYaml: 'reconciliation:\n  prune: maybe\n', expectMessage: /^Error: kedge\.yaml: reconciliation\.prune: expected true or false$/},
    {name: 'max_heals: 2.5', kedgeYaml: 'reconciliation:\n  max_heals: 2.5\n', expectMessage: /^Error: kedge\.yaml: reconciliation\.max_heals: expected a whole number$/},
    {name: 'keep_releases: 0', kedgeYaml: 'reconciliation:\n  keep_releases: 0\n', expectMessage: /^Error: kedge\.yaml: reconciliation\.keep_releases: expected 1 or more$/},
    {name: 'interval: "10 parsecs"', kedgeYaml: 'reconciliation:\n  interval: 10 parsecs\n', expectMessage: /^Error: kedge\.yaml: reconciliation\.interval: expected a duration such as .*, got "10 parsecs"$/},
    {name: 'a negative interval', kedgeYaml: 'reconciliation:\n  interval: -5s\n', expectMessage: /reconciliation\.interval: expected a duration .*, got "-5s"$/},
    {name: 'a zero interval', kedgeYaml: 'reconciliation:\n  interval: 0\n', expectMessage: /reconciliation\.interval: expected a duration .*, got 0$/},
    {name: 'an interval longer than a timer can wait', kedgeYaml: 'reconciliation:\n  interval: 999999h\n', expectMessage: /reconciliation\.interval: expected a duration .*at most 8760h, got "999999h"$/},
    {name: 'an interval of 400 digits', kedgeYaml: `reconciliation:\n  interval: ${'9'.repeat(400)}\n`, expectMessage: /reconciliation\.interval: expected a duration/},
    {name: 'a negative health_timeout', kedgeYaml: 'reconciliation:\n  health_timeout: -1m\n', expectMessage: /reconciliation\.health_timeout: expected a duration .*, got "-1m"$/},
    {name: 'a compose file escaping the repository', kedgeYaml: 'docker:\n  compose_file: ../x.yaml\n', expectMessage: /^Error: kedge\.yaml: docker\.compose_file: "\.\.\/x\.yaml" is outside the repository$/},
    {name: 'an absolute compose file', kedgeYaml: 'docker:\n  compose_file: /etc/passwd\n', expectMessage: /^Error: kedge\.yaml: docker\.compose_file: "\/etc\/passwd" is outside the repository$/},
    {name: 'a compose file the branch lacks', kedgeYaml: 'docker:\n  compose_file: [docker-compose.yaml, prod.yaml]\n', expectMessage: /^Error: kedge\.yaml: docker\.compose_file: "prod\.yaml" does not exist$/},
    {name: 'an empty list of compose files', kedgeYaml: 'docker:\n  compose_file: []\n', expectMessage: /^Error: kedge\.yaml: docker\.compose_file: expected /},
    {name: 'a project name Compose refuses', kedgeYaml: 'docker:\n  project_name: My App\n', expectMessage: /^Error: kedge\.yaml: docker\.project_name: expected lower-case letters, digits/},
    {name: 'a value of 200 KB', kedgeYaml: `reconciliation:\n  interval: ${'a'.repeat(200 * 1024)}\n`, expectMessage: /^Error: kedge\.yaml: reconciliation\.interval: expected a duration .*, got "a{80}…"$/},
    {name: 'a NUL byte in a value', kedgeYaml: 'reconciliation:\n  mode: auto\u0000\n', expectMessage: /reconciliation\.mode: expected one of auto, notify, manual$/},
    {name: 'invalid UTF-8 in a value', kedgeYaml: Buffer.from([...Buffer.from('reconciliation:\n  mode: '), 0xff, 0xfe, 0x0a]), expectMessage: /reconciliation\.mode: expected one of auto, notify, manual$/},
    {name: 'a duplicate key', kedgeYaml: 'docker: {}\ndocker: {}\n', expectMessage: /^Error: kedge\.yaml: invalid YAML: line 2, column 1: Map keys must be unique$/},
    {name: 'two YAML documents', kedgeYaml: 'docker: {}\n---\nlogging: {}\n', expectMessage: /^Error: kedge\.yaml: invalid YAML: .*multiple documents/},
    {name: 'an unknown tag (no parser warning beside the error)', kedgeYaml: 'docker: !!js/function "x"\n', expectMessage: /^Error: kedge\.yaml: docker: expected a mapping$/},
    {
      name: 'an alias bomb',
      kedgeYaml: ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefg'.split('').map((name, n) => `${name}: &${name} [${Array(9).fill(`*${'abcdefg'[n]}`).join(', ')}]`)].join('\n'),
      expectMessage: /^Error: kedge\.yaml: invalid YAML: Excessive alias count/,
    },
  ]
  // One remote, a branch per case, each holding a good compose file and the case's kedge.yaml.
  const kedgeYamlRemote = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE})
  kedgeYamlCases.forEach(({name, kedgeYaml}, n) => kedgeYamlRemote.commitOnBranch(`case-${n}`, {'kedge.yaml': kedgeYaml}, name))
  refusalTable(
    'kedge.yaml, through repo add of a branch that holds it',
    kedgeYamlCases.map(({name, expectMessage}, n) => ({name, args: () => ['repo', 'add', kedgeYamlRemote.fileUrl, '--branch', `case-${n}`], expectExit: 2, expectMessage})),
  )

  it('an empty kedge.yaml means all defaults, as a missing one does (accepted, not refused)', async () => {
    const remote = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': ''})
    const added = await runKedge(['repo', 'add', remote.fileUrl, '--json'], {home: tempDir()})
    assert.equal(added.code, 0, added.stdout)
    assert.equal(JSON.parse(added.stdout).checkout.mode, 'auto')
  })

  refusalTable('URLs for repo add', [
    {name: 'empty', args: () => ['repo', 'add', ''], expectExit: 2, expectMessage: /^Error: invalid repository URL "": it is empty$/},
    {name: '"not a url"', args: () => ['repo', 'add', 'not a url'], expectExit: 2, expectMessage: /^Error: invalid repository URL "not a url": it contains white space/},
    {name: 'ftp://', args: () => ['repo', 'add', 'ftp://host/x.git'], expectExit: 2, expectMessage: /^Error: invalid repository URL "ftp:\/\/host\/x\.git": the scheme "ftp" is not supported$/},
    {name: 'http:// without a host', args: () => ['repo', 'add', 'http://'], expectExit: 2, expectMessage: /^Error: invalid repository URL "http:\/\/": it is not a valid URL$/},
    {name: 'a file:// URL naming a host', args: () => ['repo', 'add', 'file://host/x.git'], expectExit: 2, expectMessage: /a file:\/\/ URL cannot name a host$/},
    {
      name: 'a password in the URL (refused, and not echoed)',
      args: () => ['repo', 'add', 'http://user:hunter2@host/x.git'],
      expectExit: 2,
      expectMessage: /^Error: invalid repository URL "http:\/\/\*\*\*@host\/x\.git": it contains a password$/,
    },
    {
      name: 'a token-shaped user name',
      args: () => ['repo', 'add', `https://ghp_${'a1B2'.repeat(9)}@github.com/acme/x.git`],
      expectExit: 2,
      expectMessage: /^Error: invalid repository URL: its user name looks like a token, which would be stored in plain text$/,
    },
    {
      name: 'a file:// URL of a directory that is not a repository',
      args: ({scratch}) => ['repo', 'add', `file://${scratch}`],
      expectExit: 1,
      expectMessage: /^Error: git could not reach file:\/\/.*: .*does not appear to be a git repository$/,
    },
    {name: 'a path that does not exist', args: ({scratch}) => ['repo', 'add', path.join(scratch, 'nope.git')], expectExit: 1, expectMessage: /^Error: git could not reach \/.*nope\.git: .*does not appear to be a git repository$/},
    {name: 'a relative path', args: () => ['repo', 'add', 'some/dir'], expectExit: 2, expectMessage: /it is neither a URL nor an absolute path$/},
    {name: 'a newline', args: ({spare}) => ['repo', 'add', `${spare.bareDir}\nfile:///etc`], expectExit: 2, expectMessage: /^Error: invalid repository URL ".*\\nfile:\/\/\/etc": it contains white space or control characters$/},
    {name: 'a control character', args: () => ['repo', 'add', 'https://host/a\u0001b.git'], expectExit: 2, expectMessage: /^Error: invalid repository URL "https:\/\/host\/a\\u0001b\.git": it contains white space or control characters$/},
    {name: 'shell: ";rm -rf /"', args: () => ['repo', 'add', ';rm -rf /'], expectExit: 2, expectMessage: /^Error: invalid repository URL ";rm -rf \/": it contains white space/},
    {name: 'shell: ";touch" without spaces', args: () => ['repo', 'add', `;touch\${IFS}${marker('semicolon')}`], expectExit: 2, expectMessage: /it is neither a URL nor an absolute path$/, check: notCreated('semicolon')},
    {name: 'shell: $(id)', args: () => ['repo', 'add', '$(id)'], expectExit: 2, expectMessage: /^Error: invalid repository URL "\$\(id\)": it is neither a URL nor an absolute path$/},
    {
      name: 'shell: $(touch) inside an absolute path reaches git as a plain path',
      args: () => ['repo', 'add', `/nonexistent/x$(touch\${IFS}${marker('dollar')})`, '--name', 'dollar'],
      expectExit: 1,
      expectMessage: /^Error: git could not reach \/nonexistent\/x\$\(touch\$\{IFS\}.*does not appear to be a git repository$/,
      check: notCreated('dollar'),
    },
    {
      name: 'shell: backticks inside an absolute path',
      args: () => ['repo', 'add', `/nonexistent/\`touch\${IFS}${marker('backtick')}\``, '--name', 'backtick'],
      expectExit: 1,
      expectMessage: /does not appear to be a git repository$/,
      check: notCreated('backtick'),
    },
    {name: 'option injection: --upload-pack as the URL', args: () => ['repo', 'add', `--upload-pack=touch ${marker('upload-pack')}`], expectExit: 2, expectMessage: /^Error: Nonexistent flag: --upload-pack=touch /, check: notCreated('upload-pack')},
    {
      name: 'option injection: --upload-pack after --',
      args: () => ['repo', 'add', '--', `--upload-pack=touch ${marker('upload-pack-2')}`],
      expectExit: 2,
      expectMessage: /^Error: invalid repository URL "--upload-pack=touch .*": it starts with "-"$/,
      check: notCreated('upload-pack-2'),
    },
    {name: 'option injection: -u', args: () => ['repo', 'add', '--', `-utouch${marker('dash-u')}`], expectExit: 2, expectMessage: /it starts with "-"$/, check: notCreated('dash-u')},
    {
      name: 'option injection: an ssh host starting with "-"',
      args: () => ['repo', 'add', `ssh://-oProxyCommand=touch%20${marker('proxy')}/x.git`],
      expectExit: 2,
      expectMessage: /^Error: invalid repository URL "ssh:\/\/-oProxyCommand=.*": its host or user name starts with "-"$/,
      check: notCreated('proxy'),
    },
    {
      name: 'option injection: a percent-encoded "-" starting an ssh host',
      args: () => ['repo', 'add', `ssh://%2DoProxyCommand=touch%20${marker('encoded-proxy')}/x.git`],
      expectExit: 2,
      expectMessage: /its host or user name starts with "-"$/,
      check: notCreated('encoded-proxy'),
    },
    {name: 'option injection: an scp-style host starting with "-"', args: () => ['repo', 'add', 'git@-oProxyCommand:org/x.git'], expectExit: 2, expectMessage: /its host or user name starts with "-"$/},
    {
      name: 'a git remote helper',
      args: () => ['repo', 'add', `ext::sh\${IFS}-c\${IFS}touch\${IFS}${marker('ext')}`],
      expectExit: 2,
      expectMessage: /git remote helpers \("transport::address"\) are not supported$/,
      check: notCreated('ext'),
    },
  ])

  refusalTable('names and branches', [
    {name: 'an empty --name', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--name='], expectExit: 2, expectMessage: /^Error: invalid repository name ""$/},
    {name: '--name ..', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--name', '..'], expectExit: 2, expectMessage: /^Error: invalid repository name "\.\."$/},
    {name: '--name a/b', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--name', 'a/b'], expectExit: 2, expectMessage: /^Error: invalid repository name "a\/b"$/},
    {name: 'a name over 63 characters', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--name', 'n'.repeat(64)], expectExit: 2, expectMessage: /^Error: invalid repository name "n{64}"$/},
    {name: 'a name with a leading dash', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--name=-x'], expectExit: 2, expectMessage: /^Error: invalid repository name "-x"$/},
    {name: 'a name with a space', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--name', 'my app'], expectExit: 2, expectMessage: /^Error: invalid repository name "my app"$/},
    {name: 'a name in unicode', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--name', 'café'], expectExit: 2, expectMessage: /^Error: invalid repository name "café"$/},
    {name: 'a name with a newline', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--name', 'a\nb'], expectExit: 2, expectMessage: /^Error: invalid repository name "a\\nb"$/},
    // Upper case is not refused: it is lowered, as Compose project names must be.
    {name: 'a duplicate name', args: ({spare, stack}) => ['repo', 'add', spare.fileUrl, '--name', stack.name], expectExit: 2, expectMessage: /^Error: a repository named "kt-[0-9a-f]+" is already registered \(file:\/\//},
    {name: 'a duplicate name in upper case', args: ({spare, stack}) => ['repo', 'add', spare.fileUrl, '--name', stack.name.toUpperCase()], expectExit: 2, expectMessage: /is already registered/},
    {name: 'a branch that does not exist', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--branch', 'develop'], expectExit: 2, expectMessage: /^Error: branch "develop" does not exist on file:\/\/.*: it has main$/},
    {name: 'HEAD as the branch', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--branch', 'HEAD'], expectExit: 2, expectMessage: /^Error: branch "HEAD" does not exist on .*: it has main$/},
    {name: 'a branch with ..', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--branch', 'a..b'], expectExit: 2, expectMessage: /^Error: invalid branch name "a\.\.b"$/},
    {name: 'a branch -x', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--branch=-x'], expectExit: 2, expectMessage: /^Error: invalid branch name "-x"$/},
    {name: 'a branch with @{', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--branch', 'main@{1}'], expectExit: 2, expectMessage: /^Error: invalid branch name "main@\{1\}"$/},
    {name: 'a branch main~1', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--branch', 'main~1'], expectExit: 2, expectMessage: /^Error: invalid branch name "main~1"$/},
    {name: 'a branch with a newline', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--branch', 'main\nx'], expectExit: 2, expectMessage: /^Error: invalid branch name "main\\nx"$/},
    {name: 'a --path escaping the repository', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--path', '../x'], expectExit: 2, expectMessage: /^Error: invalid path "\.\.\/x": it must stay inside the repository$/},
    {name: 'a --path the branch lacks', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--path', 'stacks/web'], expectExit: 2, expectMessage: /^Error: path "stacks\/web" does not exist on branch "main"$/},
    ...['status', 'history', 'sync', 'diff'].map((command) => ({
      name: `an unknown repository for ${command}`,
      args: () => [command, '--repo', 'nope'],
      expectExit: 2,
      expectMessage: /^Error: no repository named "nope"$/,
    })),
    {name: 'an unknown repository for rollback', args: () => ['rollback', '--repo', 'nope', 'abcd1234'], expectExit: 2, expectMessage: /^Error: no repository named "nope"$/},
    {name: 'an unknown repository for repo remove', args: () => ['repo', 'remove', 'nope', '--down'], expectExit: 2, expectMessage: /^Error: no repository named "nope"$/},
    {name: 'repo remove --purge without --yes or a terminal', args: ({stack}) => ['repo', 'remove', stack.name, '--purge'], expectExit: 2, expectMessage: /^Error: --purge deletes \/.* and everything in it; refusing without --yes \(standard input is not a terminal\)$/},
    {name: 'an empty --repo for status', args: () => ['status', '--repo='], expectExit: 2, expectMessage: /^Error: no repository given$/},
    {name: 'a --repo with a newline', args: ({stack}) => ['history', '--repo', `${stack.name}\nx`], expectExit: 2, expectMessage: /^Error: no repository named "kt-[0-9a-f]+\\nx"$/},
  ])

  describe('commit prefixes for rollback', () => {
    // An ambiguous prefix needs two successful deployments whose commits share it: two real ones would take
    // hundreds of commits to find, so they are recorded directly for a repository of their own.
    const ambiguous = uniqueName('kt-ambiguous')
    before(() => {
      const db = openDatabase(path.join(fixture.stack.home, 'kedge.db'))
      try {
        const repository = insertRepository(db, {name: ambiguous, url: '/nonexistent/ambiguous.git', branch: 'main', path: '.', createdAt: new Date()})
        const stack = insertStack(db, {repositoryId: repository.id, name: ambiguous, path: '.', createdAt: new Date()})
        for (const commit of ['abcd1111'.padEnd(40, '1'), 'abcd2222'.padEnd(40, '2')]) {
          finishDeployment(db, startDeployment(db, {repositoryId: repository.id, stackId: stack.id, commit, trigger: 'git'}).id, {status: 'success', snapshot: null})
        }
      } finally {
        closeDatabase(db)
      }
    })
    after(async () => {
      assert.equal((await runKedge(['repo', 'remove', ambiguous], {home: fixture.stack.home})).code, 0)
    })

    const rollback = (commit: string) => ({stack}: Fixture) => ['rollback', '--repo', stack.name, commit]
    refusalTable('refused', [
      {name: 'too short', args: rollback('abc'), expectExit: 2, expectMessage: /^Error: invalid commit "abc": expected at least 4 hexadecimal digits of a commit$/},
      {name: 'not hexadecimal', args: rollback('xyz!'), expectExit: 2, expectMessage: /^Error: invalid commit "xyz!": expected at least 4 hexadecimal digits/},
      {name: 'longer than a commit', args: rollback('a'.repeat(65)), expectExit: 2, expectMessage: /^Error: invalid commit "a{65}"/},
      {name: 'a branch name', args: rollback('main'), expectExit: 2, expectMessage: /^Error: invalid commit "main"/},
      {name: 'HEAD~1', args: rollback('HEAD~1'), expectExit: 2, expectMessage: /^Error: invalid commit "HEAD~1"/},
      {name: 'option-looking --x', args: ({stack}) => ['rollback', '--repo', stack.name, '--x'], expectExit: 2, expectMessage: /^Error: Nonexistent flag: --x$/},
      {name: 'option-looking --x after --', args: ({stack}) => ['rollback', '--repo', stack.name, '--', '--x'], expectExit: 2, expectMessage: /^Error: invalid commit "--x"/},
      {name: 'a newline', args: rollback('abcd\n1234'), expectExit: 2, expectMessage: /^Error: invalid commit "abcd\\n1234"/},
      {
        name: 'unknown',
        args: ({stack, deployed}) => ['rollback', '--repo', stack.name, unknownPrefix(deployed)],
        expectExit: 2,
        expectMessage: /^Error: no successful deployment of kt-[0-9a-f]+ has a commit starting with "[0-9a-f]{8}"$/,
      },
      {name: 'ambiguous', args: () => ['rollback', '--repo', ambiguous, 'abcd'], expectExit: 2, expectMessage: /^Error: commit "abcd" is ambiguous: abcd22222222 \(.*\), abcd11111111 \(.*\)$/},
      {name: 'a missing commit', args: ({stack}) => ['rollback', '--repo', stack.name], expectExit: 2, expectMessage: /^Error: Missing 1 required arg: commit$/},
    ])
  })

  refusalTable('flags', [
    {name: 'an unknown flag', args: () => ['status', '--bogus'], expectExit: 2, expectMessage: /^Error: Nonexistent flag: --bogus$/},
    {name: 'an unknown command', args: () => ['frobnicate'], expectExit: 2, expectMessage: /^Error: unknown command "frobnicate"$/},
    {name: 'no repository, as argument or --repo', args: () => ['history'], expectExit: 2, expectMessage: /^Error: no repository given$/},
    {name: '--interval garbage', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--interval', 'soonish'], expectExit: 2, expectMessage: /^Error: invalid interval "soonish": expected a duration/},
    {name: '--interval 0', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--interval', '0'], expectExit: 2, expectMessage: /^Error: invalid interval "0": /},
    {name: '--interval negative', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--interval=-5s'], expectExit: 2, expectMessage: /^Error: invalid interval "-5s": /},
    {name: '--interval under a second', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--interval', '500ms'], expectExit: 2, expectMessage: /^Error: invalid interval "500ms": .*at least 1s$/},
    {name: '--interval longer than a timer can wait', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--interval', '999999h'], expectExit: 2, expectMessage: /^Error: invalid interval "999999h": .*at most 8760h/},
    {name: '--interval with a newline', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--interval', '5m\n5s'], expectExit: 2, expectMessage: /^Error: invalid interval "5m\\n5s"/},
    {name: '--limit negative', args: ({stack}) => ['history', '--repo', stack.name, '--limit=-1'], expectExit: 2, expectMessage: /^Error: invalid --limit: expected an integer greater than or equal to 1 but received: -1$/},
    {name: '--limit 0', args: ({stack}) => ['history', '--repo', stack.name, '--limit', '0'], expectExit: 2, expectMessage: /^Error: invalid --limit: expected an integer greater than or equal to 1/},
    {name: '--limit not a number', args: ({stack}) => ['history', '--repo', stack.name, '--limit', 'ten'], expectExit: 2, expectMessage: /^Error: invalid --limit: expected an integer but received: ten$/},
    {name: '--limit too large', args: ({stack}) => ['history', '--repo', stack.name, '--limit', '1e9'], expectExit: 2, expectMessage: /^Error: invalid --limit: expected an integer/},
    {
      name: '--ssh-key with --token-env',
      args: ({spare, scratch}) => ['repo', 'add', spare.fileUrl, '--token-env', 'KEDGE_TEST_TOKEN', '--ssh-key', path.join(scratch, 'key')],
      expectExit: 2,
      expectMessage: /cannot also be provided when using --(token-env|ssh-key)$/,
    },
    {name: '--token-stdin with --token-env', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--token-stdin', '--token-env', 'KEDGE_TEST_TOKEN'], expectExit: 2, expectMessage: /cannot also be provided when using --token-/},
    {name: '--token-stdin with --webhook-secret-stdin', args: ({spare}) => ['repo', 'add', spare.fileUrl, '--token-stdin', '--webhook-secret-stdin'], expectExit: 2, expectMessage: /cannot also be provided when using --(token|webhook-secret)-stdin$/},
    {name: '--known-hosts without --ssh-key', args: ({spare, scratch}) => ['repo', 'add', spare.fileUrl, '--known-hosts', path.join(scratch, 'known_hosts')], expectExit: 2, expectMessage: /^Error: All of the following must be provided when using --known-hosts: --ssh-key$/},
    {name: 'serve --interval 0', args: () => ['serve', '--interval', '0'], expectExit: 2, expectMessage: /^Error: invalid interval "0": /},
    {name: 'serve --listen garbage', args: () => ['serve', '--listen', 'everywhere'], expectExit: 2, expectMessage: /^Error: invalid --listen "everywhere": expected HOST:PORT/},
    {name: 'serve --log-level loud', args: () => ['serve', '--log-level', 'loud'], expectExit: 2, expectMessage: /^Error: Expected --log-level=loud to be one of: debug, info, warn, error$/},
  ])

  describe('compose files, through kedge sync of a commit that holds them', () => {
    // A bind mount outside the repository is not among these: kedge does not refuse one (a compose file may
    // mount any host path, absolute ones too; the repository is trusted with the Docker engine), it only
    // leaves it out of its hash of the service.
    const cases: Array<{name: string; compose: string; expectExit: number; expectMessage: RegExp; debugShows?: RegExp}> = [
      {name: 'not YAML', compose: 'services:\n  web: [unclosed\n', expectExit: 1, expectMessage: /^Error: compose could not validate the compose files: .*(while parsing|expected)/},
      {name: 'no services', compose: "version: '3'\n", expectExit: 2, expectMessage: /^Error: docker-compose\.yaml: services: none defined; kedge does not deploy an empty stack$/},
      {name: 'a service with neither image nor build', compose: 'services:\n  web:\n    command: sh\n', expectExit: 1, expectMessage: /service "?web"? has neither an image nor a build context/i},
      // Both Compose versions' refusals name the service and the field (v2 alone names only the value).
      {name: 'an invalid port', compose: `${SIMPLE_COMPOSE}    ports:\n      - notaport\n`, expectExit: 1, expectMessage: /^Error: compose could not validate the compose files: .*(services\.web\.ports|service "web" ports)/, debugShows: /Caused by: Error: Compose printed:\n.*notaport|Caused by: Error: Compose printed:\n(.*\n)*.*services\.web\.ports/},
      {name: 'an unknown top-level key', compose: `${SIMPLE_COMPOSE}servicez: {}\n`, expectExit: 1, expectMessage: /^Error: compose could not validate the compose files: .*servicez/},
      {name: 'bad interpolation', compose: 'services:\n  web:\n    image: kedge-test/busybox:${TAG\n', expectExit: 1, expectMessage: /invalid interpolation format/i},
      {name: 'an env_file that does not exist', compose: `${SIMPLE_COMPOSE}    env_file: missing.env\n`, expectExit: 1, expectMessage: /^Error: compose could not validate the compose files: .*missing\.env/},
    ]
    for (const testCase of cases) {
      it(testCase.name, async () => {
        const {stack, deployed} = fixture
        const before = homeContents(stack.home)
        const running = containerIds(stack.name)
        const bad = stack.remote.commit({'docker-compose.yaml': testCase.compose}, testCase.name)
        const result = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
        assert.equal(result.code, testCase.expectExit, result.stderr)
        assert.equal(result.stdout, '')
        assert.match(result.stderr, ONE_LINE_ERROR)
        assert.match(result.stderr.split('\n')[0]!, testCase.expectMessage)

        // The attempt is recorded, failed; nothing else of the stack changed.
        const after = homeContents(stack.home)
        const deployments = (contents: HomeContents) => contents.rows.deployments as Array<{commit: string; status: string}>
        assert.deepEqual(deployments(after).slice(0, -1), deployments(before))
        assert.deepEqual([deployments(after).at(-1)!.commit, deployments(after).at(-1)!.status], [bad, 'failed'])
        assert.equal(deployments(after).findLast((row) => row.status === 'success')!.commit, deployed[1])
        const outsideTheClone = (contents: HomeContents) => contents.files.filter((file) => !file.startsWith('repos/'))
        assert.deepEqual(outsideTheClone(after), outsideTheClone(before), 'the stack directory, the override file or the releases changed')
        assert.deepEqual(containerIds(stack.name), running, "the stack's containers changed")
        if (testCase.debugShows) {
          // Compose's own words, which the one line condenses, are there with --debug.
          const debug = await runKedge(['sync', '--repo', stack.name, '--debug'], {home: stack.home})
          assert.equal(debug.code, testCase.expectExit)
          assert.match(debug.stderr, testCase.debugShows)
        }
      })
    }
  })

  describe('API bodies and path parameters', () => {
    interface ApiCase {
      name: string
      method: string
      route: (fixture: Fixture) => string
      body?: unknown
      raw?: string
      contentType?: string
      expectStatus: number
      expectCode: string
      expectMessage: RegExp
      check?: (fixture: Fixture) => void
    }
    const repo = (suffix = '') => ({stack}: Fixture) => `/api/v1/repos/${stack.name}${suffix}`
    const repos = () => '/api/v1/repos'
    const cases: ApiCase[] = [
      {name: 'invalid JSON', method: 'POST', route: repos, raw: '{"url": ', expectStatus: 400, expectCode: 'invalid_request', expectMessage: /^the request body is not valid JSON$/},
      {name: 'a JSON array instead of an object', method: 'POST', route: repos, body: [{url: '/srv/x.git'}], expectStatus: 400, expectCode: 'invalid_request', expectMessage: /^invalid request: body must be object$/},
      {name: 'a JSON string', method: 'POST', route: repos, body: '/srv/x.git', expectStatus: 400, expectCode: 'invalid_request', expectMessage: /body must be object$/},
      {name: 'JSON null', method: 'POST', route: repos, raw: 'null', expectStatus: 400, expectCode: 'invalid_request', expectMessage: /body must be object$/},
      {name: 'a wrong type', method: 'POST', route: repos, body: {url: 5}, expectStatus: 400, expectCode: 'invalid_request', expectMessage: /^invalid request: body\/url must be string$/},
      {name: 'an unknown field', method: 'POST', route: repos, body: {url: '/srv/x.git', mode: 'auto'}, expectStatus: 400, expectCode: 'invalid_request', expectMessage: /^invalid request: body must NOT have additional properties$/},
      {name: 'a missing required field', method: 'POST', route: repos, body: {name: 'x'}, expectStatus: 400, expectCode: 'invalid_request', expectMessage: /^invalid request: body must have required property 'url'$/},
      {name: '__proto__ instead of the fields', method: 'POST', route: repos, raw: '{"__proto__": {"url": "/srv/x.git"}}', expectStatus: 400, expectCode: 'invalid_request', expectMessage: /required property 'url'$/},
      {name: 'an empty name', method: 'POST', route: repos, body: {url: '/srv/x.git', name: ''}, expectStatus: 400, expectCode: 'invalid_request', expectMessage: /^invalid request: body\/name must NOT have fewer than 1 characters$/},
      {name: 'a name with a newline', method: 'POST', route: repos, body: {url: '/srv/x.git', name: 'a\nb'}, expectStatus: 400, expectCode: 'invalid_name', expectMessage: /^invalid repository name "a\\nb"$/},
      {name: 'an over-long URL', method: 'POST', route: repos, body: {url: `/${'a'.repeat(20_000)}`}, expectStatus: 400, expectCode: 'invalid_request', expectMessage: /body\/url must NOT have more than 16384 characters$/},
      {
        name: 'option injection in the URL',
        method: 'POST',
        route: repos,
        body: {url: `--upload-pack=touch ${marker('api-upload-pack')}`},
        expectStatus: 400,
        expectCode: 'invalid_url',
        expectMessage: /it starts with "-"$/,
        check: notCreated('api-upload-pack'),
      },
      {name: 'two credentials', method: 'POST', route: repos, body: {url: 'https://host/x.git', token: 't0ken-value-here', tokenEnv: 'KEDGE_TEST_TOKEN'}, expectStatus: 400, expectCode: 'invalid_request', expectMessage: /^invalid request: give one of sshKey, token and tokenEnv$/},
      {name: 'knownHosts without sshKey', method: 'POST', route: repos, body: {url: 'ssh://git@host/x.git', knownHosts: 'host ssh-ed25519 AAAA'}, expectStatus: 400, expectCode: 'invalid_request', expectMessage: /knownHosts goes with sshKey$/},
      {name: 'a bad interval when adding', method: 'POST', route: repos, body: {url: '/srv/x.git', interval: '999999h'}, expectStatus: 400, expectCode: 'invalid_interval', expectMessage: /^invalid interval "999999h": /},
      {name: 'a wrong content type', method: 'POST', route: repos, raw: '{"url": "/srv/x.git"}', contentType: 'text/plain', expectStatus: 415, expectCode: 'unsupported_media_type', expectMessage: /^send application\/json$/},
      {name: 'a form', method: 'POST', route: repos, raw: 'url=/srv/x.git', contentType: 'application/x-www-form-urlencoded', expectStatus: 415, expectCode: 'unsupported_media_type', expectMessage: /application\/json/},
      {name: 'PATCH with no field', method: 'PATCH', route: repo(), body: {}, expectStatus: 400, expectCode: 'invalid_request', expectMessage: /body must NOT have fewer than 1 properties$/},
      {name: 'PATCH an interval of the wrong type', method: 'PATCH', route: repo(), body: {interval: 5}, expectStatus: 400, expectCode: 'invalid_request', expectMessage: /^invalid request: body\/interval must be string,null$/},
      {name: 'PATCH an interval of zero', method: 'PATCH', route: repo(), body: {interval: '0'}, expectStatus: 400, expectCode: 'invalid_interval', expectMessage: /^invalid interval "0": /},
      {name: 'PATCH an interval too long for a timer', method: 'PATCH', route: repo(), body: {interval: '99999h'}, expectStatus: 400, expectCode: 'invalid_interval', expectMessage: /at most 8760h/},
      {name: 'PATCH an unknown repository', method: 'PATCH', route: () => '/api/v1/repos/nope', body: {interval: '5m'}, expectStatus: 404, expectCode: 'not_found', expectMessage: /^no repository named "nope"$/},
      {name: 'a field in a sync body', method: 'POST', route: repo('/sync'), body: {commit: 'abcd1234'}, expectStatus: 400, expectCode: 'invalid_request', expectMessage: /body must NOT have additional properties$/},
      {name: 'sync of an unknown repository', method: 'POST', route: () => '/api/v1/repos/nope/sync', expectStatus: 404, expectCode: 'not_found', expectMessage: /^no repository named "nope"$/},
      {name: 'rollback without a commit', method: 'POST', route: repo('/rollback'), body: {}, expectStatus: 400, expectCode: 'invalid_request', expectMessage: /required property 'commit'$/},
      {name: 'rollback with an extra field', method: 'POST', route: repo('/rollback'), body: {commit: 'abcd', force: true}, expectStatus: 400, expectCode: 'invalid_request', expectMessage: /additional properties$/},
      {name: 'rollback to a branch name', method: 'POST', route: repo('/rollback'), body: {commit: 'main'}, expectStatus: 400, expectCode: 'invalid_commit', expectMessage: /^invalid commit "main": expected at least 4 hexadecimal digits of a commit$/},
      {name: 'rollback to a too short prefix', method: 'POST', route: repo('/rollback'), body: {commit: 'ab'}, expectStatus: 400, expectCode: 'invalid_commit', expectMessage: /^invalid commit "ab"/},
      {name: 'rollback to an unknown commit', method: 'POST', route: repo('/rollback'), body: {commit: '0000000'}, expectStatus: 404, expectCode: 'not_found', expectMessage: /has a commit starting with "0000000"$/},
      {name: 'rollback of an unknown repository', method: 'POST', route: () => '/api/v1/repos/nope/rollback', body: {commit: 'abcd'}, expectStatus: 404, expectCode: 'not_found', expectMessage: /^no repository named "nope"$/},
      ...['', '/status', '/diff', '/history'].map((suffix) => ({
        name: `GET ${suffix || '/'} of an unknown repository`,
        method: 'GET',
        route: () => `/api/v1/repos/nope${suffix}`,
        expectStatus: 404,
        expectCode: 'not_found',
        expectMessage: /^no repository named "nope"$/,
      })),
      {name: 'DELETE an unknown repository', method: 'DELETE', route: () => '/api/v1/repos/nope?down=true', expectStatus: 404, expectCode: 'not_found', expectMessage: /^no repository named "nope"$/},
      {name: 'a name parameter over 63 characters', method: 'GET', route: () => `/api/v1/repos/${'n'.repeat(64)}`, expectStatus: 400, expectCode: 'invalid_request', expectMessage: /params\/name must NOT have more than 63 characters$/},
      {name: 'a name parameter escaping upwards', method: 'GET', route: () => '/api/v1/repos/..%2F..%2Fetc', expectStatus: 404, expectCode: 'not_found', expectMessage: /^no repository named "\.\.\/\.\.\/etc"$/},
      {name: 'a negative history limit', method: 'GET', route: repo('/history?limit=-1'), expectStatus: 400, expectCode: 'invalid_request', expectMessage: /querystring\/limit must match pattern/},
      {name: 'an unknown query parameter', method: 'GET', route: repo('/history?all=1'), expectStatus: 400, expectCode: 'invalid_request', expectMessage: /querystring must NOT have additional properties$/},
      {name: 'DELETE ?down=maybe', method: 'DELETE', route: repo('?down=maybe'), expectStatus: 400, expectCode: 'invalid_request', expectMessage: /querystring\/down must be equal to one of the allowed values$/},
    ]
    // serve belongs to this one test, each case a subtest of it: started from a `before` hook, serve would be
    // stopped by its helper's `after` as soon as the hook ended.
    it('a 4xx with a stable code for each, and nothing changed', async (t) => {
      const token = `admin-${uniqueName('token')}`
      const serve = new ServeProcess(fixture.stack.home, ['--interval', '1h'], {KEDGE_ADMIN_TOKEN: token})
      const base = String((await serve.waitForLog((line) => line.event === 'http.listening')).address)
      // serve's first round (the branch head is the last bad compose commit, which fails again) and the drift
      // check after it are over before any case looks at the home; with an interval of 1h nothing follows.
      await waitFor('serve to be ready', async () => (await request(base, 'GET', '/ready')).status === 200, 60_000, 250)
      await waitFor('the first drift check', () => {
        const {rows} = homeContents(fixture.stack.home)
        const repository = (rows.repositories as Array<{name: string; drift_checked_at: number | null}>).find((row) => row.name === fixture.stack.name)!
        return repository.drift_checked_at !== null && !(rows.locks as Array<{name: string}>).some((lock) => lock.name === `repository:${fixture.stack.name}`)
      })

      for (const testCase of cases) {
        await t.test(testCase.name, async () => {
          const before = homeContents(fixture.stack.home)
          const running = containerIds(fixture.stack.name)
          const headers: Record<string, string> = testCase.contentType ? {'content-type': testCase.contentType} : {}
          if (testCase.raw !== undefined && !testCase.contentType) headers['content-type'] = 'application/json'
          const response = await request(base, testCase.method, testCase.route(fixture), {token, body: testCase.body, raw: testCase.raw, headers})
          assert.equal(response.status, testCase.expectStatus, response.text)
          assert.equal(response.json?.error?.code, testCase.expectCode, response.text)
          assert.match(response.json.error.message, testCase.expectMessage)
          assert.doesNotMatch(response.json.error.message, /\n/)
          testCase.check?.(fixture)
          assert.deepEqual(homeContents(fixture.stack.home), before, 'the home changed')
          assert.deepEqual(containerIds(fixture.stack.name), running, "the stack's containers changed")
        })
      }
      await t.test('an oversized body', async () => {
        const before = homeContents(fixture.stack.home)
        const status = await postDeclaringSize(`${base}/api/v1/repos`, 400_000, {'content-type': 'application/json', authorization: `Bearer ${token}`})
        assert.equal(status, 413)
        assert.deepEqual(homeContents(fixture.stack.home), before)
      })
      assert.equal(await serve.stop(), 0, serve.stderr)
    })
  })

  it('serve with a KEDGE_ADMIN_TOKEN too short to use, or an address already taken: refused at once', async () => {
    const home = tempDir()
    // "At once" is the exit itself: a serve that went on would be killed at this bound and fail the test. The
    // bound is loose because several test files share the machine and a CLI start can take seconds there.
    const bound = {timeoutMs: 45_000}
    const result = await runKedge(['serve', '--listen', '127.0.0.1:0'], {home, env: {KEDGE_ADMIN_TOKEN: 'short'}, ...bound})
    assert.equal(result.code, 2, result.stderr)
    assert.match(result.stderr, /^Error: KEDGE_ADMIN_TOKEN does not hold a usable admin token/m)
    const taken = net.createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    try {
      const port = (taken.address() as net.AddressInfo).port
      const busy = await runKedge(['serve', '--listen', `127.0.0.1:${port}`], {home, ...bound})
      assert.equal(busy.code, 1, busy.stderr)
      assert.match(busy.stderr, new RegExp(`^Error: cannot listen on 127\\.0\\.0\\.1:${port}: `, 'm'))
    } finally {
      taken.close()
    }
  })

  refusalTable("kedge's own variables as a repository's token", [
    {
      name: '--token-env KEDGE_SECRET_KEY',
      args: () => ['repo', 'add', 'https://git.example.invalid/x.git', '--token-env', 'KEDGE_SECRET_KEY'],
      expectExit: 2,
      expectMessage: /^Error: --token-env KEDGE_SECRET_KEY names one of kedge's own variables, which cannot hold a repository's token$/,
    },
    {
      name: '--token-env KEDGE_ADMIN_TOKEN',
      args: () => ['repo', 'add', 'https://git.example.invalid/x.git', '--token-env', 'KEDGE_ADMIN_TOKEN'],
      expectExit: 2,
      expectMessage: /^Error: --token-env KEDGE_ADMIN_TOKEN names one of kedge's own variables/,
    },
  ])

  describe('files of a commit kedge will not read', () => {
    const host = tempDir('kedge-host-')
    writeFileSync(path.join(host, 'docker-compose.yaml'), SIMPLE_COMPOSE)
    const remote = GitRemote.create({'docker-compose.yaml': SIMPLE_COMPOSE})
    /** A branch from main with the symbolic links (path → target) and files. */
    const branch = (name: string, links: Record<string, string>, files: Record<string, string> = {}) => {
      git(remote.workDir, 'checkout', '--quiet', '-B', name, remote.branch)
      for (const [link, target] of Object.entries(links)) {
        mkdirSync(path.dirname(path.join(remote.workDir, link)), {recursive: true})
        symlinkSync(target, path.join(remote.workDir, link))
      }
      for (const [file, content] of Object.entries(files)) writeFileSync(path.join(remote.workDir, file), content)
      git(remote.workDir, 'add', '--all')
      git(remote.workDir, '-c', 'user.name=kedge-test', '-c', 'user.email=test@kedge.invalid', 'commit', '--quiet', '-m', name)
      git(remote.workDir, 'push', '--quiet', 'origin', `HEAD:refs/heads/${name}`)
      git(remote.workDir, 'checkout', '--quiet', '--force', remote.branch)
    }
    branch('zero', {'kedge.yaml': '/dev/zero'})
    branch('host-kedge', {'kedge.yaml': '../../../../../../../../..' + path.join(host, 'docker-compose.yaml')})
    branch('host-compose', {'extra.yaml': path.join(host, 'docker-compose.yaml')}, {'kedge.yaml': 'docker:\n  compose_file: [docker-compose.yaml, extra.yaml]\n'})
    branch('host-path', {web: host})
    branch('git-compose', {}, {'kedge.yaml': 'docker:\n  compose_file: .git/config\n'})
    branch('git-link', {'linked.yaml': '.git/config'}, {'kedge.yaml': 'docker:\n  compose_file: linked.yaml\n'})
    branch('large', {}, {'kedge.yaml': `# ${'x'.repeat(300 * 1024)}\n`})
    branch('tokens', {}, {'kedge.yaml': Array.from({length: 5000}, (_, n) => `k${n}: 1\n`).join('')})
    const add = (name: string, ...more: string[]) => () => ['repo', 'add', remote.fileUrl, '--branch', name, ...more]
    refusalTable('refused by repo add', [
      {name: 'kedge.yaml linked to /dev/zero', args: add('zero'), expectExit: 2, expectMessage: /^Error: kedge\.yaml: leads outside the repository$/},
      {name: 'kedge.yaml linked to a host file', args: add('host-kedge'), expectExit: 2, expectMessage: /^Error: kedge\.yaml: leads outside the repository$/},
      {name: 'a compose file linked to a host file', args: add('host-compose'), expectExit: 2, expectMessage: /^Error: kedge\.yaml: docker\.compose_file: "extra\.yaml" leads outside the repository$/},
      {name: 'a --path linked to a host directory', args: add('host-path', '--path', 'web'), expectExit: 2, expectMessage: /^Error: path "web" leads outside the repository$/},
      {name: '--path .git', args: add('main', '--path', '.git'), expectExit: 2, expectMessage: /^Error: invalid path "\.git": \.git is not part of the commit$/},
      {name: '--path into .git', args: add('main', '--path', 'sub/../.git/hooks'), expectExit: 2, expectMessage: /^Error: invalid path "\.git\/hooks": \.git is not part of the commit$/},
      {name: 'compose_file: .git/config', args: add('git-compose'), expectExit: 2, expectMessage: /^Error: kedge\.yaml: docker\.compose_file: "\.git\/config" is inside \.git, which kedge does not read$/},
      {name: 'a compose file linked into .git', args: add('git-link'), expectExit: 2, expectMessage: /^Error: kedge\.yaml: docker\.compose_file: "linked\.yaml" is inside \.git, which kedge does not read$/},
      {name: 'a kedge.yaml over 256 KiB', args: add('large'), expectExit: 2, expectMessage: /^Error: kedge\.yaml: is larger than 256 KiB, the most kedge reads$/},
      {name: 'a kedge.yaml of 5,000 keys', args: add('tokens'), expectExit: 2, expectMessage: /^Error: kedge\.yaml: too large to parse: more than 20000 YAML tokens$/},
    ])
  })
})

describe('a KEDGE_COMPOSE_TIMEOUT kedge cannot read', () => {
  it('is refused by sync and serve before they do anything', async () => {
    const stack = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE})
    const unchanged = homeContents(stack.home)
    for (const args of [['sync', '--repo', stack.name], ['serve', '--listen', '127.0.0.1:0']]) {
      const result = await runKedge(args, {home: stack.home, env: {KEDGE_COMPOSE_TIMEOUT: 'soon'}, timeoutMs: 45_000})
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, ONE_LINE_ERROR)
      assert.match(result.stderr, /^Error: invalid KEDGE_COMPOSE_TIMEOUT "soon": expected a duration/)
      assert.deepEqual(homeContents(stack.home), unchanged, `${args[0]} changed the home`)
    }
    assert.deepEqual(containerIds(stack.name), {})
  })
})
