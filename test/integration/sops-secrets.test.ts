import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {generateIdentity, identityToRecipient} from 'age-encryption'

import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {docker, kedgeContainers} from '../helpers/docker.js'
import {filesContaining, ProcessListSampler} from '../helpers/secret-scan.js'
import {sopsDotenv} from '../helpers/sops-writer.js'
import {registeredStack, type TestStack} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'

/** SOPS's published test key (test/fixtures/sops/keys.txt): its first identity's recipient. */
const FIXTURES = new URL('../fixtures/sops/', import.meta.url)
const TEST_KEYS = readFileSync(new URL('keys.txt', FIXTURES), 'utf8')
const TEST_RECIPIENT = 'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw'
/** A real file sops 3.10.1 wrote (see the fixtures' README): a flat YAML mapping, `version: <one character>`. */
const REAL_YAML = readFileSync(new URL('test.sops.enc.yml', FIXTURES), 'utf8')

const COMPOSE = `services:
  web:
    image: kedge-test/busybox:1
  worker:
    image: kedge-test/busybox:1
`

const KEDGE_YAML = `secrets:
  - file: secrets/web.sops.env
    services: [web]
  - file: secrets/worker.sops.yaml
    services: [worker]
`

/** The same, and a file put in the worker's containers. */
const WITH_FILE = `${KEDGE_YAML}  - file: secrets/worker-file.sops.env
    services: [worker]
    target: /run/secrets/kedge/worker.env
    mode: "0440"
`

interface SyncJson {
  deployment: {status: string}
  error?: {code: string; message: string}
}

function envOf(containerId: string): string[] {
  return JSON.parse(docker('inspect', '--format', '{{json .Config.Env}}', containerId)) as string[]
}

function filesNamed(dir: string, name: string): string[] {
  return readdirSync(dir, {recursive: true, encoding: 'utf8'}).filter((entry) => path.basename(entry) === name).map((entry) => path.join(dir, entry))
}

const ids = (stack: TestStack) => Object.fromEntries(kedgeContainers(stack.name).map((container) => [container.service, container.id]))

/** The environments of the processes a kedge command started (Compose, git, docker), while it runs: read from /proc. */
class ChildEnvironmentSampler {
  private running = true
  private readonly seen = new Set<string>()
  private readonly loop: Promise<void>

