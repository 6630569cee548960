/**
 * Event-to-healed latency: how long after a container of a kedge stack is stopped or removed it runs
 * again under `kedge serve` (auto mode). Runs once per Compose: v2 (`docker compose`, primary) then v1
 * (`docker-compose`, legacy), each with its own kedge home and serve started with KEDGE_COMPOSE naming it.
 * Prints a table and writes bench/results/drift-latency-*.json.
 * Needs the test bed (scripts/test-env.sh) and a build (npm run build).
 * Usage: node --import tsx bench/drift-latency.ts [--rounds N] [--compose v2|v1|both]
 */
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {BenchRemote, BenchServe, docker, inScratch, KEDGE_BIN, kedgeEnvironment, measureEachCompose, option, run, sideBySide, until, type BenchCompose} from './fixtures.js'
import {median, writeResults} from './results.js'

const rounds = Number(option('--rounds')) || 20

function webContainer(project: string): {id: string; state: string} | undefined {
  const line = docker('ps', '--all', '--no-trunc', '--filter', `label=io.kedge.project=${project}`, '--format', '{{.ID}} {{.State}}').trim().split('\n')[0]
  if (!line) return undefined
  const [id, state] = line.split(' ')
  return {id: id!, state: state!}
}

function summary(samples: number[]) {
  return {median: median(samples), worst: Math.max(...samples), best: Math.min(...samples)}
}

async function measure(compose: BenchCompose) {
  const project = `kbench-${compose.name}-${process.pid}`
  return inScratch(`kedge-bench-drift-${compose.name}-`, [project], (work) => measureIn(work, compose, project))
}

async function measureIn(work: string, compose: BenchCompose, project: string) {
  const env = kedgeEnvironment(path.join(work, 'home'), compose)
  const remote = new BenchRemote(work, {
    'docker-compose.yaml': 'services:\n  web:\n    image: kedge-test/busybox:1\n',
    // The flap guard would stop healing after 5 heals in 5 minutes; here every heal is wanted.
    'kedge.yaml': 'reconciliation:\n  max_heals: 100000\n',
  })
  run(process.execPath, [KEDGE_BIN, 'repo', 'add', remote.bare, '--name', project], {env})
  const serve = new BenchServe(env, ['--interval', '1h'])
  try {
    // The first deploy is done once its health gate passed, not when the container first runs.
    await serve.waitFor((line) => line.event === 'deploy.succeeded')
    const results: Record<string, number[]> = {stop: [], remove: []}
    for (let round = 0; round < rounds; round++) {
      for (const action of ['stop', 'remove'] as const) {
        const before = await until(() => {
          const container = webContainer(project)
          return container?.state === 'running' ? container : undefined
        })
        await sleep(300)
        if (action === 'stop') docker('stop', '--time', '0', before.id)
        else docker('rm', '--force', before.id)
        const acted = performance.now()
        await until(() => {
          const container = webContainer(project)
          return container?.state === 'running' && (action === 'stop' || container.id !== before.id)
        })
        results[action]!.push(Math.round(performance.now() - acted))
      }
    }
    const table = Object.entries(results).map(([action, samples]) => ({action, ...summary(samples)}))
    return {compose, results: table, samples: results}
  } catch (error) {
    console.error(`serve's last log lines (${compose.command}):\n${serve.tail()}`)
    throw error
  } finally {
    await serve.stop()
  }
}

const legs = await measureEachCompose(measure)
console.log(`drift reaction: event to running again (ms), ${rounds} rounds each`)
console.table(sideBySide(legs.map(({compose, results}) => ({compose, rows: results})), 'action'))
writeResults('drift-latency', {rounds, legs})
