import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {canonicalJson, parseComposeConfig, serviceHash} from '../../src/model/compose/compose-model.js'
import {commandLine, configArgs, downArgs, generationOf, parseComposeOverride, pullArgs, upArgs, type ComposeProject} from '../../src/model/compose/compose-invocation.js'

const project: ComposeProject = {name: 'web', files: ['docker-compose.yaml', '/home/kedge/generated/web/compose.override.yaml'], directory: '/home/kedge/stacks/web'}
const GLOBAL = ['--project-name', 'web', '--project-directory', '/home/kedge/stacks/web', '--file', 'docker-compose.yaml', '--file', '/home/kedge/generated/web/compose.override.yaml', '--ansi', 'never']

describe('Compose argument lists', () => {
  it('puts the global options, accepted by v1 and v2 alike, before the subcommand', () => {
    assert.deepEqual(configArgs(project), [...GLOBAL, 'config'])
    assert.deepEqual(upArgs(project, {services: ['web', 'db']}), [...GLOBAL, 'up', '--detach', '--no-deps', '--', 'web', 'db'])
    assert.deepEqual(upArgs(project, {services: ['-d']}), [...GLOBAL, 'up', '--detach', '--no-deps', '--', '-d'])
    assert.throws(() => upArgs(project, {services: []}), /at least one service/)
    assert.deepEqual(downArgs(project, {volumes: false}), [...GLOBAL, 'down'])
    assert.deepEqual(downArgs(project, {volumes: true}), [...GLOBAL, 'down', '--volumes'])
    assert.deepEqual(pullArgs(project, ['web', 'db']), [...GLOBAL, 'pull', 'web', 'db'])
  })

  it('enables each of the project\'s profiles in every command, and keeps its environment off the command line', () => {
    const profiled: ComposeProject = {...project, profiles: ['seed', 'debug'], environment: {PG_PASS: 'hunter2-local'}}
    const profileArgs = ['--profile', 'seed', '--profile', 'debug']
    const global = [...GLOBAL.slice(0, -2), ...profileArgs, '--ansi', 'never']
    assert.deepEqual(configArgs(profiled), [...global, 'config'])
    assert.deepEqual(pullArgs(profiled, ['web']), [...global, 'pull', 'web'])
    assert.deepEqual(upArgs(profiled, {services: ['web']}), [...global, 'up', '--detach', '--no-deps', '--', 'web'])
    assert.deepEqual(downArgs(profiled, {volumes: false}).slice(0, global.length), global)
    assert.deepEqual(configArgs({...project, profiles: []}), [...GLOBAL, 'config'])
    assert.ok(!configArgs(profiled).some((arg) => arg.includes('hunter2-local')))
  })

  it('runs v2 as the docker plugin and v1 as its own program', () => {
    const up = upArgs(project, {services: ['web']})
    assert.deepEqual(commandLine({argv: ['docker', 'compose']}, up), {file: 'docker', args: ['compose', ...up]})
    assert.deepEqual(commandLine({argv: ['docker-compose']}, up), {file: 'docker-compose', args: up})
  })

  it('passes values as single arguments, never through a shell', () => {
    const odd = {...project, name: 'a; rm -rf /', files: ['$(reboot).yaml']}
    const args = upArgs(odd, {services: ['web']})
    assert.equal(args[1], 'a; rm -rf /')
    assert.equal(args[5], '$(reboot).yaml')
  })

  it('reads KEDGE_COMPOSE as words and tells the generations apart', () => {
    assert.deepEqual(parseComposeOverride('  docker   compose '), ['docker', 'compose'])
    assert.deepEqual(parseComposeOverride('/opt/bin/docker-compose'), ['/opt/bin/docker-compose'])
    assert.equal(generationOf('1.29.2'), 'v1')
    assert.equal(generationOf('2.27.0'), 'v2')
    assert.equal(generationOf('v2.30.1-desktop.1'), 'v2')
  })
})

