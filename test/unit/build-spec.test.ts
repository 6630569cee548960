import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parse as parseYaml} from 'yaml'

import {keptBuildOutput, KEPT_BUILD_OUTPUT_BYTES} from '../../src/model/compose/build-output.js'
import {builtImageLabels, builtImageTag, isBuiltImageTag, readBuildSource, sourceDirectories, type BuildContent} from '../../src/model/compose/build-spec.js'
import {buildArgs} from '../../src/model/compose/compose-invocation.js'
import {formerServiceHashes, parseComposeConfig, serviceHash, withBuiltImage} from '../../src/model/compose/compose-model.js'
import {InvalidConfigError} from '../../src/model/errors.js'
import {renderOverrideFile} from '../../src/model/compose/override-file.js'
import {registerSecret} from '../../src/model/secrets/redaction.js'
import type {StackSnapshot} from '../../src/model/stack/stack-snapshot.js'
import {parseSnapshot} from '../../src/model/stack/stored-snapshot.js'

const REPO = '/srv/kedge/repos/app'
const FILES = 'compose.yaml'

/** A service's build as `compose config` prints it, read as parseComposeConfig reads it. */
function declared(buildYaml: string, extra = '') {
  const [service] = parseComposeConfig(`services:\n  web:\n${extra}    build:\n${buildYaml}`, REPO)
  return {name: service!.name, ...service!.buildDeclaration!}
}

const CONTENT: BuildContent = {treeIds: new Map([['app', 'tree-1']]), dockerfileDigest: 'dockerfile-1'}

describe('a build source', () => {
  it('is read the same from Compose v1 and v2 output: paths from the repository root, arguments sorted and valueless ones left out', () => {
    const v2 = declared(`      context: ${REPO}/app\n      dockerfile: Dockerfile\n      args:\n        B: "2"\n        C: x\n      target: base\n`, '    platform: linux/amd64\n')
    const v1 = declared(`      args:\n        A: ''\n        C: x\n        B: '2'\n      context: ${REPO}/app\n      target: base\n`, '    platform: linux/amd64\n')
    const expected = {service: 'web', context: 'app', dockerfile: 'app/Dockerfile', dockerfileInline: null, args: ['B=2', 'C=x'], target: 'base', platforms: ['linux/amd64'], additionalContexts: []}
    assert.deepEqual(readBuildSource(v2, REPO, FILES), expected)
    assert.deepEqual(readBuildSource(v1, REPO, FILES), expected)
  })

  it('takes a Dockerfile beside the context, an inline one, additional contexts and the repository root', () => {
    const outside = readBuildSource(declared(`      context: ${REPO}/app\n      dockerfile: ../docker/web.Dockerfile\n`), REPO, FILES)
    assert.equal(outside.dockerfile, 'docker/web.Dockerfile')
    const inline = readBuildSource(declared(`      context: ${REPO}\n      dockerfile_inline: |\n        FROM scratch\n      additional_contexts:\n        shared: ${REPO}/lib\n`), REPO, FILES)
    assert.equal(inline.context, '')
    assert.equal(inline.dockerfile, null)
    assert.equal(inline.dockerfileInline, 'FROM scratch\n')
    assert.deepEqual(inline.additionalContexts, [{name: 'shared', path: 'lib'}])
    assert.deepEqual(sourceDirectories(inline), ['', 'lib'])
  })

  const refusals: Array<{what: string; build: string; message: RegExp}> = [
    {what: 'a context outside the repository', build: `      context: ${REPO}/../..\n`, message: /^compose\.yaml: services\.web\.build\.context: "\.\.\/\.\." leads outside the repository$/},
    {what: 'an absolute context elsewhere', build: '      context: /etc\n', message: /services\.web\.build\.context: ".*etc" leads outside the repository$/},
    {what: 'a URL context', build: '      context: https://github.com/docker/buildx.git#main\n', message: /services\.web\.build\.context: "https:.*" is not a directory of the repository: kedge does not build from a URL or a git repository$/},
    {what: 'a git context', build: '      context: git@github.com:docker/buildx.git\n', message: /not a directory of the repository/},
    {what: 'a context inside .git', build: `      context: ${REPO}/.git\n`, message: /services\.web\.build\.context: "\.git" is inside \.git/},
    {what: 'a Dockerfile outside the repository', build: `      context: ${REPO}/app\n      dockerfile: /etc/passwd\n`, message: /services\.web\.build\.dockerfile: ".*etc\/passwd" leads outside the repository$/},
    {what: 'an additional context outside the repository', build: `      context: ${REPO}/app\n      additional_contexts:\n        host: /\n`, message: /services\.web\.build\.additional_contexts\.host: .* leads outside the repository$/},
    {what: 'an additional context from an image', build: `      context: ${REPO}/app\n      additional_contexts:\n        - base=docker-image://alpine\n`, message: /additional_contexts\.base: "docker-image:\/\/alpine" is not a directory of the repository/},
    {what: 'a build secret', build: `      context: ${REPO}/app\n      secrets:\n        - token\n`, message: /services\.web\.build\.secrets: is not supported/},
    {what: 'ssh', build: `      context: ${REPO}/app\n      ssh:\n        - default\n`, message: /services\.web\.build\.ssh: is not supported/},
    {what: 'a local cache', build: `      context: ${REPO}/app\n      cache_from:\n        - type=local,src=/var/cache\n`, message: /services\.web\.build\.cache_from: type=local is not supported/},
  ]
  for (const refusal of refusals) {
    it(`is refused in one line naming the service: ${refusal.what}`, () => {
      assert.throws(
        () => readBuildSource(declared(refusal.build), REPO, FILES),
        (error: unknown) => error instanceof InvalidConfigError && error.code === 'invalid_config' && refusal.message.test(error.message) && !error.message.includes('\n'),
      )
    })
  }
})

