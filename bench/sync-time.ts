/**
 * Sync time: `kedge sync --repo X` from start to finish (a new process, as a user runs it) for a changed
 * image, against Compose by hand for the same change: `docker compose up -d --wait` for v2, and
 * `docker-compose up -d` for v1, which has no --wait (so also the time until the container is seen
 * running, and healthy, by polling `docker ps` after it). Alternating, N rounds, for a service
 * without a healthcheck and one with. Runs once per Compose: v2 (primary) then v1 (legacy), kedge with
 * KEDGE_COMPOSE naming it. Target: kedge sync ≤ 1.5× `docker compose up -d --wait`.
 * Prints a table and writes bench/results/sync-time-*.json.
 * Needs the test bed (scripts/test-env.sh) and a build (npm run build).
 * Usage: node --import tsx bench/sync-time.ts [--rounds N] [--compose v2|v1|both]
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {
  BenchRemote,
  composesUnderTest,
  inScratch,
  KEDGE_BIN,
  kedgeEnvironment,
  option,
  readyImage,
  run,
  sideBySide,
  stackYaml,
  summarize,
  until,
  type BenchCompose,
} from './fixtures.js'
import {median, writeResults} from './results.js'

const rounds = Number(option('--rounds')) || 10
const TARGET_RATIO = 1.5
const FIXTURES = {plain: {healthcheck: false}, healthcheck: {healthcheck: true}}

function timed(file: string, args: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv}): number {
  const started = performance.now()
  const result = spawnSync(file, args, {...options, stdio: ['ignore', 'ignore', 'pipe']})
  const ms = performance.now() - started
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${result.stderr.toString()}`)
  return ms
}

function expectReady(project: string, version: number): void {
  const image = readyImage(project)
  if (image !== `kedge-test/busybox:${version}`) throw new Error(`${project} runs ${image ?? 'nothing ready'} instead of kedge-test/busybox:${version}`)
}

async function measure(compose: BenchCompose, fixture: keyof typeof FIXTURES) {
  const projects = {kedge: `kbench-sync-${compose.name}-${fixture}-${process.pid}`, byHand: `kbench-hand-${compose.name}-${fixture}-${process.pid}`}
  return inScratch(`kedge-bench-sync-${compose.name}-`, Object.values(projects), (work) => measureIn(work, compose, fixture, projects))
}

async function measureIn(work: string, compose: BenchCompose, fixture: keyof typeof FIXTURES, projects: Record<'kedge' | 'byHand', string>) {
  const env = kedgeEnvironment(path.join(work, 'home'), compose)
  const stack = (version: number) => ({'docker-compose.yaml': stackYaml(version, FIXTURES[fixture])})
  const byHandDirectory = path.join(work, 'by-hand')
  const wait = compose.name === 'v2' ? ['--wait'] : []
  const byHandCommand = `${compose.command} up -d${wait.length > 0 ? ' --wait' : ''}`
  const [composeFile, ...composeWords] = compose.command.split(' ')
  const remote = new BenchRemote(path.join(work, 'remote'), stack(1))
  run(process.execPath, [KEDGE_BIN, 'repo', 'add', remote.bare, '--name', projects.kedge], {env})
  mkdirSync(byHandDirectory)
  const samples = {kedge: [] as number[], byHand: [] as number[], byHandReady: [] as number[]}
  const kedgeSync = () => timed(process.execPath, [KEDGE_BIN, 'sync', '--repo', projects.kedge], {env})
  const byHand = async (version: number) => {
    writeFileSync(path.join(byHandDirectory, 'docker-compose.yaml'), stack(version)['docker-compose.yaml'])
    const started = performance.now()
    const ms = timed(composeFile!, [...composeWords, '--project-name', projects.byHand, 'up', '-d', ...wait], {cwd: byHandDirectory})
    await until(() => readyImage(projects.byHand) === `kedge-test/busybox:${version}`, 60_000)
    return {ms, readyMs: performance.now() - started}
  }
  kedgeSync()
  await byHand(1)
  for (let round = 0; round < rounds; round++) {
    const version = round % 2 === 0 ? 2 : 1
    remote.commit(stack(version))
    // Alternating which goes first, so that whatever the machine does falls on both alike.
    for (const which of round % 2 === 0 ? ['kedge', 'byHand'] : ['byHand', 'kedge']) {
      if (which === 'kedge') {
        samples.kedge.push(kedgeSync())
        expectReady(projects.kedge, version)
      } else {
        const {ms, readyMs} = await byHand(version)
        samples.byHand.push(ms)
        samples.byHandReady.push(readyMs)
      }
    }
  }
  const baseline = median(samples.byHand)
  const rows = [
    {fixture, path: 'kedge sync', ...summarize(samples.kedge, baseline)},
    {fixture, path: 'by hand', ...summarize(samples.byHand, baseline)},
    // v1 ends before its container is healthy; v2's --wait waits for that, so for v2 this is about the same.
    {fixture, path: 'by hand, then until ready', ...summarize(samples.byHandReady, baseline)},
  ]
  return {compose, fixture, byHand: byHandCommand, rows, samples}
}

const legs = []
for (const compose of composesUnderTest()) {
  for (const fixture of Object.keys(FIXTURES) as Array<keyof typeof FIXTURES>) {
    legs.push(await measure(compose, fixture))
    console.log(`measured ${compose.command} ${compose.version}, ${fixture}`)
  }
}
console.log(`kedge sync against Compose by hand, ${rounds} changed images each; ratio is to "by hand": ${[...new Set(legs.map((leg) => leg.byHand))].join(' / ')}`)
if (legs.some((leg) => leg.compose.name === 'v1')) {
  console.log('docker-compose (v1) has no --wait: by hand it ends once the container started, before its healthcheck passed; "then until ready" polls docker ps until it runs (healthy)')
}
const table = sideBySide(
  legs.map(({compose, rows}) => ({compose, rows: rows.map(({fixture, path, ...figures}) => ({row: `${fixture}: ${path}`, ...figures}))})),
  'row',
)
console.table(table)
writeResults('sync-time', {rounds, targetRatio: TARGET_RATIO, legs})