const V1_CONFIG = `services:
  web:
    command:
    - sleep
    - '3600'
    deploy:
      replicas: 2
    environment:
      FOO: bar
    image: kedge-test/busybox:1
    volumes:
    - /srv/kedge/repos/app/conf:/conf:ro
    - /srv/kedge/repos/app/conf/a.txt:/a.txt:rw
    - /etc/localtime:/etc/localtime:ro
    - data:/data:rw
  builder:
    build:
      context: /srv/kedge/repos/app/src
version: '3.9'
volumes:
  data: {}
`
const V2_CONFIG = `name: app
services:
  web:
    environment:
      FOO: bar
    image: kedge-test/busybox:1
    env_file:
      - path: /srv/kedge/repos/app/web.env
        required: true
    configs:
      - source: nginx
    volumes:
      - type: bind
        source: /srv/kedge/repos/app/conf
        target: /conf
        read_only: true
      - type: volume
        source: data
        target: /data
configs:
  nginx:
    file: /srv/kedge/repos/app/nginx.conf
volumes:
  data: {}
`

describe('parseComposeConfig', () => {
  it('reads v1 output: replicas, images, builds and the repository files a service reads', () => {
    const [builder, web] = parseComposeConfig(V1_CONFIG, '/srv/kedge/repos/app')
    assert.equal(builder!.name, 'builder')
    assert.equal(builder!.build, true)
    assert.equal(builder!.image, null)
    assert.equal(web!.replicas, 2)
    assert.equal(web!.oneShot, false)
    assert.equal(web!.image, 'kedge-test/busybox:1')
    assert.deepEqual(web!.repositoryPaths, ['conf', 'conf/a.txt'])
    assert.doesNotMatch(JSON.stringify(web!.normalizedConfig), /\/srv\/kedge/)
  })

  it('knows a service another waits on to complete successfully is a job', () => {
    const services = parseComposeConfig(
      'services:\n  app:\n    image: a\n    depends_on:\n      migrate:\n        condition: service_completed_successfully\n      db:\n        condition: service_started\n  migrate:\n    image: a\n  db:\n    image: b\n',
      '/x',
    )
    assert.deepEqual(services.map((service) => [service.name, service.oneShot]), [['app', false], ['db', false], ['migrate', true]])
  })

  it('reads v2 output: bind mounts, env files and file-based configs', () => {
    const [web] = parseComposeConfig(V2_CONFIG, '/srv/kedge/repos/app')
    assert.equal(web!.replicas, 1)
    assert.deepEqual(web!.repositoryPaths, ['conf', 'nginx.conf', 'web.env'])
  })

  it('hashes the same configuration read in another directory the same', () => {
    const here = parseComposeConfig(V1_CONFIG, '/srv/kedge/repos/app')[1]!
    const there = parseComposeConfig(V1_CONFIG.replaceAll('/srv/kedge/repos/app', '/var/lib/kedge/repos/app'), '/var/lib/kedge/repos/app')[1]!
    const ids = new Map([['conf', 'a1'], ['conf/a.txt', 'b2']])
    assert.equal(serviceHash(here, ids), serviceHash(there, ids))
  })

  it('changes the hash when a file the service reads changes, and only then', () => {
    const web = parseComposeConfig(V1_CONFIG, '/srv/kedge/repos/app')[1]!
    const before = serviceHash(web, new Map([['conf', 'a1'], ['conf/a.txt', 'b2'], ['README.md', 'c3']]))
    assert.equal(serviceHash(web, new Map([['conf', 'a1'], ['conf/a.txt', 'b2'], ['README.md', 'changed']])), before)
    assert.notEqual(serviceHash(web, new Map([['conf', 'a1-new'], ['conf/a.txt', 'b2']])), before)
    const edited = parseComposeConfig(V1_CONFIG.replace('FOO: bar', 'FOO: baz'), '/srv/kedge/repos/app')[1]!
    assert.notEqual(serviceHash(edited, new Map([['conf', 'a1'], ['conf/a.txt', 'b2']])), before)
  })

  it('writes canonical JSON whatever the key order', () => {
    assert.equal(canonicalJson({b: 1, a: [{d: 2, c: 3}]}), canonicalJson({a: [{c: 3, d: 2}], b: 1}))
  })
})