describe('a built image\'s tag', () => {
  const source = readBuildSource(declared(`      context: ${REPO}/app\n      args:\n        B: "2"\n        A: one\n`), REPO, FILES)

  it('names kedge\'s repository, the project and the service, with 16 hex of what the build reads', () => {
    const tag = builtImageTag('shop', source, CONTENT)
    assert.match(tag, /^kedge-build\/shop-web:[0-9a-f]{16}$/)
    assert.ok(isBuiltImageTag(tag))
    assert.equal(builtImageTag('shop', source, CONTENT), tag, 'the same content, the same tag')
  })

  it('changes with the context\'s tree, the Dockerfile, an argument, the target and the platform, and with nothing else', () => {
    const tag = builtImageTag('shop', source, CONTENT)
    const others = [
      builtImageTag('shop', source, {...CONTENT, treeIds: new Map([['app', 'tree-2']])}),
      builtImageTag('shop', source, {...CONTENT, dockerfileDigest: 'dockerfile-2'}),
      builtImageTag('shop', {...source, args: ['A=one', 'B=3']}, CONTENT),
      builtImageTag('shop', {...source, target: 'prod'}, CONTENT),
      builtImageTag('shop', {...source, platforms: ['linux/arm64']}, CONTENT),
    ]
    assert.equal(new Set([tag, ...others]).size, 6)
    assert.equal(builtImageTag('shop', source, {...CONTENT, treeIds: new Map([['app', 'tree-1'], ['docs', 'other']])}), tag)
  })

  it('is a valid Docker reference whatever the service is called, and two names that sanitize alike keep tags of their own', () => {
    const odd = builtImageTag('my_shop', {...source, service: 'Web.API__v2'}, CONTENT)
    assert.match(odd, /^kedge-build\/my-shop-web-api-v2:[0-9a-f]{16}$/)
    assert.notEqual(builtImageTag('my_shop', {...source, service: 'web-api-v2'}, CONTENT).split(':')[1], odd.split(':')[1])
    assert.ok(!isBuiltImageTag('kedge-build/shop-web:latest'))
    assert.ok(!isBuiltImageTag('alpine:3'))
  })
})

describe('the hash of a built service', () => {
  const config = (context: string) => `services:\n  web:\n    build:\n      context: ${REPO}/${context}\n  db:\n    image: kedge-test/busybox:1\n    environment:\n      LEVEL: "1"\n    volumes:\n      - type: bind\n        source: ${REPO}/conf\n        target: /conf\n`
  const ids = new Map([['conf', 'a1']])

  it('follows its tag: a new tag changes it, the same tag keeps it, and none of its former hashes is the one it had without a tag', () => {
    const [db, web] = parseComposeConfig(config('app'), REPO)
    const first = serviceHash(withBuiltImage(web!, 'kedge-build/app-web:0000000000000001'), ids)
    assert.equal(serviceHash(withBuiltImage(web!, 'kedge-build/app-web:0000000000000001'), ids), first)
    assert.notEqual(serviceHash(withBuiltImage(web!, 'kedge-build/app-web:0000000000000002'), ids), first)
    assert.ok(!formerServiceHashes(withBuiltImage(web!, 'kedge-build/app-web:0000000000000001'), ids).includes(serviceHash(web!, ids)))
    assert.equal(withBuiltImage(web!, 'kedge-build/app-web:0000000000000001').image, 'kedge-build/app-web:0000000000000001')
    // A service without build: keeps the hash kedge gave it before it built images (pinned), or upgrading kedge would recreate it.
    assert.equal(serviceHash(db!, ids), 'b82c854d908ff2b775404d40bc265edd')
    assert.equal(db!.buildDeclaration, null)
  })
})

