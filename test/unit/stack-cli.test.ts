import assert from 'node:assert/strict'
import {chmodSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {dockerProgram, stackCliFor, stackDeploy, stackDeployProcessEnvironment} from '../../src/adapters/compose/stack-cli.js'
import {engineDidNotAnswer, stackDeployReason} from '../../src/adapters/compose/stack-deploy-output.js'
import {isKedgeError} from '../../src/model/errors.js'
import {registerSecretVariable} from '../../src/model/secrets/secret-environment.js'
import {stackDeployArgs} from '../../src/model/swarm/stack-invocation.js'
import {StackDeployFailedError, type StackProject} from '../../src/ports/stack-cli.js'
import {tempDir} from '../helpers/temp.js'

/** The four lines the engine answers an update with when no registry answered for the image (Docker 20.10, seen through CLI 28). */
const UNPINNED_WARNING = `image kedge-test/busybox:2 could not be accessed on a registry to record
its digest. Each node will access kedge-test/busybox:2 independently,
possibly leading to different nodes running different
versions of the image.
`

describe('the docker CLI\'s environment for stack deploy', () => {
  const kedge = {PATH: '/usr/bin', HOME: '/home/kedge', DOCKER_HOST: 'unix:///var/run/docker.sock', DOCKER_CONTEXT: 'prod', KEDGE_SECRET_KEY: 'k'.repeat(32), DOCKER_CONFIG: '/home/kedge/.docker'}
  const remote = {DOCKER_HOST: 'tcp://10.0.0.12:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/run/kedge/e1'}

  it('puts the interpolation variables over kedge\'s own, and a registered engine\'s endpoint last, without kedge\'s', () => {
    const env = stackDeployProcessEnvironment({TAG: '2', HOME: '/srv/elsewhere'}, remote, kedge)
    assert.equal(env.TAG, '2')
    assert.equal(env.HOME, '/srv/elsewhere', 'the interpolation variables win over the process\'s, as Compose lets them')
    assert.equal(env.PATH, '/usr/bin')
    assert.equal(env.DOCKER_CONFIG, '/home/kedge/.docker', 'the registry credentials --with-registry-auth sends are kedge\'s')
    assert.equal(env.DOCKER_HOST, 'tcp://10.0.0.12:2376')
    assert.equal(env.DOCKER_TLS_VERIFY, '1')
    assert.equal(env.DOCKER_CERT_PATH, '/run/kedge/e1')
    assert.equal(env.DOCKER_CONTEXT, undefined, 'a context beside DOCKER_HOST would be ignored, and it is not the engine\'s')
  })

  it('keeps kedge\'s own endpoint for its own engine, whatever the interpolation variables say', () => {
    const env = stackDeployProcessEnvironment({DOCKER_HOST: 'tcp://attacker:2375', DOCKER_TLS_VERIFY: '0', TAG: '1'}, undefined, kedge)
    assert.equal(env.DOCKER_HOST, 'unix:///var/run/docker.sock')
    assert.equal(env.DOCKER_CONTEXT, 'prod')
    assert.equal(env.DOCKER_TLS_VERIFY, undefined)
    assert.equal(env.TAG, '1')
    const bare = stackDeployProcessEnvironment({}, undefined, {PATH: '/usr/bin'})
    assert.deepEqual(bare, {PATH: '/usr/bin'})
  })

  it('leaves kedge\'s secrets out, from its environment and from the interpolation variables alike', () => {
    registerSecretVariable('STACK_CLI_TEST_TOKEN')
    const env = stackDeployProcessEnvironment({STACK_CLI_TEST_TOKEN: 'ghp_fromlocal', KEDGE_ADMIN_TOKEN: 'x'}, remote, {...kedge, STACK_CLI_TEST_TOKEN: 'ghp_fromprocess'})
    assert.equal(env.KEDGE_SECRET_KEY, undefined)
    assert.equal(env.KEDGE_ADMIN_TOKEN, undefined)
    assert.equal(env.STACK_CLI_TEST_TOKEN, undefined)
  })

  it('runs KEDGE_DOCKER when set, else docker from PATH', () => {
    assert.equal(dockerProgram({}), 'docker')
    assert.equal(dockerProgram({KEDGE_DOCKER: ' /opt/docker/bin/docker '}), '/opt/docker/bin/docker')
    assert.equal(dockerProgram({KEDGE_DOCKER: ''}), 'docker')
  })
})

describe('the line kedge keeps of a failed stack deploy', () => {
  it('is the stack loader\'s refusal as it wrote it', () => {
    assert.equal(stackDeployReason('services.a.ports.0.published must be a integer\n'), 'services.a.ports.0.published must be a integer')
    assert.equal(stackDeployReason('open /srv/stacks/demo/missing.yaml: no such file or directory\n'), 'open /srv/stacks/demo/missing.yaml: no such file or directory')
  })

  it('leaves out the unpinned-image warning and the ignored options, which are no failure', () => {
    const stderr = `Ignoring unsupported options: build\n\n${UNPINNED_WARNING}${UNPINNED_WARNING.replaceAll(':2', ':3')}failed to update config demo_cfg: Error response from daemon: rpc error: code = InvalidArgument desc = only updates to Labels are allowed\n`
    assert.equal(stackDeployReason(stderr), 'failed to update config demo_cfg: only updates to Labels are allowed')
    assert.equal(stackDeployReason(UNPINNED_WARNING), '')
    // Worded on one line (another engine version), it is still left out.
    assert.equal(stackDeployReason('image x:1 could not be accessed on a registry to record its digest; each node pulls it\nbad thing\n'), 'bad thing')
  })

  it('keeps the engine\'s own words of a refusal, without the API\'s and gRPC\'s wrapping', () => {
    const stderr = 'failed to create service bad2_a: Error response from daemon: rpc error: code = InvalidArgument desc = invalid memory value 1: Must be at least 4MiB\n'
    assert.equal(stackDeployReason(stderr), 'failed to create service bad2_a: invalid memory value 1: Must be at least 4MiB')
  })

  it('is one bounded line, redacted, and of a crash the line that says so', () => {
    assert.equal(stackDeployReason('first\nsecond\nfirst\n'), 'first; second')
    assert.equal(stackDeployReason('failed to pull https://bob:hunter2@registry.example/app:1\n'), 'failed to pull https://***@registry.example/app:1')
    assert.ok(stackDeployReason(`${'x'.repeat(2000)}\n`).length <= 500)
    assert.equal(stackDeployReason('fatal error: out of memory\n\ngoroutine 1 [running]:\nmain.main()\n'), 'fatal error: out of memory')
  })

  it('tells an engine that did not answer from one that refused', () => {
    assert.ok(engineDidNotAnswer('Cannot connect to the Docker daemon at unix:///tmp/gone.sock. Is the docker daemon running?'))
    assert.ok(engineDidNotAnswer('error during connect: Get "https://10.0.0.12:2376/v1.41/info": dial tcp 10.0.0.12:2376: connect: no route to host'))
    assert.ok(!engineDidNotAnswer('services.a.ports.0.published must be a integer'))
  })
})

describe('stack deploy through a docker CLI that records what it is given', () => {
  const dir = tempDir('kedge-stack-cli-')
  const fakeDocker = path.join(dir, 'docker')
  const record = path.join(dir, 'record')
  const stackDir = path.join(dir, 'stacks', 'demo')
  const project = (environment: Record<string, string> = {}): StackProject => ({
    namespace: 'demo',
    directory: dir,
    files: [path.join(stackDir, 'compose.yaml'), path.join(dir, 'override.yaml')],
    environment: {FAKE_RECORD: record, TAG: '2', ...environment},
  })
  const recorded = (what: 'args' | 'cwd' | 'env') => readFileSync(`${record}.${what}`, 'utf8').split('\n').filter(Boolean)
  const saved = {KEDGE_DOCKER: process.env.KEDGE_DOCKER, KEDGE_COMPOSE_TIMEOUT: process.env.KEDGE_COMPOSE_TIMEOUT}

  before(() => {
    // Prints what the test asks of it through its environment, which the interpolation variables reach.
    writeFileSync(
      fakeDocker,
      [
        '#!/bin/sh',
        // The version kedge asks for first, to know whether the CLI takes --detach: not a deploy to record.
        '[ "$1" = "--version" ] && { echo "Docker version 28.2.2, build fake"; exit 0; }',
        'printf "%s\\n" "$@" > "$FAKE_RECORD.args"',
        'pwd > "$FAKE_RECORD.cwd"',
        'env > "$FAKE_RECORD.env"',
        '[ -n "$FAKE_STDOUT" ] && printf "%s\\n" "$FAKE_STDOUT"',
        '[ -n "$FAKE_STDERR" ] && printf "%s\\n" "$FAKE_STDERR" >&2',
        '[ -n "$FAKE_SLEEP" ] && sleep "$FAKE_SLEEP"',
        'exit "${FAKE_EXIT:-0}"',
        '',
      ].join('\n'),
    )
    chmodSync(fakeDocker, 0o755)
    process.env.KEDGE_DOCKER = fakeDocker
    delete process.env.KEDGE_COMPOSE_TIMEOUT
  })
  after(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })

  it('runs the model\'s arguments in the stack directory, with the variables and the engine\'s endpoint, and shows what it printed', async () => {
    const shown: string[] = []
    await stackDeploy(project({FAKE_STDOUT: 'Creating service demo_a'}), {prune: true, engineEnvironment: {DOCKER_HOST: 'unix:///run/kedge/e1.sock'}, onOutput: (chunk) => shown.push(chunk.toString())})
    assert.deepEqual(recorded('args'), stackDeployArgs(project(), {prune: true}))
    assert.deepEqual(recorded('cwd'), [dir])
    const env = recorded('env')
    assert.ok(env.includes('TAG=2'))
    assert.ok(env.includes('DOCKER_HOST=unix:///run/kedge/e1.sock'))
    assert.ok(!env.some((line) => line.startsWith('KEDGE_')), 'kedge\'s own variables stay with kedge')
    assert.deepEqual(shown, ['Creating service demo_a\n'])
  })

  it('leaves out --detach for a CLI older than 26, which never waits and refuses the flag', async () => {
    const olderCli = path.join(dir, 'docker-20')
    writeFileSync(olderCli, readFileSync(fakeDocker, 'utf8').replace('Docker version 28.2.2, build fake', 'Docker version 20.10.24+dfsg1, build 297e128'))
    chmodSync(olderCli, 0o755)
    process.env.KEDGE_DOCKER = olderCli
    try {
      await stackDeploy(project(), {prune: false})
    } finally {
      process.env.KEDGE_DOCKER = fakeDocker
    }
    assert.deepEqual(recorded('args'), stackDeployArgs(project(), {prune: false, detachFlag: false}))
    assert.ok(!recorded('args').some((arg) => arg.startsWith('--detach')))
  })

  it('fails with the CLI\'s line, its whole output behind it', async () => {
    const stderr = `${UNPINNED_WARNING}services.a.ports.0.published must be a integer`
    const failure = await stackDeploy(project({FAKE_STDERR: stderr, FAKE_EXIT: '1'}), {prune: false}).then(
      () => assert.fail('the deploy succeeded'),
      (error: unknown) => error,
    )
    assert.ok(failure instanceof StackDeployFailedError)
    assert.equal(failure.message, 'docker stack deploy failed: services.a.ports.0.published must be a integer')
    assert.equal(failure.code, 'compose_failed')
    assert.equal(failure.reason, 'services.a.ports.0.published must be a integer')
    assert.match(String((failure.cause as Error).message), /could not be accessed on a registry[\s\S]*published must be a integer/)
  })

  it('says so when the CLI printed nothing, and hints at a manager when the engine is none', async () => {
    await assert.rejects(stackDeploy(project({FAKE_EXIT: '3'}), {prune: false}), {message: 'docker stack deploy failed: exit code 3'})
    const notManager = 'this node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again'
    await assert.rejects(stackDeploy(project({FAKE_STDERR: notManager, FAKE_EXIT: '1'}), {prune: false}), (error: unknown) => {
      assert.ok(error instanceof StackDeployFailedError)
      assert.match(error.hint ?? '', /manager/)
      return true
    })
  })

  it('fails with engine_unavailable when the CLI did not reach the engine', async () => {
    const gone = 'Cannot connect to the Docker daemon at unix:///tmp/gone.sock. Is the docker daemon running?'
    await assert.rejects(stackDeploy(project({FAKE_STDERR: gone, FAKE_EXIT: '1'}), {prune: false}), (error: unknown) => {
      assert.ok(isKedgeError(error))
      assert.equal(error.code, 'engine_unavailable')
      assert.match(error.message, /could not reach the Docker engine: Cannot connect/)
      return true
    })
  })

  it('stops the CLI when kedge is interrupted, and past KEDGE_COMPOSE_TIMEOUT', async () => {
    const controller = new AbortController()
    const interrupted = stackDeploy(project({FAKE_SLEEP: '30'}), {prune: false, signal: controller.signal})
    setTimeout(() => controller.abort(), 200)
    await assert.rejects(interrupted, {message: 'docker stack deploy failed: interrupted'})
    process.env.KEDGE_COMPOSE_TIMEOUT = '1s'
    try {
      await assert.rejects(stackDeploy(project({FAKE_SLEEP: '30'}), {prune: false}), {message: /^docker stack deploy failed: timed out after 1s/})
    } finally {
      delete process.env.KEDGE_COMPOSE_TIMEOUT
    }
  })

  it('fails with compose_missing and a hint when there is no docker CLI to run', async () => {
    process.env.KEDGE_DOCKER = path.join(dir, 'no-such-docker')
    try {
      await assert.rejects(stackDeploy(project(), {prune: false}), (error: unknown) => {
        assert.ok(isKedgeError(error))
        assert.equal(error.code, 'compose_missing')
        assert.match(error.hint ?? '', /KEDGE_DOCKER/)
        return true
      })
    } finally {
      process.env.KEDGE_DOCKER = fakeDocker
    }
  })

  it('deploys to the engine a StackCli was made for, whatever a deploy asks, and shows its output', async () => {
    const shown: string[] = []
    const cli = stackCliFor({DOCKER_HOST: 'unix:///run/kedge/web2.sock'}, (chunk) => shown.push(chunk.toString()))
    await cli.deploy(project({FAKE_STDOUT: 'Updating service demo_a (id: x1)'}), {prune: false, engineEnvironment: {DOCKER_HOST: 'unix:///elsewhere.sock'}})
    assert.ok(recorded('env').includes('DOCKER_HOST=unix:///run/kedge/web2.sock'))
    assert.deepEqual(shown, ['Updating service demo_a (id: x1)\n'])
  })
})
