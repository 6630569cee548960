import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {composeCommand, docker, kedgeContainers, removeComposeProject} from '../helpers/docker.js'
import {GitRemote, SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {homeContents} from '../helpers/home-state.js'
import {filesContaining} from '../helpers/secret-scan.js'
import {registeredStack, uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'

/** Whether the tests run on Compose v1, as KEDGE_COMPOSE names it. */
const COMPOSE_V1 = composeCommand().at(-1)?.endsWith('docker-compose') === true

interface SyncJson {
  deployment: {status: string; project: string}
  error?: {code: string; message: string}
}

function envOf(containerId: string): string[] {
  return JSON.parse(docker('inspect', '--format', '{{json .Config.Env}}', containerId)) as string[]
}

describe("the compose file's top-level name", {skip: COMPOSE_V1 ? 'Compose v1 refuses a top-level name: in a compose file' : false}, () => {
  it('is the project name when kedge.yaml sets none, and repo add says where the name came from', async () => {
    const project = uniqueName('myapp')
    const name = uniqueName()
    after(() => removeComposeProject(project))
    after(() => removeComposeProject(name))
    const remote = GitRemote.create({'compose.yaml': `name: ${project}\n${SIMPLE_COMPOSE}`})
    const home = tempDir()
    const added = await runKedge(['repo', 'add', remote.fileUrl, '--name', name], {home})
    assert.equal(added.code, 0, added.stderr)
    assert.match(added.stdout, new RegExp(`project +${project} \\(name: in compose\\.yaml\\)`))

    const synced = await runKedgeJson<SyncJson>(['sync', '--repo', name], {home})
    assert.equal(synced.code, 0, synced.stdout + synced.stderr)
    assert.equal(synced.json.deployment.project, project)
    assert.deepEqual(kedgeContainers(project).map((container) => [container.service, container.state]), [['web', 'running']])
    assert.deepEqual(kedgeContainers(name), [])
  })

  it("keeps a stack that runs under the repository's name there when name: appears, on the same named volume", async () => {
    const withVolume = 'services:\n  web:\n    image: kedge-test/busybox:1\n    volumes: [data:/data]\nvolumes:\n  data:\n'
    const stack = await registeredStack({'compose.yaml': withVolume})
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    const [before] = kedgeContainers(stack.name)
    const volume = `${stack.name}_data`
    after(() => void docker('volume', 'rm', '--force', volume))
    docker('exec', before!.id, 'sh', '-c', 'echo kept > /data/file')

    const adopted = uniqueName('adopted')
    after(() => removeComposeProject(adopted))
    stack.remote.commit({'compose.yaml': `name: ${adopted}\n${withVolume}`}, 'name the project')
    const synced = await runKedgeJson<SyncJson>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(synced.code, 0, synced.stdout + synced.stderr)
    assert.equal(synced.json.deployment.project, stack.name)
    assert.deepEqual(kedgeContainers(adopted), [])
    const [after_] = kedgeContainers(stack.name)
    assert.equal(after_!.id, before!.id, 'nothing recreated')
    assert.equal(docker('exec', after_!.id, 'cat', '/data/file'), 'kept\n')
  })

  it('gives way to docker.project_name, and a name Compose would refuse is refused naming the file', async () => {
    const home = tempDir()
    const ruled = GitRemote.create({'compose.yaml': `name: from-compose\n${SIMPLE_COMPOSE}`, 'kedge.yaml': 'docker:\n  project_name: from-kedge\n'})
    const added = await runKedge(['repo', 'add', ruled.fileUrl, '--name', uniqueName()], {home})
    assert.equal(added.code, 0, added.stderr)
    assert.match(added.stdout, /project +from-kedge \(docker\.project_name in kedge\.yaml\)/)

    const before = homeContents(home)
    const invalid = GitRemote.create({'compose.yaml': `name: My_App\n${SIMPLE_COMPOSE}`})
    const refused = await runKedge(['repo', 'add', invalid.fileUrl, '--name', uniqueName()], {home})
    assert.equal(refused.code, 2, refused.stderr)
    assert.match(refused.stderr, /compose\.yaml: name: "My_App" is not a Compose project name/)
    assert.deepEqual(homeContents(home), before)
  })
})

describe('the local env file (repo set --local-env)', () => {
  const COMPOSE = `services:
  app:
    image: kedge-test/busybox:1
    environment:
      - "PASS=\${PG_PASS:?set it in the local env file}"
      - "USER_NAME=\${PG_USER:-none}"
`

  it('gives Compose host-local values, sealed at rest and redacted from every output', async () => {
    const secret = `s3cret${randomBytes(6).toString('hex')}`
    // The committed .env sets PG_USER too: the local env file wins over it.
    const stack = await registeredStack({'docker-compose.yaml': COMPOSE, '.env': 'PG_USER=fromgit\n'})

    const without = await runKedgeJson<SyncJson>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(without.code, 1, without.stdout)
    assert.match(without.json.error?.message ?? '', /PG_PASS.*set it in the local env file/)

    const envFile = path.join(tempDir(), 'app.env')
    writeFileSync(envFile, `# host-local\nPG_PASS=${secret}\nexport PG_USER="fromhost"\n`)
    const set = await runKedgeJson<{name: string; branch: string; interval: string | null; localEnv: {variables: string[]}}>(['repo', 'set', stack.name, '--local-env', envFile], {home: stack.home})
    assert.equal(set.code, 0, set.stderr)
    assert.deepEqual(set.json, {name: stack.name, branch: 'main', interval: null, engine: 'local', localEnv: {variables: ['PG_PASS', 'PG_USER']}, allowHooks: false, commitStatus: null})

    const synced = await runKedgeJson<SyncJson>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(synced.code, 0, synced.stdout + synced.stderr)
    const [app] = kedgeContainers(stack.name)
    assert.ok(app)
    const env = envOf(app.id)
    assert.ok(env.includes(`PASS=${secret}`), env.join(' '))
    assert.ok(env.includes('USER_NAME=fromhost'), env.join(' '))

    // A deploy that fails quoting the value: the engine names the user it cannot find.
    stack.remote.commit({'docker-compose.yaml': `${COMPOSE}    user: "\${PG_PASS}"\n`})
    const failed = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
    assert.notEqual(failed.code, 0)
    assert.match(failed.stderr, /unable to find user \*\*\*/)
    assert.ok(!`${failed.stdout}${failed.stderr}`.includes(secret), failed.stderr)

    const status = await runKedge(['status', '--json'], {home: stack.home})
    const history = await runKedge(['history', '--repo', stack.name, '--json'], {home: stack.home})
    assert.equal(history.code, 0, history.stderr)
    for (const output of [status.stdout, history.stdout]) assert.ok(!output.includes(secret), output)
    assert.match(history.stdout, /unable to find user \*\*\*/)
    assert.deepEqual(filesContaining(stack.home, [secret]), [])
    const [restored] = kedgeContainers(stack.name)
    assert.ok(restored && envOf(restored.id).includes(`PASS=${secret}`), 'rolled back to the last good deployment, with the value')
  })

  it('is taken away again with --clear-local-env', async () => {
    const stack = await registeredStack({'docker-compose.yaml': COMPOSE})
    const envFile = path.join(tempDir(), 'app.env')
    writeFileSync(envFile, 'PG_PASS=whatever-it-is\n')
    assert.equal((await runKedge(['repo', 'set', stack.name, '--local-env', '-'], {home: stack.home, input: 'PG_PASS=from-stdin-1\n'})).code, 0)
    assert.equal((await runKedgeJson(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    const cleared = await runKedge(['repo', 'set', stack.name, '--clear-local-env'], {home: stack.home})
    assert.equal(cleared.code, 0, cleared.stderr)
    assert.match(cleared.stdout, /Cleared the local env file/)
    const synced = await runKedgeJson<SyncJson>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(synced.code, 1, synced.stdout)
    assert.match(synced.json.error?.message ?? '', /PG_PASS/)
  })

  it('refuses a missing file, a bad line and an unknown repository, and stores nothing', async () => {
    const stack = await registeredStack({'docker-compose.yaml': COMPOSE})
    const dir = tempDir()
    const badLine = path.join(dir, 'bad.env')
    writeFileSync(badLine, `PG_PASS=fine-value\n\nthis line holds a s3cret-word\n`)
    const badName = path.join(dir, 'bad-name.env')
    writeFileSync(badName, `1PG=x\n`)
    const unclosed = path.join(dir, 'unclosed.env')
    writeFileSync(unclosed, `A=1\nPG_PASS="open-quote-value\n`)
    const before = homeContents(stack.home)
    const cases: Array<[string[], number, RegExp]> = [
      [['repo', 'set', stack.name, '--local-env', path.join(dir, 'absent.env')], 2, /^Error: cannot read the env file .*absent\.env: no such file/m],
      [['repo', 'set', stack.name, '--local-env', badLine], 2, /^Error: .*bad\.env: line 3: expected NAME=value$/m],
      [['repo', 'set', stack.name, '--local-env', badName], 2, /^Error: .*bad-name\.env: line 1: expected a variable name/m],
      [['repo', 'set', stack.name, '--local-env', unclosed], 2, /^Error: .*unclosed\.env: line 2: the " that opens the value is not closed on its line$/m],
      [['repo', 'set', 'no-such-repo', '--local-env', badLine], 2, /^Error: no repository named "no-such-repo"/m],
      [['repo', 'set', stack.name], 2, /^Error: nothing to change/m],
    ]
    for (const [args, code, message] of cases) {
      const result = await runKedge(args, {home: stack.home})
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, message)
      assert.ok(!result.stderr.includes('s3cret-word') && !result.stderr.includes('open-quote-value'), result.stderr)
      assert.deepEqual(homeContents(stack.home), before, args.join(' '))
    }
  })
})

describe('Compose profiles (docker.profiles)', () => {
  const COMPOSE = `services:
  web:
    image: kedge-test/busybox:1
  seed:
    image: kedge-test/busybox:1
    profiles: [seed]
  debug:
    image: kedge-test/busybox:1
    profiles: [debug]
`

  it('deploys the services of the profiles kedge.yaml lists, and no others', async () => {
    const stack = await registeredStack({'docker-compose.yaml': COMPOSE, 'kedge.yaml': 'docker:\n  profiles: [seed]\n'})
    const synced = await runKedgeJson<SyncJson>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(synced.code, 0, synced.stdout + synced.stderr)
    assert.deepEqual(kedgeContainers(stack.name).map((container) => container.service).sort(), ['seed', 'web'])

    stack.remote.commit({'kedge.yaml': 'docker:\n  profiles: []\n'})
    const unlisted = await runKedgeJson<SyncJson>(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(unlisted.code, 0, unlisted.stdout + unlisted.stderr)
    assert.deepEqual(kedgeContainers(stack.name).map((container) => container.service), ['web'])
  })
})