describe('kedge\'s override file for a built service', () => {
  const snapshot: StackSnapshot = {
    version: 1,
    commit: 'a'.repeat(40),
    project: 'shop',
    stackPath: '.',
    composeFiles: [{path: 'compose.yaml', content: ''}],
    kedgeConfig: null,
    services: [
      {name: 'web', image: 'kedge-build/shop-web:0123456789abcdef', replicas: 1, hash: 'h1', commit: 'a'.repeat(40), build: {tag: 'kedge-build/shop-web:0123456789abcdef'}},
      {name: 'db', image: 'postgres:16', replicas: 1, hash: 'h2', commit: 'a'.repeat(40)},
    ],
  }

  it('names the image by kedge\'s tag and labels what the build makes; a pulled service gets its labels only', () => {
    const override = parseYaml(renderOverrideFile('shop-repo', snapshot)) as {services: Record<string, Record<string, unknown>>}
    assert.equal(override.services.web!.image, 'kedge-build/shop-web:0123456789abcdef')
    assert.deepEqual(override.services.web!.build, {labels: {'io.kedge.built-by': 'shop-repo', 'io.kedge.project': 'shop', 'io.kedge.service': 'web'}})
    assert.deepEqual(builtImageLabels({repository: 'shop-repo', project: 'shop', service: 'web'}), override.services.web!.build && (override.services.web!.build as {labels: unknown}).labels)
    assert.deepEqual(Object.keys(override.services.db!), ['labels'])
  })

  it('is read back from the database with its tag, and a tag kedge does not derive is a corrupt row', () => {
    assert.deepEqual(parseSnapshot(JSON.stringify(snapshot), 3)?.services[0]?.build, {tag: 'kedge-build/shop-web:0123456789abcdef'})
    const forged = {...snapshot, services: [{...snapshot.services[0]!, image: 'alpine:3', build: {tag: 'alpine:3'}}]}
    assert.throws(() => parseSnapshot(JSON.stringify(forged), 3), /corrupt database: deployments row 3, column snapshot: service "web": build tag "alpine:3" is not one kedge derives/)
    const mismatched = {...snapshot, services: [{...snapshot.services[0]!, image: 'postgres:16'}]}
    assert.throws(() => parseSnapshot(JSON.stringify(mismatched), 3), /is not one kedge derives/)
  })
})

describe('compose build\'s arguments', () => {
  it('build the named services only, after the global options', () => {
    assert.deepEqual(buildArgs({name: 'shop', files: ['compose.yaml', '/home/o.yaml'], directory: '/r'}, ['web', 'api']), [
      '--project-name', 'shop', '--project-directory', '/r', '--file', 'compose.yaml', '--file', '/home/o.yaml', '--ansi', 'never', 'build', '--', 'web', 'api',
    ])
    assert.throws(() => buildArgs({name: 'shop', files: [], directory: '/r'}, []), /at least one service/)
  })
})

describe('a failed build\'s output as the deployment keeps it', () => {
  it('is redacted, and only its last 64 KiB kept, from the start of a line', () => {
    registerSecret('build-secret-value-1234')
    assert.equal(keptBuildOutput('step 1\nusing build-secret-value-1234\nfailed\n'), 'step 1\nusing ***\nfailed')
    const long = Array.from({length: 20_000}, (_, index) => `line ${index} of the build`).join('\n')
    const kept = keptBuildOutput(long)!
    assert.ok(Buffer.byteLength(kept) <= KEPT_BUILD_OUTPUT_BYTES)
    assert.match(kept, /^line \d+ of the build\n/)
    assert.match(kept, /line 19999 of the build$/)
    assert.equal(keptBuildOutput('  \n'), null)
  })
})
