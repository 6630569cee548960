import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {checkoutFiles} from '../../src/adapters/files/checkout-files.js'
import {parseKedgeConfig} from '../../src/model/config/kedge-config.js'
import {keptProjectName, resolveProjectName} from '../../src/usecases/deploying/desired-stack.js'
import {InvalidConfigError} from '../../src/model/errors.js'
import {tempDir} from '../helpers/temp.js'

function stack(files: Record<string, string>): {root: string; stackDir: string} {
  const root = tempDir()
  const stackDir = path.join(root, 'stacks', 'app')
  mkdirSync(stackDir, {recursive: true})
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(stackDir, file), content)
  return {root, stackDir}
}

const SERVICES = 'services:\n  web:\n    image: busybox\n'
const NO_CONFIG = parseKedgeConfig('', 'kedge.yaml')

describe('the Compose project name', () => {
  it("is kedge.yaml's, else the last compose file's name:, else the repository's", () => {
    const {root, stackDir} = stack({'base.yaml': `name: base-name\n${SERVICES}`, 'prod.yaml': 'name: prod-name\n', 'plain.yaml': SERVICES})
    const ruled = parseKedgeConfig('docker:\n  project_name: from-kedge\n', 'stacks/app/kedge.yaml')
    assert.deepEqual(resolveProjectName(checkoutFiles, root, stackDir, ruled, ['base.yaml', 'prod.yaml'], 'my.repo'), {name: 'from-kedge', source: 'kedge.yaml', file: 'stacks/app/kedge.yaml'})
    assert.deepEqual(resolveProjectName(checkoutFiles, root, stackDir, NO_CONFIG, ['base.yaml', 'prod.yaml', 'plain.yaml'], 'my.repo'), {
      name: 'prod-name',
      source: 'compose file',
      file: 'stacks/app/prod.yaml',
    })
    assert.deepEqual(resolveProjectName(checkoutFiles, root, stackDir, NO_CONFIG, ['plain.yaml'], 'my.repo'), {name: 'my-repo', source: 'repository name', file: null})
  })

  const refused: Array<[string, string, RegExp]> = [
    ['upper-case letters', 'name: MyApp\n', /^stacks\/app\/compose\.yaml: name: "MyApp" is not a Compose project name: expected lower-case/],
    ['a leading dash', 'name: -app\n', /^stacks\/app\/compose\.yaml: name: "-app" is not a Compose project name/],
    ['a variable', 'name: app-${ENV}\n', /^stacks\/app\/compose\.yaml: name: "app-\$\{ENV\}": kedge needs a project name fixed in the file/],
    ['a list', 'name: [a]\n', /^stacks\/app\/compose\.yaml: name: a list is not a Compose project name/],
  ]
  for (const [what, header, message] of refused) {
    it(`refuses a name with ${what}, naming the file`, () => {
      const {root, stackDir} = stack({'compose.yaml': `${header}${SERVICES}`})
      assert.throws(
        () => resolveProjectName(checkoutFiles, root, stackDir, NO_CONFIG, ['compose.yaml'], 'app'),
        (error: unknown) => error instanceof InvalidConfigError && message.test(error.message) && !error.message.includes('\n'),
      )
    })
  }

  it('is not bothered by an invalid name when kedge.yaml sets one', () => {
    const {root, stackDir} = stack({'compose.yaml': `name: Bad Name\n${SERVICES}`})
    const ruled = parseKedgeConfig('docker:\n  project_name: fine\n', 'kedge.yaml')
    assert.equal(resolveProjectName(checkoutFiles, root, stackDir, ruled, ['compose.yaml'], 'app').name, 'fine')
  })

  it("keeps a stack that runs under the repository's name there when a compose file's name: appears, so its named volumes stay", () => {
    const fromCompose = {name: 'myapp', source: 'compose file' as const, file: 'compose.yaml'}
    assert.equal(keptProjectName(fromCompose, {project: 'my-repo'}, 'my.repo'), 'my-repo')
    assert.equal(keptProjectName(fromCompose, null, 'my.repo'), 'myapp', 'a first deploy takes the name')
    assert.equal(keptProjectName(fromCompose, {project: 'older'}, 'my.repo'), 'myapp', 'a stack named by its compose file follows it')
    assert.equal(keptProjectName({name: 'chosen', source: 'kedge.yaml', file: 'kedge.yaml'}, {project: 'my-repo'}, 'my.repo'), 'chosen', 'project_name moves it on purpose')
  })
})
