import assert from 'node:assert/strict'
import {mkdirSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {MAX_DIRECTORY_ENTRIES, stackTree} from '../../src/adapters/files/stack-tree.js'
import {parseKedgeConfig} from '../../src/model/config/kedge-config.js'
import {InvalidConfigError} from '../../src/model/errors.js'
import {resolveStackLayout} from '../../src/model/stack/stack-layout.js'
import {tempDir} from '../helpers/temp.js'

/** A repository beside a host directory holding a compose file, which no link may make a stack of. */
function repository(): {root: string; host: string} {
  const base = tempDir('kedge-stack-tree-')
  const root = path.join(base, 'repo')
  const host = path.join(base, 'host')
  mkdirSync(path.join(root, '.git'), {recursive: true})
  mkdirSync(host)
  writeFileSync(path.join(host, 'compose.yaml'), 'services: {}\n')
  return {root, host}
}

function write(root: string, file: string, text = 'services: {}\n'): void {
  mkdirSync(path.dirname(path.join(root, file)), {recursive: true})
  writeFileSync(path.join(root, file), text)
}

describe('stackTree', () => {
  it('lists real directories only, in code-unit order: no files, no links, never .git', () => {
    const {root, host} = repository()
    write(root, 'apps/web/compose.yaml')
    write(root, 'apps/Api/compose.yaml')
    write(root, 'apps/notes.txt', 'x')
    mkdirSync(path.join(root, 'apps/.hidden'))
    symlinkSync('web', path.join(root, 'apps/linked'))
    symlinkSync(host, path.join(root, 'apps/host'))
    const tree = stackTree(root)
    assert.deepEqual(tree.subdirectories('apps'), ['.hidden', 'Api', 'web'])
    assert.deepEqual(tree.subdirectories(''), ['apps'])
    assert.deepEqual(tree.subdirectories('apps/linked'), [])
    assert.deepEqual(tree.subdirectories('apps/missing'), [])
    assert.deepEqual(tree.subdirectories('..'), [])
    assert.deepEqual(tree.subdirectories('.git'), [])
  })

  it('finds a stack by a compose file or a kedge.yaml that kedge would read, and not through a link out', () => {
    const {root, host} = repository()
    write(root, 'apps/web/docker-compose.yml')
    write(root, 'apps/api/kedge.yaml', 'docker:\n  compose_file: api.yaml\n')
    write(root, 'apps/shared/compose.yaml')
    mkdirSync(path.join(root, 'apps/linked-file'))
    symlinkSync('../shared/compose.yaml', path.join(root, 'apps/linked-file/compose.yaml'))
    mkdirSync(path.join(root, 'apps/out'))
    symlinkSync(path.join(host, 'compose.yaml'), path.join(root, 'apps/out/compose.yaml'))
    mkdirSync(path.join(root, 'apps/dir-named-compose/compose.yaml'), {recursive: true})
    symlinkSync(host, path.join(root, 'apps/host'))
    const tree = stackTree(root)
    assert.equal(tree.holdsComposeFile('apps/web'), true)
    assert.equal(tree.holdsComposeFile('apps/api'), false)
    assert.equal(tree.holdsStack('apps/api'), true)
    assert.equal(tree.holdsComposeFile('apps/linked-file'), true)
    assert.equal(tree.holdsStack('apps/out'), false)
    assert.equal(tree.holdsStack('apps/dir-named-compose'), false)
    assert.equal(tree.holdsStack('apps/host'), false)
    assert.equal(tree.holdsStack('apps/missing'), false)
    assert.equal(tree.holdsStack('.git'), false)
    assert.equal(tree.holdsStack(''), false)
    write(root, 'compose.yaml')
    assert.equal(tree.holdsComposeFile(''), true)
  })

  it('refuses a directory of more entries than it reads, naming it', () => {
    const {root} = repository()
    mkdirSync(path.join(root, 'apps'))
    for (let index = 0; index <= MAX_DIRECTORY_ENTRIES; index++) writeFileSync(path.join(root, 'apps', `f${index}`), '')
    assert.throws(
      () => stackTree(root).subdirectories('apps'),
      (error: unknown) => error instanceof InvalidConfigError && error.message === `apps: holds more than ${MAX_DIRECTORY_ENTRIES} entries, the most kedge reads of a directory when looking for stacks`,
    )
  })

  it('gives the stack layout the compose file at the root before apps/', () => {
    const {root} = repository()
    write(root, 'compose.yaml')
    write(root, 'apps/web/compose.yaml')
    const config = parseKedgeConfig('', 'kedge.yaml')
    assert.deepEqual(resolveStackLayout({repository: 'shop', configDir: '', config}, stackTree(root)), [{name: 'shop', path: '', after: [], root: true, defaultProject: 'shop'}])
    rmSync(path.join(root, 'compose.yaml'))
    assert.deepEqual(
      resolveStackLayout({repository: 'shop', configDir: '', config}, stackTree(root)).map((spec) => spec.path),
      ['apps/web'],
    )
  })

  it('gives the stack layout a checkout’s stacks', () => {
    const {root, host} = repository()
    write(root, 'deploy/kedge.yaml', 'stacks:\n  - "../apps/*"\n  - {path: db, after: [web]}\n')
    write(root, 'deploy/db/compose.yaml')
    write(root, 'apps/web/compose.yaml')
    write(root, 'apps/api/compose.yaml')
    symlinkSync(host, path.join(root, 'apps/host'))
    const specs = resolveStackLayout({repository: 'shop', configDir: 'deploy', config: parseKedgeConfig('stacks:\n  - "../apps/*"\n  - {path: db, after: [web]}\n', 'deploy/kedge.yaml')}, stackTree(root))
    assert.deepEqual(
      specs.map((spec) => [spec.name, spec.path]),
      [
        ['api', 'apps/api'],
        ['web', 'apps/web'],
        ['db', 'deploy/db'],
      ],
    )
  })
})
