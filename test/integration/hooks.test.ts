import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import type {DeploymentView} from '../../src/model/repository/deployment-view.js'

import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {kedgeContainers} from '../helpers/docker.js'
import {SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {registeredStack} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'

const CHANGED_COMPOSE = `services:
  web:
    image: kedge-test/busybox:1
    environment:
      LEVEL: "2"
`

async function history(home: string, name: string): Promise<DeploymentView[]> {
  const result = await runKedgeJson<DeploymentView[]>(['history', '--repo', name], {home})
  assert.equal(result.code, 0, result.stderr)
  return result.json
}

/** Whether a process whose command line holds `marker` still runs. */
function running(marker: string): boolean {
  try {
    return execFileSync('pgrep', ['-f', marker], {encoding: 'utf8'}).trim() !== ''
  } catch {
    return false
  }
}

describe('deploy hooks', {timeout: 180_000}, () => {
  it('a pre hook that fails stops the deploy before the host changes: the stack keeps running, the deploy is recorded failed with its output', async () => {
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE}, {args: ['--allow-hooks']})
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    const before = kedgeContainers(stack.name)
    const good = stack.remote.head()

    const bad = stack.remote.commit({'compose.yaml': CHANGED_COMPOSE, 'hooks/pre.sh': 'echo "checking the database"\necho "database not ready" >&2\nexit 3\n'})
    const sync = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(sync.code, 1, sync.stdout + sync.stderr)
    assert.match(sync.stderr, /pre hook hooks\/pre\.sh exited with 3: database not ready; nothing on the host was changed/)

    const after = kedgeContainers(stack.name)
    assert.deepEqual(after.map((container) => [container.id, container.state, container.commit]), before.map((container) => [container.id, 'running', good]))
    const [latest] = await history(stack.home, stack.name)
    assert.equal(latest!.commit, bad)
    assert.equal(latest!.status, 'failed')
    assert.equal(latest!.hooks[0]!.hook, 'pre')
    assert.equal(latest!.hooks[0]!.outcome, 'failed')
    assert.equal(latest!.hooks[0]!.exitCode, 3)
    assert.match(latest!.hooks[0]!.output, /checking the database\ndatabase not ready/)
    assert.equal(latest!.reason?.source, 'sync')
    assert.deepEqual(latest!.reason?.files, ['compose.yaml', 'hooks/pre.sh'])

    const verbose = await runKedge(['history', '--repo', stack.name, '--verbose', '--limit', '1'], {home: stack.home})
    assert.equal(verbose.code, 0, verbose.stderr)
    assert.match(verbose.stdout, /pre hook\s+hooks\/pre\.sh: failed, exit 3/)
    assert.match(verbose.stdout, /\| database not ready/)
    assert.match(verbose.stdout, /reason\s+sync: compose\.yaml, hooks\/pre\.sh changed/)
  })

  it('skips the hooks of a repository they were not allowed for, and says so', async () => {
    const marker = path.join(tempDir(), 'ran')
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE, 'hooks/pre.sh': `touch ${marker}\nexit 1\n`, 'hooks/success.sh': `touch ${marker}\n`})
    const sync = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(sync.code, 0, sync.stderr)
    assert.equal(existsSync(marker), false)
    const [latest] = await history(stack.home, stack.name)
    assert.equal(latest!.status, 'success')
    assert.deepEqual(
      latest!.hooks.map((hook) => [hook.hook, hook.outcome]),
      [['pre', 'skipped'], ['success', 'skipped']],
    )
    assert.match(latest!.hooks[0]!.note!, new RegExp(`kedge repo set ${stack.name} --allow-hooks`))

    // Allowed later, with `repo set`: the next deploy runs them.
    assert.equal((await runKedge(['repo', 'set', stack.name, '--allow-hooks'], {home: stack.home})).code, 0)
    stack.remote.commit({'compose.yaml': CHANGED_COMPOSE, 'hooks/pre.sh': 'exit 0\n'})
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    assert.equal(existsSync(marker), true)
  })

  it('stops a hook that hangs at its timeout, and fails the deploy without touching the stack', async () => {
    // A sleep of its own length, to find it among the host's processes.
    const marker = `sleep 299.${process.pid}${Date.now() % 1000}`
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': 'hooks:\n  timeout: 2s\n', 'hooks/pre.sh': `${marker}\n`}, {args: ['--allow-hooks']})
    const started = Date.now()
    const sync = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
    const took = Date.now() - started
    assert.equal(sync.code, 1, sync.stderr)
    assert.match(sync.stderr, /pre hook hooks\/pre\.sh stopped after 2 s \(hooks\.timeout\)/)
    assert.ok(took < 30_000, `sync took ${took} ms`)
    assert.equal(running(marker), false)
    assert.deepEqual(kedgeContainers(stack.name), [])
    const [latest] = await history(stack.home, stack.name)
    assert.equal(latest!.hooks[0]!.outcome, 'timed_out')
  })

  it('is over when the hook is, whatever it leaves running', async () => {
    const marker = `sleep 298.${process.pid}${Date.now() % 1000}`
    after(() => execFileSync('pkill', ['-f', marker], {stdio: 'ignore'}))
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE, 'hooks/success.sh': `setsid ${marker} &\n${marker} &\necho "left two sleepers"\n`}, {args: ['--allow-hooks']})
    const started = Date.now()
    const sync = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(sync.code, 0, sync.stderr)
    assert.ok(Date.now() - started < 30_000, `sync took ${Date.now() - started} ms`)
    const [latest] = await history(stack.home, stack.name)
    assert.deepEqual(latest!.hooks.map((hook) => [hook.hook, hook.outcome, hook.output.trim()]), [['success', 'ok', 'left two sleepers']])
  })

  it('stops a hook that prints without end, and keeps the end of what it printed', async () => {
    const stack = await registeredStack({'compose.yaml': SIMPLE_COMPOSE, 'hooks/success.sh': 'while :; do printf "%0999d\\n" 0; done\n'}, {args: ['--allow-hooks']})
    const sync = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
    assert.equal(sync.code, 0, sync.stderr)
    const [latest] = await history(stack.home, stack.name)
    const [hook] = latest!.hooks
    assert.equal(hook!.outcome, 'failed')
    assert.match(hook!.output, /^\[\d+ bytes printed; the last 16384 characters kept\]\n/)
    assert.match(hook!.output, /\[stopped: it printed more than 16 MiB\]$/)
    assert.ok(hook!.output.length < 17_000)
  })

  it('runs success with the deploy told in KEDGE_* variables and none of kedge\'s secrets; its failure is recorded and changes nothing', async () => {
    const out = path.join(tempDir(), 'env')
    const stack = await registeredStack(
      {'compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': 'hooks:\n  success: ops/after.sh\n', 'ops/after.sh': `env > ${out}\npwd >> ${out}\necho "after went wrong"\nexit 4\n`},
      {args: ['--allow-hooks']},
    )
    const env = {KEDGE_SECRET_KEY: 'a'.repeat(64), GITHUB_TOKEN: 'ghp_hookmustnotseethis1234'}
    const sync = await runKedge(['sync', '--repo', stack.name], {home: stack.home, env})
    assert.equal(sync.code, 0, sync.stderr)
    const seen = readFileSync(out, 'utf8')
    assert.match(seen, new RegExp(`^KEDGE_REPOSITORY=${stack.name}$`, 'm'))
    assert.match(seen, new RegExp(`^KEDGE_STACK=${stack.name}$`, 'm'))
    assert.match(seen, new RegExp(`^KEDGE_COMMIT=${stack.remote.head()}$`, 'm'))
    assert.match(seen, /^KEDGE_PREVIOUS_COMMIT=$/m)
    assert.match(seen, /^KEDGE_TRIGGER=sync$/m)
    assert.match(seen, /^KEDGE_STATUS=success$/m)
    assert.match(seen, /^KEDGE_ERROR=$/m)
    assert.match(seen, /\/ops$/m)
    assert.doesNotMatch(seen, /KEDGE_SECRET_KEY|GITHUB_TOKEN|KEDGE_HOME|hookmustnotseethis/)
    const [latest] = await history(stack.home, stack.name)
    assert.equal(latest!.status, 'success')
    assert.deepEqual(latest!.hooks.map((hook) => [hook.hook, hook.file, hook.outcome, hook.exitCode]), [['success', 'ops/after.sh', 'failed', 4]])
    assert.match(latest!.hooks[0]!.output, /after went wrong/)
    assert.equal(kedgeContainers(stack.name)[0]?.state, 'running')
  })
})
