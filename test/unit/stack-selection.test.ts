import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parse} from 'yaml'

import {entriesToPlace, type TreeEntry} from '../../src/adapters/git/tree-selection.js'
import {stackSelection, type StackReads} from '../../src/usecases/deploying/stack-selection.js'

const CHECKOUT = '/home/kedge/repos/mono'

/** A stack at apps/web, its compose files (by path from the repository root) as the test gives them. */
function reads(resolved: string, files: Record<string, string>, overrides: Partial<StackReads> = {}): StackReads {
  return {
    stackPath: 'apps/web',
    composeFiles: ['compose.yaml'],
    kedgeConfigFile: 'apps/web/kedge.yaml',
    resolved: parse(resolved),
    checkoutDir: CHECKOUT,
    readCompose: (file) => {
      if (!(file in files)) return undefined
      try {
        return parse(files[file]!) ?? null
      } catch {
        return null
      }
    },
    ...overrides,
  }
}

const PLAIN = {'apps/web/compose.yaml': 'services:\n  web:\n    image: app:1\n'}

describe('what a stack at --path reads', () => {
  it('is its directory alone when it reads nothing outside it', () => {
    const resolved = `services:\n  web:\n    image: app:1\n    volumes:\n      - ${CHECKOUT}/apps/web/conf:/conf:ro\n      - data:/data\n`
    assert.deepEqual(stackSelection(reads(resolved, PLAIN)), ['apps/web'])
  })

  it('adds what it reads outside: bind mounts (v1 and v2 forms), build contexts and Dockerfiles, file configs and secrets', () => {
    const resolved = `
services:
  web:
    image: app:1
    volumes:
      - ${CHECKOUT}/shared/conf:/conf:ro
      - type: bind
        source: ${CHECKOUT}/shared/certs/site.pem
        target: /certs/site.pem
      - type: volume
        source: data
        target: /data
      - /etc/localtime:/etc/localtime:ro
  built:
    build:
      context: ${CHECKOUT}/images/base
      dockerfile: ../dockerfiles/base.Dockerfile
      additional_contexts:
        assets: ${CHECKOUT}/assets
configs:
  site:
    file: ${CHECKOUT}/shared/site.conf
secrets:
  key:
    file: ${CHECKOUT}/apps/web/key.txt
`
    assert.deepEqual(stackSelection(reads(resolved, PLAIN)), [
      'apps/web',
      'assets',
      'images/base',
      'images/dockerfiles/base.Dockerfile',
      'shared/certs/site.pem',
      'shared/conf',
      'shared/site.conf',
    ])
  })

  it('adds compose files named outside the stack directory, and kedge.yaml wherever it is', () => {
    const files = {...PLAIN, 'compose/base.yaml': 'services:\n  web:\n    image: app:1\n'}
    const selection = stackSelection(reads('services:\n  web:\n    image: app:1\n', files, {composeFiles: ['../../compose/base.yaml', 'compose.yaml'], kedgeConfigFile: 'kedge.yaml'}))
    assert.deepEqual(selection, ['apps/web', 'compose/base.yaml', 'kedge.yaml'])
  })

  it("takes a relative path in a named compose file against the stack directory and against the file's own", () => {
    const files = {
      'compose/base.yaml': 'services:\n  web:\n    image: app:1\n    env_file: ../env/web.env\n  job:\n    extends:\n      file: jobs.yaml\n      service: job\n',
      'compose/jobs.yaml': 'services:\n  job:\n    image: app:1\n    env_file: job.env\n',
    }
    const selection = stackSelection(reads('services: {}\n', files, {composeFiles: ['../../compose/base.yaml'], kedgeConfigFile: null}))
    // apps/jobs.yaml does not exist: compose/jobs.yaml is the file extended.
    assert.deepEqual(selection, ['apps/env/web.env', 'apps/web', 'compose/base.yaml', 'compose/job.env', 'compose/jobs.yaml', 'env/web.env'])
  })

  it('reads the compose files for what Compose reads again on up and does not print: env files, extends and include, and what those read', () => {
    const files = {
      'apps/web/compose.yaml': [
        'include:',
        '  - ../../lib/db/compose.yaml',
        '  - path: [../../lib/cache/compose.yaml]',
        '    env_file: ../../lib/cache/cache.env',
        '  - https://github.com/example/stack.git',
        'services:',
        '  web:',
        '    image: app:1',
        '    env_file: ../../shared/web.env',
        '    label_file: [../../shared/labels]',
        '  worker:',
        '    extends:',
        '      file: ../../common/base.yaml',
        '      service: base',
        '    env_file:',
        '      - path: ../../shared/worker.env',
        '        required: false',
      ].join('\n'),
      'common/base.yaml': 'services:\n  base:\n    image: app:1\n    env_file: base.env\n    extends:\n      file: ../common/root.yaml\n      service: root\n',
      'common/root.yaml': 'services:\n  root:\n    image: app:1\n',
      'lib/db/compose.yaml': 'services:\n  db:\n    image: db:1\n    env_file: [db.env]\n',
      'lib/cache/compose.yaml': 'services:\n  cache:\n    image: cache:1\n',
    }
    assert.deepEqual(stackSelection(reads('services: {}\n', files)), [
      'apps/web',
      'common/base.env',
      'common/base.yaml',
      'common/root.yaml',
      'lib/cache/cache.env',
      'lib/cache/compose.yaml',
      'lib/db/.env',
      'lib/db/compose.yaml',
      'lib/db/db.env',
      'shared/labels',
      'shared/web.env',
      'shared/worker.env',
    ])
  })

  it('is the whole tree (null) for a stack at the root, one that reads the root, or a path kedge cannot work out', () => {
    assert.equal(stackSelection(reads('services: {}\n', {'compose.yaml': 'services: {}\n'}, {stackPath: '.', kedgeConfigFile: null})), null)
    assert.equal(stackSelection(reads(`services:\n  web:\n    build:\n      context: ${CHECKOUT}\n`, PLAIN)), null)
    assert.equal(stackSelection(reads(`services:\n  web:\n    volumes: ["${CHECKOUT}:/repo:ro"]\n`, PLAIN)), null)
    const interpolated = {'apps/web/compose.yaml': 'services:\n  web:\n    image: app:1\n    env_file: ../../${STAGE}/web.env\n'}
    assert.equal(stackSelection(reads('services: {}\n', interpolated)), null)
    const ownDirectory = {'apps/web/compose.yaml': 'include:\n  - path: ../../lib/compose.yaml\n    project_directory: ../..\nservices: {}\n', 'lib/compose.yaml': 'services: {}\n'}
    assert.equal(stackSelection(reads('services: {}\n', ownDirectory)), null)
    assert.equal(stackSelection(reads('services: {}\n', {'apps/web/compose.yaml': 'services: [unclosed\n'})), null, 'a compose file kedge cannot read')
  })

  it('leaves out what lies outside the repository, and paths inside others it holds', () => {
    const resolved = `services:\n  web:\n    volumes:\n      - /srv/data:/data\n      - ${CHECKOUT}/shared:/shared\n      - ${CHECKOUT}/shared/conf/a.conf:/a.conf\n      - ${CHECKOUT}-other/x:/x\n`
    assert.deepEqual(stackSelection(reads(resolved, PLAIN)), ['apps/web', 'shared'])
  })
})

