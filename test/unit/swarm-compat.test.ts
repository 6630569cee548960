import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parse} from 'yaml'

import {checkSwarmCompatibility} from '../../src/model/swarm/swarm-compat.js'

// What Compose 2.26.1's `docker compose config` printed for the files below, the project directory
// renamed to /srv/st6. Which keys `docker stack deploy` ignores and which it refuses was read from the
// docker CLI 28.2.2 deploying a file with every candidate key to a single-node swarm.
const MOUNTS = parse(`
name: c6
services:
  a:
    build:
      context: /srv/st6
      dockerfile: Dockerfile
    deploy:
      resources:
        limits:
          cpus: 0.5
          memory: "67108864"
    image: kedge-test/busybox:1
    networks:
      default: null
    volumes:
      - type: bind
        source: /srv/st6/data
        target: /data
        bind:
          create_host_path: true
      - type: bind
        source: /abs
        target: /abs
        bind:
          create_host_path: true
      - type: volume
        source: named
        target: /named
        volume: {}
      - type: volume
        target: /anon
        volume: {}
  b:
    deploy:
      mode: replicated-job
    image: kedge-test/busybox:1
    networks:
      default: null
    x-kedge:
      on_file_change: restart
networks:
  default:
    name: c6_default
volumes:
  named:
    name: c6_named
`) as unknown

const notes = (list: Array<{service: string | null; key: string}>) => list.map((note) => [note.service, note.key])

describe('checkSwarmCompatibility', () => {
  it("warns of a build, a bind mount of the checkout and a named volume; refuses on_file_change and a job", () => {
    const result = checkSwarmCompatibility(MOUNTS, '/srv/st6')
    assert.deepEqual(result.warnings.map((note) => note.message), [
      'service a: `build` is ignored: Swarm builds nothing: every node pulls the image `image:` names, so push it to a registry they reach',
      "service a: the bind mount of data is a path on kedge's host (/srv/st6/data); a task on another node mounts that path there, or fails without it",
      'service a: the volume named is created on each node a task runs on; its data does not follow a task to another node',
    ])
    assert.deepEqual(notes(result.refusals), [
      ['b', 'x-kedge.on_file_change'],
      ['b', 'deploy.mode'],
    ])
    assert.match(result.refusals[0]!.message, /^service b: `x-kedge.on_file_change` has no Swarm equivalent/)
    assert.match(result.refusals[1]!.message, /^service b: `deploy.mode: replicated-job`: kedge deploys replicated and global services to Swarm, not jobs/)
  })

  it('finds nothing to say of a stack Swarm runs as Compose would', () => {
    const config = parse(`
services:
  web:
    command: [sh, -c, "sleep 1000"]
    deploy: {replicas: 2, update_config: {monitor: 1s}}
    environment: {MODE: one}
    image: kedge-test/busybox:1
    networks: {default: null}
    stop_grace_period: 1s
    volumes:
      - {type: bind, source: /etc/localtime, target: /etc/localtime, read_only: true}
    x-kedge: {on_file_change: null}
`) as unknown
    assert.deepEqual(checkSwarmCompatibility(config, '/srv/demo'), {warnings: [], refusals: []})
  })

  it('warns of every key the stack loader ignores, service by service', () => {
    const config = {
      services: {
        web: {image: 'x', restart: 'always', container_name: 'web', depends_on: {db: {condition: 'service_started', required: true}}, privileged: true, expose: ['80']},
        db: {image: 'y', network_mode: 'host', links: ['web']},
      },
    }
    assert.deepEqual(notes(checkSwarmCompatibility(config, '/srv/demo').warnings), [
      ['db', 'links'],
      ['db', 'network_mode'],
      ['web', 'container_name'],
      ['web', 'depends_on'],
      ['web', 'expose'],
      ['web', 'privileged'],
      ['web', 'restart'],
    ])
    assert.equal(
      checkSwarmCompatibility(config, '/srv/demo').warnings.find((note) => note.key === 'restart')!.message,
      'service web: `restart` is ignored: Swarm ignores it: `deploy.restart_policy` says when it restarts a task',
    )
  })

  it('refuses the keys the stack loader rejects, which Compose accepts', () => {
    const config = {services: {web: {image: 'x', pull_policy: 'always', profiles: ['debug'], platform: 'linux/amd64', mem_limit: '64m', volumes_from: ['db']}}}
    const {refusals} = checkSwarmCompatibility(config, '/srv/demo')
    assert.deepEqual(notes(refusals), [
      ['web', 'mem_limit'],
      ['web', 'platform'],
      ['web', 'profiles'],
      ['web', 'pull_policy'],
      ['web', 'volumes_from'],
    ])
    assert.equal(refusals[0]!.message, 'service web: `mem_limit`: the stack loader does not accept it: use `deploy.resources.limits.memory`')
  })

  it("reads the short form of mounts Compose v1 prints", () => {
    const config = {services: {web: {image: 'x', volumes: ['/srv/demo/conf:/conf:ro', '/var/log:/log', 'data:/data', '/scratch']}}}
    assert.deepEqual(checkSwarmCompatibility(config, '/srv/demo').warnings.map((note) => note.message), [
      "service web: the bind mount of conf is a path on kedge's host (/srv/demo/conf); a task on another node mounts that path there, or fails without it",
      'service web: the volume data is created on each node a task runs on; its data does not follow a task to another node',
    ])
  })

  it('tells the checkout itself from a directory beside it of a similar name', () => {
    const config = {services: {web: {image: 'x', volumes: [{type: 'bind', source: '/srv/demo', target: '/app'}, {type: 'bind', source: '/srv/demo-data', target: '/data'}]}}}
    assert.deepEqual(checkSwarmCompatibility(config, '/srv/demo').warnings.map((note) => note.message), [
      "service web: the bind mount of . is a path on kedge's host (/srv/demo); a task on another node mounts that path there, or fails without it",
    ])
  })
})
