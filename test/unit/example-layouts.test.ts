import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, it} from 'node:test'

import {stackTree} from '../../src/adapters/files/stack-tree.js'
import {parseKedgeConfig} from '../../src/model/config/kedge-config.js'
import {parseStackConfig} from '../../src/model/config/stack-config.js'
import {resolveStackLayout} from '../../src/model/stack/stack-layout.js'

const MONOREPO = fileURLToPath(new URL('../../examples/monorepo', import.meta.url))

describe('examples/monorepo', () => {
  it('holds the stacks docs/stacks.md shows, in that order, with the api stack in manual mode', () => {
    const config = parseKedgeConfig(readFileSync(`${MONOREPO}/kedge.yaml`, 'utf8'), 'kedge.yaml')
    const layout = resolveStackLayout({repository: 'infra', configDir: '', config}, stackTree(MONOREPO))
    assert.deepEqual(
      layout.map((stack) => [stack.name, stack.path, stack.defaultProject, stack.after]),
      [
        ['proxy', 'apps/proxy', 'infra-proxy', []],
        ['api', 'apps/api', 'infra-api', ['proxy']],
        ['web', 'apps/web', 'infra-web', ['proxy']],
      ],
    )
    assert.equal(parseStackConfig(readFileSync(`${MONOREPO}/apps/api/kedge.yaml`, 'utf8'), 'apps/api/kedge.yaml').mode, 'manual')
  })
})
