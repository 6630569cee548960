import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {registryDigests} from '../../src/adapters/registry/registry-digests.js'
import {ExternalError} from '../../src/model/errors.js'
import {docker} from '../helpers/docker.js'
import {PrivateRegistry} from '../helpers/registry.js'
import {uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'

/** Images this file made (local names, pulled references, and the IDs of images a later push or pull untagged), removed when it ends. */
const images = new Set<string>()
after(() => {
  for (const image of images) execFileSync('docker', ['rmi', '--force', image], {stdio: 'ignore'})
})

/** A one-file image made with `docker import` (as scripts/build-local-images.sh makes the test images), its content unique to this call. */
function importImage(): string {
  const root = tempDir('kedge-image-')
  mkdirSync(path.join(root, 'etc'))
  writeFileSync(path.join(root, 'etc', 'image-version'), `${uniqueName('content')}\n`)
  const name = `kedge-test/${uniqueName('digest')}:local`
  const tar = execFileSync('tar', ['-C', root, '-c', '.'])
  execFileSync('docker', ['import', '-', name], {input: tar, stdio: ['pipe', 'ignore', 'pipe']})
  images.add(name)
  return name
}

/** The digest Docker recorded for `reference`'s repository in the local image's RepoDigests. */
function repoDigest(reference: string): string {
  const repository = reference.slice(0, reference.lastIndexOf(':'))
  const digests = JSON.parse(docker('image', 'inspect', '--format', '{{json .RepoDigests}}', reference)) as string[]
  const digest = digests.find((entry) => entry.startsWith(`${repository}@`))
  assert.ok(digest, `${reference} has no RepoDigest for ${repository}: ${JSON.stringify(digests)}`)
  return digest.slice(repository.length + 1)
}

function pull(reference: string, dockerConfigDir: string): void {
  execFileSync('docker', ['pull', reference], {env: {...process.env, DOCKER_CONFIG: dockerConfigDir}, stdio: 'ignore'})
  keep(reference)
}

/** Notes a local image for removal, by name and by ID (the name may move to another image before the end). */
function keep(reference: string): void {
  images.add(reference)
  images.add(docker('image', 'inspect', '--format', '{{.Id}}', reference).trim())
}

describe('registry digests against docker-registry', {timeout: 180_000}, () => {
  it('reads the digest a pull records, and sees a new push under the same tag', async () => {
    const registry = await PrivateRegistry.start()
    after(() => registry.stop())
    const reference = registry.reference(`kedge-digests/${uniqueName('app')}:1`)
    const registries = registryDigests()

    const first = importImage()
    registry.push(first, reference)
    docker('rmi', first)
    images.delete(first)
    const firstDigest = await registries.currentDigest(reference, {dockerConfigDir: registry.dockerConfigDir})
    assert.match(firstDigest ?? '', /^sha256:[a-f0-9]{64}$/)
    pull(reference, registry.dockerConfigDir)
    assert.equal(repoDigest(reference), firstDigest)

    const second = importImage()
    registry.push(second, reference, {keepLocal: true})
    keep(reference)
    const secondDigest = await registries.currentDigest(reference, {dockerConfigDir: registry.dockerConfigDir})
    assert.notEqual(secondDigest, firstDigest)
    assert.equal(repoDigest(reference), secondDigest, 'the digest the push recorded')
    docker('rmi', reference)
    pull(reference, registry.dockerConfigDir)
    assert.equal(repoDigest(reference), secondDigest, 'the digest a pull records')

    assert.equal(await registries.currentDigest(registry.reference('kedge-digests/never-pushed:1'), {dockerConfigDir: registry.dockerConfigDir}), null)
    assert.equal(await registries.currentDigest(reference.replace(/:1$/, ':2'), {dockerConfigDir: registry.dockerConfigDir}), null)
  })

  it('fails with registry_auth_failed on a wrong password or none, never showing the password', async () => {
    const registry = await PrivateRegistry.start()
    after(() => registry.stop())
    const reference = registry.reference(`kedge-digests/${uniqueName('app')}:1`)
    const image = importImage()
    registry.push(image, reference)

    const wrongPassword = `wrong-${registry.password}`
    const wrongConfig = tempDir('kedge-docker-config-')
    writeFileSync(path.join(wrongConfig, 'config.json'), JSON.stringify({auths: {[`127.0.0.1:${registry.port}`]: {username: registry.username, password: wrongPassword}}}))
    for (const dockerConfigDir of [wrongConfig, tempDir('kedge-docker-config-')]) {
      await assert.rejects(registryDigests().currentDigest(reference, {dockerConfigDir}), (error: unknown) => {
        assert.ok(error instanceof ExternalError, String(error))
        assert.equal(error.code, 'registry_auth_failed', error.message)
        assert.ok(error.message.includes(`127.0.0.1:${registry.port}`) && error.message.includes(reference), error.message)
        assert.ok(!error.message.includes('\n') && error.hint)
        const shown = JSON.stringify([error.message, error.hint, String(error.cause ?? ''), error.stack])
        assert.ok(!shown.includes(wrongPassword) && !shown.includes(registry.password), shown)
        return true
      })
    }
    assert.match((await registryDigests().currentDigest(reference, {dockerConfigDir: registry.dockerConfigDir})) ?? '', /^sha256:/)
  })

  it('asks a registry without authentication anonymously', async () => {
    const registry = await PrivateRegistry.start({auth: false})
    after(() => registry.stop())
    const reference = registry.reference(`kedge-digests/${uniqueName('app')}:1`)
    const image = importImage()
    registry.push(image, reference, {keepLocal: true})
    keep(reference)
    const digest = await registryDigests().currentDigest(reference, {dockerConfigDir: tempDir('kedge-docker-config-')})
    assert.equal(digest, repoDigest(reference))
  })
})
