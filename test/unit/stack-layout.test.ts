import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseKedgeConfig} from '../../src/model/config/kedge-config.js'
import {InvalidConfigError} from '../../src/model/errors.js'
import {matchesGlobSegment} from '../../src/model/stack/path-glob.js'
import {MAX_DIRECTORY_LOOKS, resolveStackLayout, type StackSpec, type StackTree} from '../../src/model/stack/stack-layout.js'
import {stackOrder} from '../../src/model/stack/stack-order.js'

/** What a directory of the fake checkout holds: a compose file, only a kedge.yaml, or neither. */
type Holds = 'compose' | 'config' | 'nothing'

/** A checkout of the directories named (their parents implied, holding nothing), counting the tree's calls. */
function treeOf(dirs: Record<string, Holds>): StackTree & {calls: number} {
  const holds = new Map<string, Holds>()
  for (const [dir, what] of Object.entries(dirs)) {
    const parts = dir.split('/')
    for (let depth = 1; depth < parts.length; depth++) {
      const parent = parts.slice(0, depth).join('/')
      if (!holds.has(parent)) holds.set(parent, 'nothing')
    }
    holds.set(dir, what)
  }
  const tree = {
    calls: 0,
    subdirectories(dir: string) {
      tree.calls++
      const prefix = dir === '' ? '' : `${dir}/`
      return [...holds.keys()].filter((known) => known.startsWith(prefix) && known !== dir && !known.slice(prefix.length).includes('/')).map((known) => known.slice(prefix.length)).sort()
    },
    holdsComposeFile(dir: string) {
      tree.calls++
      return dir === '' ? rootHolds === 'compose' : holds.get(dir) === 'compose'
    },
    holdsStack(dir: string) {
      tree.calls++
      const what = dir === '' ? rootHolds : holds.get(dir)
      return what === 'compose' || what === 'config'
    },
  }
  const rootHolds = dirs[''] ?? 'nothing'
  return tree
}

function layout(kedgeYaml: string, dirs: Record<string, Holds>, options: {configDir?: string; repository?: string} = {}): StackSpec[] {
  const configDir = options.configDir ?? ''
  const file = configDir ? `${configDir}/kedge.yaml` : 'kedge.yaml'
  return resolveStackLayout({repository: options.repository ?? 'shop', configDir, config: parseKedgeConfig(kedgeYaml, file)}, treeOf(dirs))
}

function names(specs: readonly StackSpec[]): string[] {
  return specs.map((spec) => spec.name)
}

/** Asserts that `run` is refused with exactly `message`, in one line, with a hint. */
function refused(run: () => unknown, message: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InvalidConfigError, String(error))
    assert.equal(error.message, message)
    assert.ok(error.hint, 'a hint')
    assert.doesNotMatch(error.message, /\n/)
    return true
  })
}

describe('resolveStackLayout without stacks:', () => {
  it('makes the compose file beside kedge.yaml the single stack, named and run as the repository', () => {
    assert.deepEqual(layout('', {'': 'compose', 'apps/web': 'compose'}, {repository: 'shop.eu'}), [
      {name: 'shop.eu', path: '', after: [], root: true, defaultProject: 'shop-eu'},
    ])
  })

  it('makes a root stack of a kedge.yaml at --path that names its compose files', () => {
    assert.deepEqual(layout('docker:\n  compose_file: prod.yaml\n', {deploy: 'config', 'deploy/apps/web': 'compose'}, {configDir: 'deploy'}), [
      {name: 'shop', path: 'deploy', after: [], root: true, defaultProject: 'shop'},
    ])
  })

  it("finds Konta's layout: each directory of apps/ holding a stack, by name", () => {
    const specs = layout('reconciliation:\n  mode: notify\n', {'apps/web': 'compose', 'apps/api': 'config', 'apps/docs': 'nothing', 'apps/.hidden': 'compose', 'other/db': 'compose'})
    assert.deepEqual(specs, [
      {name: 'api', path: 'apps/api', after: [], root: false, defaultProject: 'shop-api'},
      {name: 'web', path: 'apps/web', after: [], root: false, defaultProject: 'shop-web'},
    ])
  })

  it('finds apps/ beside a kedge.yaml at --path', () => {
    assert.deepEqual(names(layout('', {'deploy/apps/web': 'compose'}, {configDir: 'deploy'})), ['web'])
    assert.equal(layout('', {'deploy/apps/web': 'compose'}, {configDir: 'deploy'})[0]!.path, 'deploy/apps/web')
  })

  it('refuses more than 256 stacks under apps/', () => {
    const dirs = Object.fromEntries(Array.from({length: 257}, (_, index): [string, Holds] => [`apps/s${index}`, 'compose']))
    refused(() => layout('', dirs), 'kedge.yaml: "apps" holds more than 256 stacks, the most one repository holds')
  })

  it('leaves a repository with no compose file and no stacks to the root stack, whose compose files are then reported missing', () => {
    assert.deepEqual(layout('', {'apps/docs': 'nothing'}), [{name: 'shop', path: '', after: [], root: true, defaultProject: 'shop'}])
  })

  it("refuses the repository's project name with apps/ stacks, and a directory name that is not a stack name", () => {
    refused(() => layout('docker:\n  project_name: shop\n', {'apps/web': 'compose'}), 'kedge.yaml: docker.project_name: names the project of a repository without stacks')
    refused(
      () => layout('', {'apps/my web': 'compose'}),
      'apps/my web: a stack found under apps/ whose directory\'s name is not a stack name: expected letters, digits, "_", "." and "-", starting with a letter or digit, at most 64 characters',
    )
  })
})

