import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const doc = readFileSync(path.join(root, 'docs/architecture.md'), 'utf8')

/** Every file or folder the map names in backquotes, as written: from the root, from src/, or (in a folder's row) from that folder. */
function namedPaths(): string[] {
  const named = [...doc.matchAll(/`([\w./-]+(?:\.ts|\/))`/g)].map((match) => match[1]!)
  return [...new Set(named)]
}

const folders = [root, ...readdirSync(path.join(root, 'src'), {recursive: true, withFileTypes: true}).filter((entry) => entry.isDirectory()).map((entry) => path.join(entry.parentPath, entry.name)), path.join(root, 'src')]

describe('docs/architecture.md', () => {
  it('names only files and folders that exist', () => {
    const paths = namedPaths()
    assert.ok(paths.length > 40, `the map names ${paths.length} paths`)
    const missing = paths.filter((named) => !folders.some((folder) => existsSync(path.join(folder, named))))
    assert.deepEqual(missing, [])
  })

  it('lists every folder of src/ and every port', () => {
    for (const folder of ['model/', 'ports/', 'usecases/', 'adapters/', 'store/', 'drivers/']) assert.ok(doc.includes(`\`src/${folder}\``), folder)
    const ports = readFileSync(path.join(root, 'src/usecases/context.ts'), 'utf8').match(/export interface Ports \{([^}]*)\}/)![1]!
    for (const [, , port] of ports.matchAll(/(\w+): (\w+)/g)) assert.ok(doc.includes(`\`${port}\``), `port ${port}`)
  })
})
