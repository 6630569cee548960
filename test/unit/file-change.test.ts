import assert from 'node:assert/strict'
import {mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {parseComposeConfig, serviceHash} from '../../src/model/compose/compose-model.js'
import {declaredOnFileChange, fileChangeSteps, hashesOf, parseOnFileChange, placeKeepingMountedInodes} from '../../src/usecases/deploying/file-change.js'
import type {MountedFiles} from '../../src/model/compose/mounted-files.js'
import {describeChanges, planChanges, type DesiredService} from '../../src/model/stack/plan.js'
import {fakeContainer} from '../helpers/fake-container.js'
import {tempDir} from '../helpers/temp.js'

const CHECKOUT = '/srv/kedge/repos/app'
const V2_CONFIG = `name: app
services:
  proxy:
    image: kedge-test/busybox:1
    env_file:
      - ${CHECKOUT}/proxy.env
    volumes:
      - type: bind
        source: ${CHECKOUT}/dynamic
        target: /etc/proxy/dynamic
      - type: bind
        source: ${CHECKOUT}/static.conf
        target: /etc/proxy/static.conf
    x-kedge:
      on_file_change: signal:SIGHUP
  web:
    image: kedge-test/busybox:1
    volumes:
      - type: bind
        source: ${CHECKOUT}/site
        target: /var/www
`
const IDS = new Map([['dynamic', 't1'], ['static.conf', 'b1'], ['proxy.env', 'e1'], ['site', 's1']])

const files = (hash: string, onChange: MountedFiles['onChange'] = 'signal:SIGHUP'): MountedFiles => ({onChange, hash, paths: ['conf']})
const desired = (name: string, overrides: Partial<DesiredService> = {}): DesiredService => ({name, image: 'img:1', replicas: 1, hash: `h-${name}`, ...overrides})
const container = (service: string, overrides: Parameters<typeof fakeContainer>[1] = {}) =>
  fakeContainer(service, {imageId: 'sha256:1', labels: {'io.kedge.config-hash': `h-${service}`}, ...overrides})

describe('on_file_change in the compose model', () => {
  it('reads the extension, tells mounted files from env files, and keeps it out of the configuration hashed', () => {
    const [proxy, web] = parseComposeConfig(V2_CONFIG, CHECKOUT)
    assert.equal(proxy!.onFileChange, 'signal:SIGHUP')
    assert.equal(web!.onFileChange, null)
    assert.deepEqual(proxy!.repositoryPaths, ['dynamic', 'proxy.env', 'static.conf'])
    assert.deepEqual(proxy!.mountedPaths, ['dynamic', 'static.conf'])
    const without = parseComposeConfig(V2_CONFIG.replace('    x-kedge:\n      on_file_change: signal:SIGHUP\n', ''), CHECKOUT)[0]!
    assert.equal(serviceHash(proxy!, IDS), serviceHash(without, IDS), 'Compose v1 drops the extension when it merges files, v2 keeps it')
  })

  it('keeps the hash of a service without the extension, files included', () => {
    const web = parseComposeConfig(V2_CONFIG, CHECKOUT)[1]!
    assert.deepEqual(hashesOf(web, IDS, null), {hash: serviceHash(web, IDS)})
  })

  it('leaves the mounted files out of the labels of a service that declares it, and hashes them apart', () => {
    const proxy = parseComposeConfig(V2_CONFIG, CHECKOUT)[0]!
    const before = hashesOf(proxy, IDS, 'signal:SIGHUP')
    const fileChanged = hashesOf(proxy, new Map([...IDS, ['dynamic', 't2']]), 'signal:SIGHUP')
    assert.equal(fileChanged.hash, before.hash)
    assert.notEqual(fileChanged.files!.hash, before.files!.hash)
    assert.deepEqual(before.files!.paths, ['dynamic', 'static.conf'])
    assert.notEqual(hashesOf(proxy, new Map([...IDS, ['proxy.env', 'e2']]), 'signal:SIGHUP').hash, before.hash, 'an env file is read only when the container is created')
    assert.notEqual(before.hash, serviceHash(proxy, IDS))
  })
})

describe('parseOnFileChange', () => {
  it('accepts restart, none, recreate and signals, normalised', () => {
    assert.equal(parseOnFileChange(undefined, 'compose.yaml', 'web'), null)
    assert.equal(parseOnFileChange('recreate', 'compose.yaml', 'web'), null)
    assert.equal(parseOnFileChange('restart', 'compose.yaml', 'web'), 'restart')
    assert.equal(parseOnFileChange('none', 'compose.yaml', 'web'), 'none')
    assert.equal(parseOnFileChange('signal:SIGHUP', 'compose.yaml', 'web'), 'signal:SIGHUP')
    assert.equal(parseOnFileChange('signal:usr1', 'compose.yaml', 'web'), 'signal:SIGUSR1')
  })

  it('refuses anything else in one line naming the file, the service and the field', () => {
    assert.throws(() => parseOnFileChange('reload', 'compose.yaml', 'web'), (error: Error & {code?: string}) => {
      assert.equal(error.code, 'invalid_config')
      assert.match(error.message, /^compose\.yaml: services\.web\.x-kedge\.on_file_change: "reload" is not a known action/)
      assert.doesNotMatch(error.message, /\n/)
      return true
    })
    assert.throws(() => parseOnFileChange('signal:SIGKILL', 'compose.yaml', 'web'), /services\.web\.x-kedge\.on_file_change: "SIGKILL" is not a signal/)
    assert.throws(() => parseOnFileChange('signal:BOGUS', 'compose.yaml', 'web'), /"BOGUS" is not a signal/)
    assert.throws(() => parseOnFileChange(true, 'compose.yaml', 'web'), /not a text value/)
  })
})

describe('declaredOnFileChange', () => {
  it('merges the compose files in order, the later winning, and parses only those that mention it', () => {
    const declared = declaredOnFileChange([
      {path: 'compose.yaml', content: 'services:\n  web:\n    image: a\n    x-kedge: {on_file_change: restart}\n  db:\n    x-kedge:\n      on_file_change: none\n'},
      {path: 'compose.prod.yaml', content: 'services:\n  web:\n    x-kedge:\n      on_file_change: signal:SIGHUP\n'},
      {path: 'broken.yaml', content: 'services: [unclosed'},
    ])
    assert.deepEqual(Object.fromEntries(declared), {
      web: {value: 'signal:SIGHUP', file: 'compose.prod.yaml'},
      db: {value: 'none', file: 'compose.yaml'},
    })
  })

  it('follows merge keys, as Compose does', () => {
    const declared = declaredOnFileChange([
      {path: 'compose.yaml', content: 'x-reload: &reload\n  x-kedge: {on_file_change: restart}\nservices:\n  web:\n    <<: *reload\n    image: a\n'},
    ])
    assert.deepEqual(declared.get('web'), {value: 'restart', file: 'compose.yaml'})
  })
})

describe('planChanges with on_file_change', () => {
  it('restarts, signals or only places the files when only the mounted files changed since the last deployment', () => {
    const previous = [desired('a', {files: files('f1', 'restart')}), desired('b', {files: files('f1')}), desired('c', {files: files('f1', 'none')})]
    const now = [desired('a', {files: files('f2', 'restart')}), desired('b', {files: files('f2')}), desired('c', {files: files('f2', 'none')})]
    const changes = planChanges(now, [container('a'), container('b'), container('c')], previous)
    assert.deepEqual(changes, [
      {service: 'a', action: 'restart', from: 'img:1', to: 'img:1'},
      {service: 'b', action: 'reload', signal: 'SIGHUP', from: 'img:1', to: 'img:1'},
      {service: 'c', action: 'files', from: 'img:1', to: 'img:1'},
    ])
    assert.equal(describeChanges(changes), 'restart a, reload b (signal SIGHUP), files c (no action)')
  })

  it('plans nothing when the files did not change, or when the last deployment recorded no files hash', () => {
    assert.deepEqual(planChanges([desired('b', {files: files('f1')})], [container('b')], [desired('b', {files: files('f1')})]), [])
    assert.deepEqual(planChanges([desired('b', {files: files('f2')})], [container('b')], [desired('b')]), [])
    assert.deepEqual(planChanges([desired('b', {files: files('f2')})], [container('b')]), [])
  })

  it('still recreates when the configuration changed, and starts a stopped container rather than signal it', () => {
    const previous = [desired('b', {files: files('f1')})]
    assert.deepEqual(planChanges([desired('b', {hash: 'new', files: files('f2')})], [container('b')], previous).map((change) => change.action), ['recreate'])
    assert.deepEqual(planChanges([desired('b', {files: files('f2')})], [container('b', {state: 'exited', exitCode: 1})], previous).map((change) => change.action), ['start'])
  })

  it('signals the replicas that run on beside a scale or a start, so a change of files is not lost', () => {
    const previous = [desired('b', {files: files('f1')})]
    const scaled = planChanges([desired('b', {replicas: 3, files: files('f2')})], [container('b', {id: 'b1'}), container('b', {id: 'b2'})], previous)
    assert.deepEqual(scaled.map((change) => [change.action, change.signal]), [['scale', undefined], ['reload', 'SIGHUP']])
    const started = planChanges([desired('b', {replicas: 2, files: files('f2')})], [container('b', {id: 'b1'}), container('b', {id: 'b2', state: 'exited', exitCode: 1})], previous)
    assert.deepEqual(started.map((change) => change.action), ['start', 'reload'])
    assert.deepEqual(fileChangeSteps(started, [container('b', {id: 'b1'}), container('b', {id: 'b2', state: 'exited', exitCode: 1})]).map((step) => step.container.id), ['b1'])
  })

  it('restarts and signals only running containers: a job that completed does not run again', () => {
    const containers = [container('a', {id: 'a1'}), container('a', {id: 'a2', state: 'exited'}), container('b', {id: 'b1'}), container('b', {id: 'b2', state: 'exited'}), container('c', {id: 'c1'})]
    const steps = fileChangeSteps(
      [
        {service: 'a', action: 'restart', from: null, to: null},
        {service: 'b', action: 'reload', signal: 'SIGHUP', from: null, to: null},
        {service: 'c', action: 'files', from: null, to: null},
      ],
      containers,
    )
    assert.deepEqual(steps.map(({container: {id}, signal}) => [id, signal]), [['a1', null], ['b1', 'SIGHUP']])
  })
})

describe('placeKeepingMountedInodes', () => {
  /** As git read-tree -u writes a changed file: a new file renamed over the old one. */
  const replace = (file: string, content: string) => {
    writeFileSync(`${file}.new`, content, {mode: 0o755})
    renameSync(`${file}.new`, file)
  }

  it('writes a replaced single file of a signalled service back into the inode its containers see', async () => {
    const stack = tempDir()
    mkdirSync(path.join(stack, 'conf'))
    for (const file of ['static.conf', 'restarted.conf', 'conf/dir.conf']) writeFileSync(path.join(stack, file), 'old\n')
    const inode = (file: string) => statSync(path.join(stack, file)).ino
    const before = {single: inode('static.conf'), restarted: inode('restarted.conf')}
    const services = [
      desired('proxy', {files: {onChange: 'signal:SIGHUP', hash: 'f', paths: ['conf', 'static.conf', 'missing.conf']}}),
      desired('app', {files: {onChange: 'restart', hash: 'f', paths: ['restarted.conf']}}),
    ]
    await placeKeepingMountedInodes(stack, services, async () => {
      for (const file of ['static.conf', 'restarted.conf', 'conf/dir.conf']) replace(path.join(stack, file), 'new\n')
    })
    assert.equal(inode('static.conf'), before.single)
    assert.equal(readFileSync(path.join(stack, 'static.conf'), 'utf8'), 'new\n')
    assert.equal(statSync(path.join(stack, 'static.conf')).mode & 0o777, 0o755)
    assert.notEqual(inode('restarted.conf'), before.restarted, 'a restart mounts the file anew')
    assert.deepEqual(readdirSync(stack).sort(), ['conf', 'restarted.conf', 'static.conf'], 'no second name is left behind')
  })

  it('leaves an unchanged file as it is, and never writes outside the stack through a committed symbolic link', async () => {
    const stack = tempDir()
    const elsewhere = tempDir()
    writeFileSync(path.join(stack, 'same.conf'), 'same\n')
    writeFileSync(path.join(elsewhere, 'host.conf'), 'host\n')
    symlinkSync(elsewhere, path.join(stack, 'link'))
    const services = [desired('proxy', {files: {onChange: 'none', hash: 'f', paths: ['same.conf', 'link/host.conf']}})]
    let whilePlacing: string[] = []
    await placeKeepingMountedInodes(stack, services, async () => {
      whilePlacing = readdirSync(elsewhere)
    })
    assert.deepEqual(whilePlacing, ['host.conf'])
    assert.deepEqual(readdirSync(stack).sort(), ['link', 'same.conf'])
  })
})