describe('resolveStackLayout with stacks:', () => {
  it('takes paths, globs and mappings, relative to kedge.yaml', () => {
    const specs = layout(
      `stacks:
  - infra/db
  - apps/*
  - {path: legacy/shop-web, name: legacy, after: db}
`,
      {'infra/db': 'compose', 'apps/web': 'compose', 'apps/api': 'config', 'apps/assets': 'nothing', 'legacy/shop-web': 'compose'},
    )
    assert.deepEqual(specs, [
      {name: 'api', path: 'apps/api', after: [], root: false, defaultProject: 'shop-api'},
      {name: 'db', path: 'infra/db', after: [], root: false, defaultProject: 'shop-db'},
      {name: 'legacy', path: 'legacy/shop-web', after: ['db'], root: false, defaultProject: 'shop-legacy'},
      {name: 'web', path: 'apps/web', after: [], root: false, defaultProject: 'shop-web'},
    ])
  })

  it('orders by after, then by name in code-unit order, the same whatever the listing order', () => {
    const dirs: Record<string, Holds> = {'s/web': 'compose', 's/api': 'compose', 's/db': 'compose', 's/Zeta': 'compose', 's/cache': 'compose'}
    const first = layout('stacks:\n  - {path: s/web, after: [api, cache]}\n  - {path: s/api, after: db}\n  - s/db\n  - s/Zeta\n  - s/cache\n', dirs)
    const second = layout('stacks:\n  - s/cache\n  - s/Zeta\n  - s/db\n  - {path: s/api, after: db}\n  - {path: s/web, after: [cache, api]}\n', dirs)
    assert.deepEqual(names(first), ['Zeta', 'cache', 'db', 'api', 'web'])
    assert.deepEqual(first, second)
    assert.deepEqual(first.at(-1)!.after, ['api', 'cache'])
  })

  it('gives a glob entry’s after to each directory it matches', () => {
    const specs = layout('stacks:\n  - db\n  - {path: "apps/*", after: db}\n', {db: 'compose', 'apps/web': 'compose', 'apps/api': 'compose'})
    assert.deepEqual(names(specs), ['db', 'api', 'web'])
    assert.deepEqual(specs[2]!.after, ['db'])
  })

  it('makes project names of the repository and stack names, as Compose accepts them', () => {
    const specs = layout('stacks:\n  - {path: a, name: Web.Front}\n  - {path: b, name: api_v2}\n', {a: 'compose', b: 'compose'}, {repository: 'shop.eu'})
    assert.deepEqual(
      specs.map((spec) => spec.defaultProject),
      ['shop-eu-web-front', 'shop-eu-api_v2'],
    )
  })

  it('reads ../ from a kedge.yaml at --path, inside the repository', () => {
    const specs = layout('stacks:\n  - ../shared/db\n  - ./web/\n', {'deploy/web': 'compose', 'shared/db': 'compose'}, {configDir: 'deploy'})
    assert.deepEqual(
      specs.map((spec) => spec.path),
      ['shared/db', 'deploy/web'],
    )
  })

  it('makes a directory matched by a glob and listed itself one stack, with the listed entry’s options', () => {
    const dirs: Record<string, Holds> = {'apps/web': 'compose', 'apps/api': 'compose'}
    for (const yaml of ['stacks:\n  - "apps/*"\n  - {path: apps/web, name: front, after: api}\n', 'stacks:\n  - {path: apps/web, name: front, after: api}\n  - "apps/*"\n']) {
      assert.deepEqual(layout(yaml, dirs), [
        {name: 'api', path: 'apps/api', after: [], root: false, defaultProject: 'shop-api'},
        {name: 'front', path: 'apps/web', after: ['api'], root: false, defaultProject: 'shop-front'},
      ])
    }
  })

  it('lets an entry name a directory whose own name is not a stack name', () => {
    assert.deepEqual(names(layout('stacks:\n  - "apps/*"\n  - {path: apps/my web, name: web}\n', {'apps/my web': 'compose', 'apps/api': 'compose'})), ['api', 'web'])
  })

  it('matches *, ? and [classes] within one segment, never a hidden directory', () => {
    const dirs: Record<string, Holds> = {'apps/web1': 'compose', 'apps/web2': 'compose', 'apps/webx': 'compose', 'apps/.web3': 'compose', 'apps/web/nested': 'compose', 'a/b/c': 'compose'}
    assert.deepEqual(names(layout('stacks: ["apps/web?"]\n', dirs)), ['web1', 'web2', 'webx'])
    assert.deepEqual(names(layout('stacks: ["apps/web[0-9]"]\n', dirs)), ['web1', 'web2'])
    assert.deepEqual(names(layout('stacks: ["apps/web[!1]"]\n', dirs)), ['web2', 'webx'])
    assert.deepEqual(names(layout('stacks: ["*/*/*"]\n', dirs)), ['c', 'nested'])
    refused(() => layout('stacks: ["apps/.*"]\n', dirs), 'kedge.yaml: stacks.0: "apps/.*" matches no directory holding a compose file or a kedge.yaml')
  })

  it('matches a glob segment in time bounded by its length, whatever the pattern', () => {
    assert.equal(matchesGlobSegment('*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(200)), false)
    assert.equal(matchesGlobSegment('*a*b?', 'xxaxxbz'), true)
    assert.equal(matchesGlobSegment('[]a]', ']'), true)
    assert.equal(matchesGlobSegment('[ab', '[ab'), true)
  })

  const refusals: Array<[string, string, Record<string, Holds>, string, {configDir?: string}?]> = [
    ['two stacks of one name', 'stacks:\n  - apps/web\n  - legacy/web\n', {'apps/web': 'compose', 'legacy/web': 'compose'}, 'kedge.yaml: stacks.1: two stacks are named "web": "apps/web" and "legacy/web"'],
    ['two stacks of one name by name:', 'stacks:\n  - {path: a, name: web}\n  - "apps/*"\n', {a: 'compose', 'apps/web': 'compose'}, 'kedge.yaml: stacks.1: two stacks are named "web": "a" and "apps/web"'],
    ['two names of one project', 'stacks:\n  - {path: a, name: Web}\n  - {path: b, name: web}\n', {a: 'compose', b: 'compose'}, 'kedge.yaml: stacks.1: stacks "Web" and "web" would share the Compose project "shop-web"'],
    ['an absolute path', 'stacks:\n  - /srv/web\n', {}, 'kedge.yaml: stacks.0: "/srv/web" is outside the repository'],
    ['a path climbing out of the repository', 'stacks:\n  - ../../web\n', {'deploy/x': 'compose'}, 'deploy/kedge.yaml: stacks.0: "../../web" is outside the repository', {configDir: 'deploy'}],
    ['a glob climbing out of the repository', 'stacks:\n  - "../*"\n', {}, 'kedge.yaml: stacks.0: "../*" is outside the repository'],
    ['a missing directory', 'stacks:\n  - apps/wbe\n', {'apps/web': 'compose'}, 'kedge.yaml: stacks.0: "apps/wbe" is not a directory holding a compose file or a kedge.yaml'],
    ['a directory without a compose file', 'stacks:\n  - apps/docs\n', {'apps/docs': 'nothing'}, 'kedge.yaml: stacks.0: "apps/docs" is not a directory holding a compose file or a kedge.yaml'],
    ['kedge.yaml’s own directory', 'stacks:\n  - .\n', {'': 'compose'}, 'kedge.yaml: stacks.0: "." is kedge.yaml\'s own directory'],
    ['a glob matching nothing', 'stacks:\n  - web\n  - "ap/*"\n', {web: 'compose', 'apps/api': 'compose'}, 'kedge.yaml: stacks.1: "ap/*" matches no directory holding a compose file or a kedge.yaml'],
    ['**', 'stacks:\n  - "apps/**"\n', {'apps/web': 'compose'}, 'kedge.yaml: stacks.0: "apps/**": "**" is not supported'],
    ['name: on a glob', 'stacks:\n  - {path: "apps/*", name: web}\n', {'apps/web': 'compose'}, 'kedge.yaml: stacks.0.name: names one directory, and "apps/*" is a glob'],
    ['a directory listed twice', 'stacks:\n  - apps/web\n  - ./apps/web/\n', {'apps/web': 'compose'}, 'kedge.yaml: stacks.1: "apps/web" is listed twice, also as stacks.0'],
    ['an unknown name in after', 'stacks:\n  - {path: web, after: [db, dbx]}\n  - db\n', {web: 'compose', db: 'compose'}, 'kedge.yaml: stacks.0.after: no stack is named "dbx" (stacks: db, web)'],
    ['a stack after itself', 'stacks:\n  - {path: web, after: web}\n', {web: 'compose'}, 'kedge.yaml: stacks.0.after: stack "web" lists itself'],
    ['a glob whose stacks come after one of them', 'stacks:\n  - {path: "apps/*", after: db}\n', {'apps/db': 'compose', 'apps/web': 'compose'}, 'kedge.yaml: stacks.0.after: stack "db" lists itself'],
    ['a cycle', 'stacks:\n  - {path: web, after: api}\n  - {path: api, after: web}\n  - db\n', {web: 'compose', api: 'compose', db: 'compose'}, 'kedge.yaml: stacks: the stacks wait for each other in a cycle: api -> web -> api'],
    ['a longer cycle', 'stacks:\n  - {path: c, after: b}\n  - {path: b, after: a}\n  - {path: a, after: [c, z]}\n  - {path: z}\n', {a: 'compose', b: 'compose', c: 'compose', z: 'compose'}, 'kedge.yaml: stacks: the stacks wait for each other in a cycle: a -> c -> b -> a'],
    ['a directory name that is not a stack name', 'stacks:\n  - "apps/*"\n', {'apps/my web': 'compose'}, 'kedge.yaml: stacks.0: "apps/my web" has a name that is not a stack name: expected letters, digits, "_", "." and "-", starting with a letter or digit, at most 64 characters'],
    ['the repository’s project name', 'docker:\n  project_name: shop\nstacks: [web]\n', {web: 'compose'}, 'kedge.yaml: docker.project_name: names the project of a repository without stacks'],
    ['the repository’s compose files', 'docker:\n  compose_file: compose.yaml\nstacks: [web]\n', {web: 'compose'}, 'kedge.yaml: docker.compose_file: names the compose files of a repository without stacks'],
  ]
  for (const [what, yaml, dirs, message, options] of refusals) {
    it(`refuses ${what} in one line naming the file and the field`, () => refused(() => layout(yaml, dirs, options), message))
  }

  it('refuses more than 256 stacks', () => {
    const dirs = Object.fromEntries(Array.from({length: 257}, (_, index): [string, Holds] => [`apps/s${index}`, 'compose']))
    refused(() => layout('stacks: ["apps/*"]\n', dirs), 'kedge.yaml: stacks: lists more than 256 stacks, the most one repository holds')
    assert.equal(layout('stacks: ["apps/s1*"]\n', dirs).length, 111)
  })

  it('bounds what a glob makes it look at, in a wide tree', () => {
    const dirs = Object.fromEntries(Array.from({length: 60}, (_, a) => Array.from({length: 60}, (_, b): [string, Holds] => [`d${a}/e${b}/x`, 'nothing'])).flat())
    const tree = treeOf(dirs)
    assert.throws(
      () => resolveStackLayout({repository: 'shop', configDir: '', config: parseKedgeConfig('stacks: ["*/*/*"]\n', 'kedge.yaml')}, tree),
      (error: unknown) => error instanceof InvalidConfigError && error.message === `kedge.yaml: stacks.0: "*/*/*" reaches more directories than kedge looks at (${MAX_DIRECTORY_LOOKS})`,
    )
    assert.ok(tree.calls <= MAX_DIRECTORY_LOOKS + 1, `${tree.calls} calls`)
  })
})

describe('stackOrder', () => {
  it('places each stack after those it names, the least name first among those ready', () => {
    const order = stackOrder([
      {name: 'b', after: []},
      {name: 'a', after: ['c']},
      {name: 'c', after: []},
    ])
    assert.deepEqual('ordered' in order && order.ordered.map((stack) => stack.name), ['b', 'c', 'a'])
  })

  it('names a cycle from its least name, the first repeated at the end', () => {
    assert.deepEqual(stackOrder([{name: 'x', after: ['y']}, {name: 'y', after: ['x']}, {name: 'w', after: ['x']}]), {cycle: ['x', 'y', 'x']})
  })
})
