import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {DeploymentView} from '../../src/model/repository/deployment-view.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {docker, kedgeContainers} from '../helpers/docker.js'
import {registeredStack, type TestStack} from '../helpers/stack.js'

// A monorepo: the stack in apps/web reads shared/conf (a bind mount outside its path) and shared/linked
// (through a symbolic link inside its path); other/ is large and none of its business.
const COMPOSE = `services:
  web:
    image: kedge-test/busybox:1
    volumes:
      - ../../shared/conf:/conf:ro
      - ./linked:/linked:ro
      - ./data:/data
`

function monorepo(page: string): Record<string, string | Buffer> {
  const other: Record<string, string | Buffer> = {'other/big.bin': randomBytes(4 * 1024 * 1024)}
  for (let n = 0; n < 50; n++) other[`other/app${n}/compose.yaml`] = `services:\n  app${n}:\n    image: kedge-test/busybox:1\n`
  return {
    'apps/web/compose.yaml': COMPOSE,
    'apps/web/data/.keep': '',
    'shared/conf/page.txt': page,
    'shared/conf/café.txt': 'a name that is not ASCII\n',
    'shared/linked/note.txt': 'through a link\n',
    'shared/unrelated.txt': 'not read by the stack\n',
    ...other,
  }
}

/** Every file and symbolic link under `root`, relative to it, sorted. */
function filesUnder(root: string): string[] {
  return readdirSync(root, {recursive: true, withFileTypes: true})
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort()
}

const PLACED = ['apps/web/compose.yaml', 'apps/web/data/.keep', 'apps/web/linked', 'shared/conf/café.txt', 'shared/conf/page.txt', 'shared/linked/note.txt'].sort()

const web = (stack: TestStack) => kedgeContainers(stack.name).find((container) => container.service === 'web')!
const read = (stack: TestStack, file: string) => docker('exec', web(stack).id, 'cat', file)

async function synced(stack: TestStack): Promise<string> {
  const result = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
  assert.equal(result.code, 0, result.stderr)
  return stack.remote.head()
}

describe('a stack at --path', {timeout: 180_000}, () => {
  it('places only what it reads, in the stack directory and in releases; data written there survives deploys and a rollback', async () => {
    const stack = await registeredStack(monorepo('first\n'), {args: ['--path', 'apps/web']})
    symlinkSync('../../shared/linked', path.join(stack.remote.workDir, 'apps/web/linked'))
    stack.remote.commit({}, 'link shared/linked into the stack')
    const first = await synced(stack)
    const stackDir = path.join(stack.home, 'stacks', stack.name)

    assert.deepEqual(filesUnder(stackDir), PLACED)
    assert.equal(existsSync(path.join(stackDir, 'other')), false)
    assert.equal(read(stack, '/conf/page.txt'), 'first\n')
    assert.equal(read(stack, '/linked/note.txt'), 'through a link\n')
    assert.deepEqual(filesUnder(path.join(stack.home, 'releases', stack.name, first)), PLACED, 'the release holds what the stack directory holds')

    // What the container writes through its bind mount is not kedge's: no placement deletes it.
    docker('exec', web(stack).id, 'sh', '-c', 'echo kept > /data/written.txt')
    const written = path.join(stackDir, 'apps/web/data/written.txt')
    assert.equal(readFileSync(written, 'utf8'), 'kept\n')

    const second = stack.remote.commit({'shared/conf/page.txt': 'second\n', 'other/big.bin': randomBytes(1024), 'other/new.txt': 'x\n'}, 'change the page')
    assert.equal(await synced(stack), second)
    assert.equal(read(stack, '/conf/page.txt'), 'second\n')
    assert.deepEqual(filesUnder(stackDir), [...PLACED, 'apps/web/data/written.txt'].sort())
    assert.equal(readFileSync(written, 'utf8'), 'kept\n')
    assert.equal(read(stack, '/data/written.txt'), 'kept\n')

    const rollback = await runKedgeJson<{deployment: DeploymentView}>(['rollback', '--repo', stack.name, first.slice(0, 7)], {home: stack.home})
    assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr)
    assert.match(String(rollback.json.deployment.note), /restored from the release directory/)
    assert.equal(read(stack, '/conf/page.txt'), 'first\n')
    assert.equal(read(stack, '/linked/note.txt'), 'through a link\n')
    assert.deepEqual(filesUnder(stackDir), [...PLACED, 'apps/web/data/written.txt'].sort())
    assert.equal(read(stack, '/data/written.txt'), 'kept\n')

    // A commit that stops reading shared/conf: kedge's files there go, what else is there stays.
    writeFileSync(path.join(stackDir, 'shared/conf/by-hand.txt'), 'not kedge\'s\n')
    stack.remote.commit({'apps/web/compose.yaml': COMPOSE.replace('      - ../../shared/conf:/conf:ro\n', '')}, 'stop reading shared/conf')
    await synced(stack)
    assert.deepEqual(filesUnder(stackDir), ['apps/web/compose.yaml', 'apps/web/data/.keep', 'apps/web/data/written.txt', 'apps/web/linked', 'shared/conf/by-hand.txt', 'shared/linked/note.txt'])
    assert.equal(read(stack, '/data/written.txt'), 'kept\n')
  })
})
