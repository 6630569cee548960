import assert from 'node:assert/strict'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {closeDatabase, openDatabase} from '../../src/store/database.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {docker, kedgeContainers} from '../helpers/docker.js'
import {PrivateRegistry} from '../helpers/registry.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack, uniqueName, type TestStack} from '../helpers/stack.js'

interface HistoryRow {
  trigger: string
  status: string
  note: string | null
  reason: {source: string; images?: Array<{image: string; from: string | null; to: string; services: string[]}>} | null
}

interface DiffJson {
  images?: Array<{image: string; to: string; services: string[]}>
  inSync: boolean
}

const imageIdOf = (reference: string) => docker('image', 'inspect', '--format', '{{.Id}}', reference)
const runningImage = (containerId: string) => docker('inspect', '--format', '{{.Image}}', containerId)

describe('new images behind the same tag (reconciliation.image_updates)', {timeout: 300_000}, () => {
  const madeImages: string[] = []
  after(() => {
    for (const image of madeImages) docker('rmi', '--force', image)
  })

  /** Debian's docker-registry with htpasswd, for one test (a helper's temporary directories are the test's). */
  async function startRegistry(): Promise<PrivateRegistry> {
    const registry = await PrivateRegistry.start()
    after(() => registry.stop())
    return registry
  }

  /** A stack of `web` (a mutable tag of the registry) and `pinned` (an image of the registry named by its digest). */
  async function stackOn(registry: PrivateRegistry, mode: 'auto' | 'notify'): Promise<{stack: TestStack; web: string; env: NodeJS.ProcessEnv}> {
    const name = uniqueName('app')
    const web = registry.reference(`${name}:stable`)
    registry.publish('kedge-test/busybox:1', `${name}:stable`)
    const pinnedDigest = registry.publish('kedge-test/busybox:2', `${name}-pinned:1`)
    const pinned = `${registry.reference(`${name}-pinned`)}@${pinnedDigest}`
    madeImages.push(web, pinned)
    const compose = `services:\n  web:\n    image: ${web}\n  pinned:\n    image: ${pinned}\n`
    const kedgeYaml = `reconciliation:\n  mode: ${mode}\n  image_updates: true\n  health_timeout: 15s\n`
    const env = {DOCKER_CONFIG: registry.dockerConfigDir}
    const stack = await registeredStack({'compose.yaml': compose, 'kedge.yaml': kedgeYaml}, {env})
    const first = await runKedge(['sync', '--repo', stack.name], {home: stack.home, env})
    assert.equal(first.code, 0, first.stdout + first.stderr)
    return {stack, web, env}
  }

  const ids = (stack: TestStack) => Object.fromEntries(kedgeContainers(stack.name).map((container) => [container.service, container.id]))

  it('recreates only the services of a tag the registry moved, records both digests, and rolls a broken image back by digest', async () => {
    const registry = await startRegistry()
    // An image whose service exits at once: the health gate fails it.
    const broken = `kedge-test/broken-${uniqueName('img')}:1`
    const container = docker('create', 'kedge-test/busybox:1')
    docker('commit', '--change', 'CMD ["sh", "-c", "exit 3"]', container, broken)
    docker('rm', container)
    madeImages.push(broken)
    const {stack, web, env} = await stackOn(registry, 'auto')
    const name = web.slice(web.lastIndexOf('/') + 1, web.lastIndexOf(':'))
    const first = ids(stack)
    const firstImage = imageIdOf(web)

    const current = await runKedge(['sync', '--repo', stack.name], {home: stack.home, env})
    assert.equal(current.code, 0, current.stderr)
    assert.match(current.stdout, /images +each tag names the image the engine runs/)
    assert.deepEqual(ids(stack), first)

    const newer = registry.publish('kedge-test/busybox:2', `${name}:stable`)
    const updated = await runKedgeJson<{images: {status: string; updates: Array<{to: string}>}}>(['sync', '--repo', stack.name, '--json'], {home: stack.home, env})
    assert.equal(updated.code, 0, updated.stdout + updated.stderr)
    assert.equal(updated.json.images.status, 'updated')
    assert.equal(updated.json.images.updates[0]?.to, newer)
    const second = ids(stack)
    assert.notEqual(second.web, first.web, 'web runs the new image')
    assert.equal(second.pinned, first.pinned, 'a digest-pinned image is never touched')
    assert.equal(runningImage(second.web!), imageIdOf('kedge-test/busybox:2'))

    const history = await runKedgeJson<HistoryRow[]>(['history', stack.name, '--json'], {home: stack.home})
    const [update] = history.json
    assert.equal(update?.trigger, 'image')
    assert.equal(update?.status, 'success')
    assert.deepEqual(update?.reason?.images?.map((entry) => [entry.image, entry.to, entry.services]), [[web, newer, ['web']]])
    assert.match(update?.reason?.images?.[0]?.from ?? '', /^sha256:[0-9a-f]{64}$/)
    assert.notEqual(update?.reason?.images?.[0]?.from, newer)

    const secondImage = imageIdOf(web)
    assert.notEqual(secondImage, firstImage)
    registry.publish(broken, `${name}:stable`)
    const failed = await runKedge(['sync', '--repo', stack.name], {home: stack.home, env})
    assert.equal(failed.code, 1, failed.stdout + failed.stderr)
    assert.match(failed.stderr, /rolled back to the previous image of/)
    const third = ids(stack)
    assert.equal(runningImage(third.web!), secondImage, 'back on the image that ran, by its id')
    assert.equal(imageIdOf(web), secondImage, 'the tag names the previous image again')
    assert.equal(kedgeContainers(stack.name).find((container) => container.service === 'web')?.state, 'running')
    const after = await runKedgeJson<HistoryRow[]>(['history', stack.name, '--json'], {home: stack.home})
    assert.equal(after.json[0]?.trigger, 'image')
    assert.equal(after.json[0]?.status, 'failed')
    assert.match(after.json[0]?.note ?? '', /rolled back to the previous image/)
    assert.deepEqual(docker('images', '--format', '{{.Repository}}', '--filter', 'reference=kedge-previous/*').split('\n').filter(Boolean), [], 'the hold on the previous image is let go')
  })

  it('shows a new image as pending in notify mode: in diff, and in status after serve\'s check; kedge sync applies it', async () => {
    const registry = await startRegistry()
    const {stack, web, env} = await stackOn(registry, 'notify')
    const name = web.slice(web.lastIndexOf('/') + 1, web.lastIndexOf(':'))
    const first = ids(stack)
    const newer = registry.publish('kedge-test/busybox:2', `${name}:stable`)

    const diff = await runKedgeJson<DiffJson>(['diff', stack.name, '--json'], {home: stack.home, env})
    assert.equal(diff.code, 0, diff.stderr)
    assert.equal(diff.json.inSync, false)
    assert.deepEqual(diff.json.images?.map((entry) => [entry.image, entry.to, entry.services]), [[web, newer, ['web']]])
    assert.deepEqual(ids(stack), first, 'diff changes nothing')

    // The stack's interval (6h) has passed since the sync's check: serve checks at once, and records what it found.
    const db = openDatabase(path.join(stack.home, 'kedge.db'))
    try {
      db.$client.prepare('UPDATE stacks SET images_checked_at = 0').run()
    } finally {
      closeDatabase(db)
    }
    const serve = new ServeProcess(stack.home, ['--interval', '1h'], env)
    const pending = await serve.waitForLog((line) => line.event === 'images.pending' && line.repo === stack.name)
    assert.match(String(pending.images), new RegExp(name))
    assert.equal(await serve.stop(), 0)
    assert.deepEqual(ids(stack), first, 'notify mode pulls and recreates nothing')
    const status = await runKedgeJson<Array<{pendingImages: Array<{image: string; to: string; services: string[]}>}>>(['status', stack.name, '--json'], {home: stack.home, env})
    assert.deepEqual(status.json[0]?.pendingImages.map((entry) => [entry.image, entry.to, entry.services]), [[web, newer, ['web']]])
    const text = await runKedge(['status', stack.name], {home: stack.home, env})
    assert.ok(text.stdout.includes(`pending   ${web}  new image ${newer.replace('sha256:', '').slice(0, 12)}`), text.stdout)

    const synced = await runKedge(['sync', '--repo', stack.name], {home: stack.home, env})
    assert.equal(synced.code, 0, synced.stderr)
    assert.notEqual(ids(stack).web, first.web)
  })

  it('fails a check in one line when the registry refuses the credentials', async () => {
    const registry = await startRegistry()
    const {stack} = await stackOn(registry, 'auto')
    const wrong = await runKedge(['sync', '--repo', stack.name], {home: stack.home, env: {DOCKER_CONFIG: '/nonexistent-kedge-docker-config'}})
    assert.equal(wrong.code, 1, wrong.stdout)
    assert.equal(wrong.stderr.split('\n').filter((line) => line.startsWith('Error:')).length, 1, wrong.stderr)
    assert.match(wrong.stderr, /^Error: kedge could not ask 127\.0\.0\.1:\d+ for the digest of .*refused anonymous access/m)
    assert.ok(!wrong.stderr.includes(registry.password))
  })
})