describe('the entries of a tree placed for a selection', () => {
  const blob = (file: string, id = 'b'.repeat(40)): TreeEntry => ({mode: '100644', type: 'blob', id, path: file})
  const link = (file: string, id: string): TreeEntry => ({mode: '120000', type: 'blob', id, path: file})
  const targets = new Map([
    ['1'.repeat(40), '../../shared/conf'],
    ['2'.repeat(40), '../other'],
    ['3'.repeat(40), '/etc/passwd'],
    ['4'.repeat(40), '../..'],
  ])
  const readLinks = async (ids: string[]) => new Map(ids.map((id) => [id, targets.get(id)!]))
  const placed = async (entries: TreeEntry[], paths: string[]) => (await entriesToPlace(entries, paths, readLinks)).map((entry) => entry.path)

  it('are those at or under the paths', async () => {
    const entries = [blob('apps/web/compose.yaml'), blob('apps/webby/x'), blob('other/big.bin'), blob('shared/conf/a.conf'), blob('shared/other.conf')]
    assert.deepEqual(await placed(entries, ['apps/web', 'shared/conf']), ['apps/web/compose.yaml', 'shared/conf/a.conf'])
  })

  it('follow symbolic links inside the tree, from the selection and on the way to it', async () => {
    const entries = [blob('apps/web/compose.yaml'), link('apps/web/conf', '1'.repeat(40)), blob('shared/conf/a.conf'), link('shared/x', '2'.repeat(40)), blob('other/y/b.conf'), blob('other/z'), blob('unrelated/c')]
    assert.deepEqual(await placed(entries, ['apps/web']), ['apps/web/compose.yaml', 'apps/web/conf', 'shared/conf/a.conf'])
    // shared/x is a link to other/: shared/x/y is read as other/y.
    assert.deepEqual(await placed(entries, ['apps/web/compose.yaml', 'shared/x/y']), ['apps/web/compose.yaml', 'shared/x', 'other/y/b.conf'])
  })

  it('leave a link out of the tree as it is, and place the whole tree for a link to its root', async () => {
    const entries = [blob('apps/web/compose.yaml'), link('apps/web/passwd', '3'.repeat(40)), blob('other/z')]
    assert.deepEqual(await placed(entries, ['apps/web']), ['apps/web/compose.yaml', 'apps/web/passwd'])
    const toRoot = [blob('apps/web/compose.yaml'), link('apps/web/repo', '4'.repeat(40)), blob('other/z')]
    assert.deepEqual(await placed(toRoot, ['apps/web']), ['apps/web/compose.yaml', 'apps/web/repo', 'other/z'])
  })
})
