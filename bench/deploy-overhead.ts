/**
 * Overhead over Compose: push-to-running time of a changed image through kedge, triggered by a push
 * webhook and by polling (every second), against `up -d` run by hand with the same Compose for the same
 * change, side by side in one run. Runs once per Compose: v2 (`docker compose`, primary) then v1
 * (`docker-compose`, legacy), each with its own kedge home and `kedge serve` started with KEDGE_COMPOSE
 * naming it. Prints a table and writes bench/results/deploy-overhead-*.json.
 * Needs the test bed (scripts/test-env.sh) and a build (npm run build).
 * Usage: node --import tsx bench/deploy-overhead.ts [--rounds N] [--compose v2|v1|both]
 */
import {createHmac, randomBytes} from 'node:crypto'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {
  BenchRemote,
  BenchServe,
  measureEachCompose,
  inScratch,
  KEDGE_BIN,
  kedgeEnvironment,
  option,
  readyImage,
  run,
  runCompose,
  sideBySide,
  stackYaml,
  summarize,
  until,
  type BenchCompose,
} from './fixtures.js'
import {median, writeResults} from './results.js'

const rounds = Number(option('--rounds')) || 10
const secret = randomBytes(16).toString('hex')
const NAMES = {byHand: 'compose up -d by hand', webhook: 'kedge, webhook', poll: 'kedge, poll'}

/** The time from `change` until the project's container runs the version's image. */
async function timeToRunning(project: string, version: number, change: () => unknown): Promise<number> {
  const started = performance.now()
  await change()
  await until(() => readyImage(project) === `kedge-test/busybox:${version}`, 120_000)
  return performance.now() - started
}

async function measure(compose: BenchCompose) {
  const projects = {webhook: `kbench-hook-${compose.name}-${process.pid}`, poll: `kbench-poll-${compose.name}-${process.pid}`, byHand: `kbench-compose-${compose.name}-${process.pid}`}
  return inScratch(`kedge-bench-overhead-${compose.name}-`, Object.values(projects), (work) => measureIn(work, compose, projects))
}

async function measureIn(work: string, compose: BenchCompose, projects: Record<'webhook' | 'poll' | 'byHand', string>) {
  const env = kedgeEnvironment(path.join(work, 'home'), compose, {KEDGE_BENCH_HOOK_SECRET: secret})
  const hookRemote = new BenchRemote(path.join(work, 'hook'), {'docker-compose.yaml': stackYaml(1)})
  const pollRemote = new BenchRemote(path.join(work, 'poll'), {'docker-compose.yaml': stackYaml(1), 'kedge.yaml': 'reconciliation:\n  interval: 1s\n'})
  run(process.execPath, [KEDGE_BIN, 'repo', 'add', hookRemote.bare, '--name', projects.webhook, '--interval', '1h', '--webhook-secret-env', 'KEDGE_BENCH_HOOK_SECRET'], {env})
  run(process.execPath, [KEDGE_BIN, 'repo', 'add', pollRemote.bare, '--name', projects.poll], {env})
  const byHand = path.join(work, 'by-hand')
  mkdirSync(byHand)
  const up = (version: number) => {
    writeFileSync(path.join(byHand, 'docker-compose.yaml'), stackYaml(version))
    runCompose(compose, ['--project-name', projects.byHand, 'up', '-d'], byHand)
  }
  up(1)

  const serve = new BenchServe(env, ['--interval', '1h'])
  try {
    const base = await serve.address()
    await serve.waitFor((line) => line.event === 'deploy.succeeded' && line.repo === projects.webhook)
    await serve.waitFor((line) => line.event === 'deploy.succeeded' && line.repo === projects.poll)
    const samples: Record<keyof typeof NAMES, number[]> = {byHand: [], webhook: [], poll: []}
    for (let round = 0; round < rounds; round++) {
      const version = round % 2 === 0 ? 2 : 1
      samples.byHand.push(await timeToRunning(projects.byHand, version, () => up(version)))

      hookRemote.commit({'docker-compose.yaml': stackYaml(version)})
      const body = JSON.stringify({ref: 'refs/heads/main'})
      const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
      samples.webhook.push(
        await timeToRunning(projects.webhook, version, async () => {
          const response = await fetch(`${base}/hooks/${projects.webhook}`, {
            method: 'POST',
            headers: {'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature},
            body,
          })
          if (response.status !== 202) throw new Error(`webhook answered ${response.status}`)
        }),
      )

      samples.poll.push(await timeToRunning(projects.poll, version, () => pollRemote.commit({'docker-compose.yaml': stackYaml(version)})))
      // Each deploy's health gate ends before the next change, as it would between real pushes.
      await until(() => serve.lines().filter((line) => line.event === 'deploy.succeeded').length >= 2 + 2 * (round + 1), 60_000)
    }
    const byHandMedian = median(samples.byHand)
    const rows = Object.entries(samples).map(([trigger, values]) => ({
      path: NAMES[trigger as keyof typeof NAMES],
      ...summarize(values, byHandMedian),
      overheadMs: Math.round(median(values) - byHandMedian),
    }))
    return {compose, byHand: `${compose.command} up -d`, rows, samples}
  } catch (error) {
    console.error(`serve's last log lines (${compose.command}):\n${serve.tail()}`)
    throw error
  } finally {
    await serve.stop()
  }
}

const legs = await measureEachCompose(measure)
console.log(`push to running, ${rounds} changes each; ratio is to "${legs.map((leg) => leg.byHand).join('" / "')}" by hand (the poll path includes waiting for the next 1 s poll)`)
console.table(sideBySide(legs, 'path'))
writeResults('deploy-overhead', {rounds, legs})
