import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {KEDGE_BIN, runKedge, runKedgeJson} from '../helpers/cli.js'
import {composeCommand} from '../helpers/docker.js'
import {SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack} from '../helpers/stack.js'
import type {DeploymentView} from '../../src/model/repository/deployment-view.js'
import {waitFor} from '../helpers/wait.js'

/**
 * A compose file whose `x-` block expands YAML aliases to 9^6 strings: Compose v2 (2.26.1) works on it for
 * minutes, ignoring SIGTERM, at about 300 MB (two levels more and it takes gigabytes). Compose v1 reads it
 * in a second, so the hang is Compose v2's alone.
 */
function aliasBomb(levels = 6): string {
  const names = 'abcdefghij'
  const lines = [SIMPLE_COMPOSE.trimEnd(), `x-a: &a [${Array(9).fill('"lol"').join(',')}]`]
  for (let level = 1; level < levels; level++) lines.push(`x-${names[level]}: &${names[level]} [${Array(9).fill(`*${names[level - 1]}`).join(',')}]`)
  return `${lines.join('\n')}\n`
}

const onComposeV1 = composeCommand()[0] === 'docker-compose'
const SKIP_V1 = onComposeV1 && 'Compose v1 reads the alias bomb at once: nothing hangs'

/** The pids of the Compose processes (v1 or v2, plugin or `docker compose`) working on the project. */
function composeProcesses(project: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let argv: string[]
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      // A zombie has ended: only its parent has yet to hear of it.
      if (readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) continue
    } catch {
      continue
    }
    if (argv.some((arg) => /compose/.test(arg)) && argv.includes(project)) found.push(Number(entry))
  }
  return found
}

/**
 * The project's Compose processes left once those already killed have had a moment to end: a process
 * SIGKILL reached stays in /proc, not yet a zombie, while the kernel frees its memory (the alias bomb's
 * is large, and a loaded machine takes a while). Empty when none is left; a process still there after
 * five seconds was left behind.
 */
async function composeLeft(project: string): Promise<number[]> {
  await waitFor('the killed Compose processes to end', () => composeProcesses(project).length === 0, 5000).catch(() => undefined)
  return composeProcesses(project)
}

/** Whether some Compose process of the project is well into expanding the aliases (and past reacting to SIGTERM). */
function composeBusy(project: string): boolean {
  return composeProcesses(project).some((pid) => {
    try {
      return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) > 50_000
    } catch {
      return false
    }
  })
}

/** SIGTERM, then SIGKILL after 10 s; and a second or two of kedge's own. */
const GRACE_AND_SLACK_MS = 10_000 + 8_000

describe('process timeouts', {timeout: 180_000, skip: SKIP_V1}, () => {
  it('kills a Compose that hangs past its timeout and ignores SIGTERM: one line, the lock released, no Compose left', async () => {
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE})
    stack.remote.commit({'compose.yaml': aliasBomb()}, 'an alias bomb')
    const started = Date.now()
    const hung = await runKedge(['sync', '--repo', stack.name], {home: stack.home, env: {KEDGE_COMPOSE_TIMEOUT: '2s'}, timeoutMs: 120_000})
    const took = Date.now() - started
    assert.notEqual(hung.code, 0)
    assert.ok(took < 2000 + GRACE_AND_SLACK_MS, `sync took ${took} ms`)
    assert.match(hung.stderr, /^Error: [^\n]+\n(Hint: [^\n]+\n)?$/)
    assert.match(hung.stderr, /^Error: compose could not validate the compose files: timed out after 2s \(killed: it ignored SIGTERM for 10s\)/)
    assert.deepEqual(await composeLeft(stack.name), [])

    // The repository's lock was let go: the next sync takes it at once and deploys a good commit.
    stack.remote.commit({'compose.yaml': SIMPLE_COMPOSE}, 'fixed')
    const next = await runKedge(['sync', '--repo', stack.name], {home: stack.home, timeoutMs: 60_000})
    assert.equal(next.code, 0, next.stderr)
    assert.doesNotMatch(next.stderr, /waiting/i)
  })

  it('stops the Compose it runs when kedge sync gets SIGTERM', async () => {
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE})
    stack.remote.commit({'compose.yaml': aliasBomb()}, 'an alias bomb')
    const env: NodeJS.ProcessEnv = {...process.env, KEDGE_HOME: stack.home, FORCE_COLOR: '0'}
    const kedge = spawn(process.execPath, [KEDGE_BIN, 'sync', '--repo', stack.name], {env, stdio: 'ignore'})
    const exited = new Promise<number | null>((resolve) => kedge.on('close', (code) => resolve(code)))
    try {
      await waitFor('Compose to work on the alias bomb', () => composeBusy(stack.name), 30_000)
      const stopping = Date.now()
      kedge.kill('SIGTERM')
      assert.equal(await exited, 143)
      assert.ok(Date.now() - stopping < GRACE_AND_SLACK_MS, `kedge took ${Date.now() - stopping} ms to stop`)
      assert.deepEqual(await composeLeft(stack.name), [])
    } finally {
      kedge.kill('SIGKILL')
    }
  })

  it('leaves no Compose behind when serve stops in the middle of one', async () => {
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE})
    stack.remote.commit({'compose.yaml': aliasBomb()}, 'an alias bomb')
    const serve = new ServeProcess(stack.home, ['--interval', '1h'])
    await waitFor('Compose to work on the alias bomb', () => composeBusy(stack.name), 60_000)
    const stopping = Date.now()
    assert.equal(await serve.stop(), 0)
    assert.ok(Date.now() - stopping < 5000 + GRACE_AND_SLACK_MS, `serve took ${Date.now() - stopping} ms to stop`)
    assert.deepEqual(await composeLeft(stack.name), [])
  })
})

describe('a command interrupted', {timeout: 180_000}, () => {
  it('records a deploy cut short by Ctrl-C as interrupted, and starts no rollback', async () => {
    // The old container ignores SIGTERM for a minute, so `up` is still replacing it when Ctrl-C comes.
    const stubborn = 'services:\n  web:\n    image: kedge-test/busybox:1\n    command: ["sleep", "3600"]\n    stop_grace_period: 60s\n'
    const stack = await registeredStack({'compose.yaml': stubborn})
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    stack.remote.commit({'compose.yaml': stubborn.replace('busybox:1', 'busybox:2')}, 'a new image')
    const env: NodeJS.ProcessEnv = {...process.env, KEDGE_HOME: stack.home, FORCE_COLOR: '0'}
    const kedge = spawn(process.execPath, [KEDGE_BIN, 'sync', '--repo', stack.name], {env, stdio: 'ignore'})
    const exited = new Promise<number | null>((resolve) => kedge.on('close', (code) => resolve(code)))
    try {
      const upRunning = () =>
        composeProcesses(stack.name).some((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('up')
          } catch {
            return false // it ended meanwhile
          }
        })
      await waitFor('Compose to replace the container', upRunning, 60_000)
      kedge.kill('SIGINT')
      assert.equal(await exited, 130)
      assert.deepEqual(await composeLeft(stack.name), [])
    } finally {
      kedge.kill('SIGKILL')
    }
    const history = await runKedgeJson<DeploymentView[]>(['history', '--repo', stack.name], {home: stack.home})
    assert.deepEqual(history.json.map((row) => row.trigger), ['manual', 'manual'], 'no rollback was started')
    assert.notEqual(history.json[0]!.status, 'success')
    assert.doesNotMatch(history.json[0]!.error ?? '', /SIGTERM|exit code/, 'the tool stopped by kedge is not taken for a failure of the commit')
  })
})