  constructor() {
    this.loop = (async () => {
      while (this.running) {
        for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
          try {
            const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
            if (!/compose|run\.cjs|\bgit\b|docker/.test(command) || /dockerd|containerd/.test(command)) continue
            this.seen.add(readFileSync(`/proc/${pid}/environ`, 'utf8'))
          } catch {
            // Gone meanwhile.
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })()
  }

  async stop(needle: string): Promise<{samples: number; matches: number}> {
    this.running = false
    await this.loop
    return {samples: this.seen.size, matches: [...this.seen].filter((environ) => environ.includes(needle)).length}
  }
}

describe('SOPS secrets (kedge.yaml secrets:)', {timeout: 240_000}, () => {
  it('are decrypted in memory and handed as env files to the services that use them, and their plaintext is nowhere else', async () => {
    const secret = `pw-${randomBytes(12).toString('hex')}`
    const fileSecret = `fs-${randomBytes(12).toString('hex')}`
    const stack = await registeredStack({
      'compose.yaml': COMPOSE,
      'kedge.yaml': WITH_FILE,
      'secrets/web.sops.env': await sopsDotenv([['API_KEY', secret], ['MODE', 'live']], TEST_RECIPIENT),
      'secrets/worker.sops.yaml': REAL_YAML,
      'secrets/worker-file.sops.env': await sopsDotenv([['FILE_TOKEN', fileSecret]], TEST_RECIPIENT),
    })

    const missing = await runKedgeJson<SyncJson>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(missing.code, 1, missing.stdout)
    assert.equal(missing.json.error?.code, 'age_key_missing')
    assert.deepEqual(kedgeContainers(stack.name), [])

    const set = await runKedgeJson<{ageKey: {identities: number}}>(['repo', 'set', stack.name, '--age-key-stdin', '--json'], {home: stack.home, input: TEST_KEYS})
    assert.equal(set.code, 0, set.stderr)
    assert.deepEqual(set.json.ageKey, {identities: 2})

    const processes = new ProcessListSampler()
    const environments = new ChildEnvironmentSampler()
    const synced = await runKedge(['sync', '--repo', stack.name, '--verbose'], {home: stack.home})
    const listed = await processes.stop([secret, fileSecret])
    const environ = await environments.stop(secret)
    assert.equal(synced.code, 0, synced.stdout + synced.stderr)

    const containers = kedgeContainers(stack.name)
    const web = containers.find((container) => container.service === 'web')
    const worker = containers.find((container) => container.service === 'worker')
    assert.ok(web && worker, JSON.stringify(containers))
    assert.ok(envOf(web.id).includes(`API_KEY=${secret}`), envOf(web.id).join(' '))
    assert.ok(envOf(web.id).includes('MODE=live'))
    assert.ok(!envOf(worker.id).some((variable) => variable.startsWith('API_KEY=')), 'the worker does not use web.sops.env')
    assert.ok(envOf(worker.id).some((variable) => /^version=.$/.test(variable)), `the real file's value: ${envOf(worker.id).join(' ')}`)
    assert.ok(!envOf(worker.id).some((variable) => variable.includes(fileSecret)), 'a file secret is not environment')
    const inWorker = () => docker('exec', worker.id, 'cat', '/run/secrets/kedge/worker.env')
    assert.equal(inWorker(), `FILE_TOKEN=${fileSecret}\n`)
    assert.equal(docker('exec', worker.id, 'stat', '-c', '%a', '/run/secrets/kedge/worker.env').trim(), '440')
    assert.throws(() => docker('exec', web.id, 'cat', '/run/secrets/kedge/worker.env'), 'only the services that use it have it')
    docker('restart', '--time', '2', worker.id)
    assert.equal(inWorker(), `FILE_TOKEN=${fileSecret}\n`, 'in the container\'s own file system: a restart keeps it')

    assert.deepEqual(filesContaining(stack.home, [secret, fileSecret]), [], 'not in the home: database, stack directory, releases, override file')
    assert.ok(!`${synced.stdout}${synced.stderr}`.includes(secret) && !`${synced.stdout}${synced.stderr}`.includes(fileSecret))
    assert.ok(listed.samples > 0)
    assert.deepEqual(listed.matches, [], 'in no command line')
    assert.ok(environ.samples > 0)
    assert.equal(environ.matches, 0, "in no environment of kedge's children")
    assert.deepEqual(readdirSync('/dev/shm').filter((entry) => entry.startsWith('kedge-private-') && entry.includes(`-${process.pid}-`)), [])
    const overrides = filesNamed(stack.home, 'compose.override.yaml')
    assert.equal(overrides.length, 1)
    assert.ok(!readFileSync(overrides[0]!, 'utf8').includes('env_file'), 'the override file names no env file once up is over')
  })

  it('recreate exactly the services whose secret changed, and nothing when a file is only encrypted again', async () => {
    const stack = await registeredStack({
      'compose.yaml': COMPOSE,
      'kedge.yaml': KEDGE_YAML,
      'secrets/web.sops.env': await sopsDotenv([['API_KEY', 'first-value-1']], TEST_RECIPIENT),
      'secrets/worker.sops.yaml': REAL_YAML,
    })
    // The identity from a file kedge's environment names, this time, rather than stored.
    const keyFile = path.join(tempDir(), 'age-keys.txt')
    writeFileSync(keyFile, TEST_KEYS, {mode: 0o600})
    const env = {KEDGE_AGE_KEY_FILE: keyFile}
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home, env})).code, 0)
    const first = ids(stack)

    stack.remote.commit({'secrets/web.sops.env': await sopsDotenv([['API_KEY', 'second-value-2']], TEST_RECIPIENT)}, 'rotate the API key')
    const changed = await runKedge(['sync', '--repo', stack.name], {home: stack.home, env})
    assert.equal(changed.code, 0, changed.stderr)
    const second = ids(stack)
    assert.notEqual(second.web, first.web, 'web uses the changed secret')
    assert.equal(second.worker, first.worker, 'the worker does not')
    assert.ok(envOf(second.web!).includes('API_KEY=second-value-2'))

    stack.remote.commit({'secrets/web.sops.env': await sopsDotenv([['API_KEY', 'second-value-2']], TEST_RECIPIENT)}, 'encrypt again, same values')
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home, env})).code, 0)
    assert.deepEqual(ids(stack), second)
  })

  it('fail with one line when no identity opens a file, or a file was tampered with, and leave the running stack alone', async () => {
    const stack = await registeredStack({
      'compose.yaml': COMPOSE,
      'kedge.yaml': KEDGE_YAML,
      'secrets/web.sops.env': await sopsDotenv([['API_KEY', 'kept-value-1']], TEST_RECIPIENT),
      'secrets/worker.sops.yaml': REAL_YAML,
    })
    assert.equal((await runKedge(['repo', 'set', stack.name, '--age-key-stdin'], {home: stack.home, input: TEST_KEYS})).code, 0)
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    const running = ids(stack)

    const stranger = identityToRecipient(await generateIdentity())
    stack.remote.commit({'secrets/web.sops.env': await sopsDotenv([['API_KEY', 'other-value-1']], await stranger)}, 'encrypted to someone else')
    const wrongKey = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(wrongKey.code, 1)
    assert.equal(wrongKey.stderr.trim().split('\n').filter((line) => line.startsWith('Error:')).length, 1, wrongKey.stderr)
    assert.match(wrongKey.stderr, /secrets\/web\.sops\.env/)
    assert.ok(!wrongKey.stderr.includes('other-value-1'))

    const good = await sopsDotenv([['API_KEY', 'tampered-value-1']], TEST_RECIPIENT)
    // Another value's ciphertext in place of API_KEY's: each opens, but not as the value of that name.
    const tampered = good.replace(/^API_KEY=ENC\[AES256_GCM,data:[^,]+,/m, (line) => line.replace(/data:([^,]+),/, (_, data: string) => `data:${Buffer.from(Buffer.from(data, 'base64').map((byte, index) => (index === 0 ? byte ^ 1 : byte))).toString('base64')},`))
    assert.notEqual(tampered, good)
    stack.remote.commit({'secrets/web.sops.env': tampered}, 'tampered with')
    const changed = await runKedgeJson<SyncJson>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(changed.code, 1)
    assert.equal(changed.json.error?.code, 'secret_tampered', changed.stdout)

    const history = await runKedgeJson<Array<{status: string; error: string | null}>>(['history', stack.name, '--json'], {home: stack.home})
    assert.deepEqual(history.json.slice(0, 2).map((row) => row.status), ['failed', 'failed'], history.stdout)
    assert.deepEqual(ids(stack), running, 'the running stack is untouched')
  })
})
