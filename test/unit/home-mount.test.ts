import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ownContainerIdCandidates} from '../../src/adapters/engine/own-container.js'
import {warnWhenHomeIsElsewhereOnHost} from '../../src/drivers/daemon/home-mount-check.js'
import {createLogger} from '../../src/drivers/daemon/logger.js'
import {homeMount, homeMountWarning, type ContainerMount} from '../../src/model/home-mount.js'
import {resolveHome} from '../../src/model/home.js'
import {FakeEngine} from '../helpers/fake-ports.js'

const bind = (source: string, destination = source): ContainerMount => ({source, destination})
const ID = 'a'.repeat(64)
const OTHER_ID = 'b'.repeat(64)

describe('homeMount', () => {
  it('finds the home at the same path when it is mounted there, or below such a mount', () => {
    assert.deepEqual(homeMount('/var/lib/kedge', [bind('/var/lib/kedge')]), {kind: 'same-path'})
    assert.deepEqual(homeMount('/var/lib/kedge', [bind('/var/lib')]), {kind: 'same-path'})
    assert.deepEqual(homeMount('/var/lib/kedge/', [bind('/var/lib/kedge/')]), {kind: 'same-path'})
  })

  it('names the host path of a home mounted elsewhere, from the deepest mount that holds it', () => {
    assert.deepEqual(homeMount('/var/lib/kedge', [bind('/srv/kedge', '/var/lib/kedge')]), {kind: 'other-path', hostPath: '/srv/kedge'})
    assert.deepEqual(homeMount('/data/kedge', [bind('/data'), bind('/mnt/disk/kedge', '/data/kedge')]), {kind: 'other-path', hostPath: '/mnt/disk/kedge'})
    assert.deepEqual(homeMount('/data/kedge/home', [bind('/srv', '/data')]), {kind: 'other-path', hostPath: '/srv/kedge/home'})
    // A named volume: its data directory is on the host, under the engine's data root.
    assert.deepEqual(homeMount('/var/lib/kedge', [bind('/var/lib/docker/volumes/kedge/_data', '/var/lib/kedge')]), {
      kind: 'other-path',
      hostPath: '/var/lib/docker/volumes/kedge/_data',
    })
    // The same path deeper down wins over an outer mount at another path.
    assert.deepEqual(homeMount('/data/kedge', [bind('/srv', '/data'), bind('/data/kedge')]), {kind: 'same-path'})
  })

  it('finds no mount for a home that only shares a prefix of characters with one, or lies above it', () => {
    assert.deepEqual(homeMount('/var/lib/kedge', [bind('/var/lib/ked'), bind('/var/lib/kedge-old')]), {kind: 'not-mounted'})
    assert.deepEqual(homeMount('/var/lib/kedge', [bind('/var/lib/kedge/stacks')]), {kind: 'not-mounted'})
    assert.deepEqual(homeMount('/var/lib/kedge', [bind('/var/run/docker.sock')]), {kind: 'not-mounted'})
    assert.deepEqual(homeMount('/var/lib/kedge', []), {kind: 'not-mounted'})
  })

  it('holds the home under a mount of / at /', () => {
    assert.deepEqual(homeMount('/var/lib/kedge', [bind('/')]), {kind: 'same-path'})
  })
})

describe('homeMountWarning', () => {
  it('says nothing for the same path', () => {
    assert.equal(homeMountWarning('/var/lib/kedge', {kind: 'same-path'}), null)
  })

  it('names both paths and a mount at the same path for a home mounted elsewhere', () => {
    const warning = homeMountWarning('/var/lib/kedge', {kind: 'other-path', hostPath: '/srv/kedge'})!
    assert.equal(warning.hostPath, '/srv/kedge')
    assert.match(warning.reason, /the home \/var\/lib\/kedge is \/srv\/kedge on the host/)
    assert.match(warning.hint, /-v \/srv\/kedge:\/srv\/kedge with KEDGE_HOME=\/srv\/kedge, or -v \/var\/lib\/kedge:\/var\/lib\/kedge/)
  })

  it('says where the files of a home on no mount go, and how to mount one', () => {
    const warning = homeMountWarning('/var/lib/kedge', {kind: 'not-mounted'})!
    assert.equal(warning.hostPath, null)
    assert.match(warning.reason, /on no mount of this container/)
    assert.match(warning.hint, /-v \/var\/lib\/kedge:\/var\/lib\/kedge/)
  })
})

