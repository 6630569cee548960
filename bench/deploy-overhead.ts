/**
 * Overhead over Compose: push-to-running time of a changed image through kedge, triggered by a push
 * webhook and by polling (every second), against `docker compose up -d` run by hand for the same change,
 * side by side in one run; and against the same `up` started the way kedge starts Compose (which, for
 * Debian's Compose v1, is faster than its console script). Prints a table and writes
 * bench/results/deploy-overhead-*.json.
 * Needs the test bed (scripts/test-env.sh) and a build (npm run build).
 * Usage: node --import tsx bench/deploy-overhead.ts [--rounds N]
 */
import {createHmac, randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {composeCommand as kedgeComposeCommand, composeUp} from '../src/adapters/compose.js'
import {BenchRemote, BenchServe, docker, KEDGE_BIN, removeProject, run, until} from './fixtures.js'
import {median, writeResults} from './results.js'

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 10
const work = mkdtempSync(path.join(tmpdir(), 'kedge-bench-overhead-'))
const secret = randomBytes(16).toString('hex')
const env = {...process.env, KEDGE_HOME: path.join(work, 'home'), KEDGE_BENCH_HOOK_SECRET: secret}
// The test image ends on SIGTERM only once its `sleep 1` is over: replacing it would cost anywhere from 0
// to 1 s, at random, on every path. Killed at once, the old container costs every path the same.
const compose = (version: number) => `services:\n  web:\n    image: kedge-test/busybox:${version}\n    stop_grace_period: 0s\n`
const projects = {webhook: `kbench-hook-${process.pid}`, poll: `kbench-poll-${process.pid}`, compose: `kbench-compose-${process.pid}`, kedgeStart: `kbench-start-${process.pid}`}

function runningImage(project: string): string | undefined {
  const line = docker('ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Image}} {{.State}}').trim().split('\n')[0]
  return line?.endsWith(' running') ? line.split(' ')[0] : undefined
}

/** The time from `change` until the project's container runs the version's image. */
async function timeToRunning(project: string, version: number, change: () => unknown): Promise<number> {
  const started = performance.now()
  await change()
  await until(() => runningImage(project) === `kedge-test/busybox:${version}`, 120_000)
  return performance.now() - started
}

function composeCommand(): string[] {
  try {
    run('docker', ['compose', 'version'])
    return ['docker', 'compose']
  } catch {
    return ['docker-compose']
  }
}

async function main(): Promise<void> {
  const hookRemote = new BenchRemote(path.join(work, 'hook'), {'docker-compose.yaml': compose(1)})
  const pollRemote = new BenchRemote(path.join(work, 'poll'), {'docker-compose.yaml': compose(1), 'kedge.yaml': 'reconciliation:\n  interval: 1s\n'})
  run(process.execPath, [KEDGE_BIN, 'repo', 'add', hookRemote.bare, '--name', projects.webhook, '--interval', '1h', '--webhook-secret-env', 'KEDGE_BENCH_HOOK_SECRET'], {env})
  run(process.execPath, [KEDGE_BIN, 'repo', 'add', pollRemote.bare, '--name', projects.poll], {env})
  const byHand = path.join(work, 'by-hand')
  const kedgeStart = path.join(work, 'kedge-start')
  mkdirSync(byHand)
  mkdirSync(kedgeStart)
  const writeStack = (directory: string, version: number) => writeFileSync(path.join(directory, 'docker-compose.yaml'), compose(version))
  const [composeFile, ...composeArgs] = composeCommand()
  const up = (version: number) => {
    writeStack(byHand, version)
    run(composeFile!, [...composeArgs, '--project-name', projects.compose, 'up', '--detach', '--remove-orphans'], {cwd: byHand})
  }
  const asKedgeStarts = await kedgeComposeCommand()
  const upAsKedgeStarts = async (version: number) => {
    writeStack(kedgeStart, version)
    await composeUp({name: projects.kedgeStart, files: ['docker-compose.yaml'], directory: kedgeStart})
  }
  up(1)
  await upAsKedgeStarts(1)

  const serve = new BenchServe(env, ['--interval', '1h'])
  try {
    const base = await serve.address()
    await serve.waitFor((line) => line.event === 'deploy.succeeded' && line.repo === projects.webhook)
    await serve.waitFor((line) => line.event === 'deploy.succeeded' && line.repo === projects.poll)
    const samples: Record<'compose' | 'kedgeStart' | 'webhook' | 'poll', number[]> = {compose: [], kedgeStart: [], webhook: [], poll: []}
    for (let round = 0; round < rounds; round++) {
      const version = round % 2 === 0 ? 2 : 1

      samples.compose.push(await timeToRunning(projects.compose, version, () => up(version)))
      samples.kedgeStart.push(await timeToRunning(projects.kedgeStart, version, () => upAsKedgeStarts(version)))

      hookRemote.commit({'docker-compose.yaml': compose(version)})
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

      samples.poll.push(await timeToRunning(projects.poll, version, () => pollRemote.commit({'docker-compose.yaml': compose(version)})))
      // Each deploy's health gate ends before the next change, as it would between real pushes.
      await until(() => serve.lines().filter((line) => line.event === 'deploy.succeeded').length >= 2 + 2 * (round + 1), 60_000)
    }
    const composeMedian = median(samples.compose)
    const kedgeStartMedian = median(samples.kedgeStart)
    const names = {compose: 'docker compose up -d by hand', kedgeStart: 'the same, Compose started as kedge starts it', webhook: 'kedge, webhook', poll: 'kedge, poll'}
    const rows = Object.entries(samples).map(([trigger, values]) => ({
      path: names[trigger as keyof typeof names],
      medianMs: Math.round(median(values)),
      worstMs: Math.round(Math.max(...values)),
      ratio: Number((median(values) / composeMedian).toFixed(2)),
      overheadMs: Math.round(median(values) - composeMedian),
      overSameStartMs: Math.round(median(values) - kedgeStartMedian),
    }))
    console.log(`push to running, ${rounds} changes each (the poll path includes waiting for the next 1 s poll)`)
    console.table(rows)
    writeResults('deploy-overhead', {rounds, compose: {byHand: [composeFile, ...composeArgs], asKedgeStarts}, rows, samples})
  } catch (error) {
    console.error(`serve's last log lines:\n${serve.tail()}`)
    throw error
  } finally {
    await serve.stop()
    for (const project of Object.values(projects)) removeProject(project)
    rmSync(work, {recursive: true, force: true})
  }
}

await main()
