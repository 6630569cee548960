import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {DiffResult} from '../../src/usecases/drift/diff.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {docker, kedgeContainers, type TestContainer} from '../helpers/docker.js'
import {registeredStack, uniqueName, type TestStack} from '../helpers/stack.js'
import {waitFor} from '../helpers/wait.js'

export const DRIFT_STACK = `services:
  web:
    image: kedge-test/busybox:1
  pool:
    image: kedge-test/busybox:1
    deploy:
      replicas: 2
  checked:
    image: kedge-test/busybox:1
    healthcheck:
      test: ["CMD", "sh", "-c", "test ! -f /tmp/unhealthy"]
      interval: 1s
      timeout: 5s
      retries: 1
`

/** Runs a container by hand that carries all the labels of `original`, with `changes` applied. */
export function runByHand(original: TestContainer, options: {image?: string; labels?: Record<string, string>}): string {
  const labels = JSON.parse(docker('inspect', '--format', '{{json .Config.Labels}}', original.id)) as Record<string, string>
  Object.assign(labels, options.labels)
  docker('rm', '--force', original.id)
  const args = Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`])
  return docker('run', '--detach', '--name', original.name, ...args, options.image ?? original.image).trim()
}

const containerOf = (stack: TestStack, service: string) => kedgeContainers(stack.name).find((container) => container.service === service)!

async function diff(stack: TestStack) {
  const result = await runKedgeJson<DiffResult>(['diff', '--repo', stack.name], {home: stack.home})
  assert.equal(result.code, 0, result.stderr)
  return result.json
}

describe('kedge diff and drift', () => {
  it('reports each kind of drift, in text and JSON, and kedge sync puts each right', async (t) => {
    const stack = await registeredStack({'docker-compose.yaml': DRIFT_STACK, 'kedge.yaml': 'reconciliation:\n  mode: manual\n'})
    const bystander = `${uniqueName('kt-bystander')}`
    docker('run', '--detach', '--name', bystander, '--label', `io.kedge.project=${stack.name}`, '--label', `io.kedge.service=web`, 'kedge-test/busybox:1')
    t.after(() => docker('rm', '--force', bystander))
    const bystanderId = docker('inspect', '--format', '{{.Id}}', bystander).trim()

    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    await waitFor('the healthcheck to pass', () => docker('inspect', '--format', '{{.State.Health.Status}}', containerOf(stack, 'checked').id).trim() === 'healthy')
    const clean = await diff(stack)
    assert.equal(clean.inSync, true)
    assert.deepEqual(clean.drift, [])
    assert.equal(clean.commit, stack.remote.head())
    assert.equal(clean.head, undefined)
    const cleanText = await runKedge(['diff', '--repo', stack.name, '--exit-code'], {home: stack.home})
    assert.equal(cleanText.code, 0)
    assert.match(cleanText.stdout, /In sync/)

    const scenarios: Array<{name: string; cause: () => void | Promise<void>; service: string; type: string; expected: RegExp; actual: RegExp}> = [
      {name: 'docker stop', cause: () => void docker('stop', containerOf(stack, 'web').id), service: 'web', type: 'stopped', expected: /^running$/, actual: /^exited \(exit code \d+\)$/},
      {name: 'docker rm -f', cause: () => void docker('rm', '--force', containerOf(stack, 'web').id), service: 'web', type: 'missing', expected: /^1 running container$/, actual: /^0$/},
      {
        name: 'a container re-run by hand with another image',
        cause: () => void runByHand(containerOf(stack, 'web'), {image: 'kedge-test/busybox:2'}),
        service: 'web',
        type: 'wrong_image',
        expected: /^kedge-test\/busybox:1$/,
        actual: /^kedge-test\/busybox:2$/,
      },
      {
        name: 'a container re-run by hand with other settings',
        cause: () => void runByHand(containerOf(stack, 'web'), {labels: {'io.kedge.config-hash': 'f'.repeat(32)}}),
        service: 'web',
        type: 'wrong_config',
        expected: /^config [0-9a-f]{12}$/,
        actual: /^config ffffffffffff$/,
      },
      {
        name: 'an extra labelled container',
        cause: () =>
          void docker('run', '--detach', '--name', `${stack.name}-ghost`, '--label', 'io.kedge.managed=true', '--label', `io.kedge.repo=${stack.name}`, '--label', `io.kedge.project=${stack.name}`, '--label', 'io.kedge.service=ghost', 'kedge-test/busybox:1'),
        service: 'ghost',
        type: 'extra',
        expected: /^no such service$/,
        actual: new RegExp(`^${stack.name}-ghost \\(running\\)$`),
      },
      {
        name: 'a failing healthcheck',
        cause: async () => {
          const checked = containerOf(stack, 'checked')
          docker('exec', checked.id, 'touch', '/tmp/unhealthy')
          await waitFor('the container to turn unhealthy', () => docker('inspect', '--format', '{{.State.Health.Status}}', checked.id).trim() === 'unhealthy')
        },
        service: 'checked',
        type: 'unhealthy',
        expected: /^healthy$/,
        actual: /^unhealthy$/,
      },
      {
        name: 'a scaled service missing a replica',
        cause: () => void docker('rm', '--force', kedgeContainers(stack.name).filter((container) => container.service === 'pool')[1]!.id),
        service: 'pool',
        type: 'missing',
        expected: /^2 running containers$/,
        actual: /^1$/,
      },
    ]
    for (const scenario of scenarios) {
      await scenario.cause()
      // The engine's container listing catches up with a stop a moment after `docker stop` returns.
      const drifted = await waitFor(`${scenario.name}: diff to see it`, async () => {
        const result = await diff(stack)
        return result.inSync ? undefined : result
      }, 10_000, 200)
      assert.equal(drifted.inSync, false, scenario.name)
      assert.equal(drifted.drift.length, 1, `${scenario.name}: ${JSON.stringify(drifted.drift)}`)
      const [entry] = drifted.drift
      assert.equal(entry!.service, scenario.service, scenario.name)
      assert.equal(entry!.type, scenario.type, scenario.name)
      assert.match(entry!.expected, scenario.expected, scenario.name)
      assert.match(entry!.actual, scenario.actual, scenario.name)

      const text = await runKedge(['diff', '--repo', stack.name, '--exit-code'], {home: stack.home})
      assert.equal(text.code, 1, `${scenario.name}: --exit-code`)
      assert.match(text.stdout, new RegExp(`^ {2}${scenario.service}\\n {4}${scenario.type}\\s+expected `, 'm'), scenario.name)

      const status = await runKedgeJson<Array<{drift: {entries: Array<{type: string}>}}>>(['status', '--repo', stack.name], {home: stack.home})
      assert.deepEqual(status.json[0]!.drift.entries.map((recorded) => recorded.type), [scenario.type], `${scenario.name}: recorded`)

      const fixed = await runKedge(['sync', '--repo', stack.name], {home: stack.home})
      assert.equal(fixed.code, 0, `${scenario.name}: sync: ${fixed.stderr}`)
      await waitFor(`${scenario.name}: healthy again`, () => docker('inspect', '--format', '{{.State.Health.Status}}', containerOf(stack, 'checked').id).trim() === 'healthy')
      assert.deepEqual((await diff(stack)).drift, [], `${scenario.name}: repaired`)
    }
    assert.equal(docker('inspect', '--format', '{{.Id}} {{.State.Running}}', bystander).trim(), `${bystanderId} true`, 'a container kedge did not label is left alone')
  })

  it('shows what the branch head would change when it is ahead', async () => {
    const stack = await registeredStack({'docker-compose.yaml': 'services:\n  web:\n    image: kedge-test/busybox:1\n  old:\n    image: kedge-test/busybox:1\n'})
    assert.equal((await runKedge(['sync', '--repo', stack.name], {home: stack.home})).code, 0)
    const head = stack.remote.commit({'docker-compose.yaml': 'services:\n  web:\n    image: kedge-test/busybox:2\n  new:\n    image: kedge-test/busybox:3\n'})
    const result = await diff(stack)
    assert.equal(result.inSync, false)
    assert.deepEqual(result.drift, [])
    assert.deepEqual(result.head, {
      commit: head,
      changes: [
        {service: 'new', action: 'create', from: null, to: 'kedge-test/busybox:3'},
        {service: 'web', action: 'recreate', from: 'kedge-test/busybox:1', to: 'kedge-test/busybox:2'},
        {service: 'old', action: 'remove', from: 'kedge-test/busybox:1', to: null},
      ],
    })
    const text = await runKedge(['diff', '--repo', stack.name], {home: stack.home})
    assert.match(text.stdout, new RegExp(`Branch head ${head.slice(0, 7)} would:\\n {2}create\\s+new\\s+- → kedge-test/busybox:3\\n {2}recreate\\s+web\\s+kedge-test/busybox:1 → kedge-test/busybox:2\\n {2}remove\\s+old\\s+kedge-test/busybox:1`))
    assert.deepEqual(kedgeContainers(stack.name).map((container) => container.image), ['kedge-test/busybox:1', 'kedge-test/busybox:1'], 'diff changes nothing')
  })
})