describe('ownContainerIdCandidates', () => {
  it("reads the container's id from the files Docker mounts from its directory", () => {
    const mountinfo = [
      '591 520 0:52 / / rw,relatime master:274 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X',
      `612 591 254:0 /var/lib/docker/containers/${ID}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw`,
      `613 591 254:0 /var/lib/docker/containers/${ID}/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw`,
      '615 591 0:5 /var/lib/kedge /var/lib/kedge rw,relatime - ext4 /dev/vda rw',
    ].join('\n')
    assert.deepEqual(ownContainerIdCandidates(mountinfo, '0::/\n'), [ID])
  })

  it('reads it from a data root on a file system of its own, and from a cgroup v1 path', () => {
    assert.deepEqual(ownContainerIdCandidates(`1 0 8:1 /containers/${ID}/hosts /etc/hosts rw - ext4 /dev/sdb rw`, ''), [ID])
    assert.deepEqual(ownContainerIdCandidates('', `12:memory:/docker/${OTHER_ID}\n11:cpu:/docker/${OTHER_ID}\n`), [OTHER_ID])
    assert.deepEqual(ownContainerIdCandidates('', `0::/system.slice/docker-${OTHER_ID}.scope\n`), [OTHER_ID])
    assert.deepEqual(ownContainerIdCandidates(`1 0 8:1 /containers/${ID}/hosts /etc/hosts rw - ext4 /dev/sdb rw`, `12:memory:/docker/${OTHER_ID}`), [ID, OTHER_ID])
  })

  it("finds none on a host, where another container's shared /dev/shm is mounted under its directory", () => {
    assert.deepEqual(ownContainerIdCandidates('22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n', '0::/user.slice/user-1000.slice/session-2.scope\n'), [])
    const shared = `700 30 0:60 / /var/lib/docker/containers/${OTHER_ID}/mounts/shm rw,nosuid,nodev,noexec,relatime shared:300 - tmpfs shm rw,size=65536k`
    assert.deepEqual(ownContainerIdCandidates(`22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n${shared}\n`, '0::/init.scope\n'), [])
    assert.deepEqual(ownContainerIdCandidates('', ''), [])
  })
})

describe('warnWhenHomeIsElsewhereOnHost', () => {
  const home = resolveHome('/var/lib/kedge')
  function logged(engine: FakeEngine): Promise<string[]> {
    const lines: string[] = []
    const logger = createLogger({level: 'debug', format: 'json', write: (line) => lines.push(line)})
    return warnWhenHomeIsElsewhereOnHost({engine, home}, logger).then(() => lines)
  }

  it('logs one warning line naming both paths and the fix when the home is elsewhere on the host', async () => {
    const engine = new FakeEngine()
    engine.ownMounts = [bind('/var/run/docker.sock'), bind('/srv/kedge', '/var/lib/kedge')]
    const lines = await logged(engine)
    assert.equal(lines.length, 1)
    const line = JSON.parse(lines[0]!)
    assert.equal(line.level, 'warn')
    assert.equal(line.event, 'home.mount_mismatch')
    assert.equal(line.home, '/var/lib/kedge')
    assert.equal(line.host_path, '/srv/kedge')
    assert.match(line.hint, /-v \/srv\/kedge:\/srv\/kedge/)
  })

  it('logs nothing on the host, or for a home at the same path', async () => {
    assert.deepEqual(await logged(new FakeEngine()), [])
    const engine = new FakeEngine()
    engine.ownMounts = [bind('/var/lib/kedge')]
    assert.deepEqual(await logged(engine), [])
  })

  it('logs at debug level, and does not fail, when the engine cannot be asked', async () => {
    const engine = new FakeEngine()
    engine.available = false
    const lines = (await logged(engine)).map((line) => JSON.parse(line))
    assert.deepEqual(
      lines.map((line) => [line.level, line.event]),
      [['debug', 'home.mount_unchecked']],
    )
  })
})
