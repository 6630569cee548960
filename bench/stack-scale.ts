/**
 * Idle cost at scale: one `kedge serve` with 1,000 deployed one-service stacks (by default 16
 * repositories of 50 stacks, and 200 repositories of one), every repository polling every 60 s. Once
 * every stack runs and a whole interval has passed, it measures serve over a stretch of no changes:
 * CPU (its own and that of any process it waited for) as a share of one core, and resident memory.
 * The stretch is 10 minutes by default, the backstop of serve's drift checks (drift-check-gate.ts), so
 * that every stack's full listing falls in it once.
 * `--compare DIR` measures, on the same deployed stacks, the serve of another checkout of kedge (built)
 * right after this one's: the side-by-side figure for a change. Its stretch is two minutes, or
 * `--compare-seconds`: a checkout whose quiet stacks are listed every ten minutes needs the whole ten.
 * Target (issue 18): under 1% of one core and under 120 MB RSS. The stacks use `network_mode: none`
 * (1,000 default networks would exhaust the engine's address pools, docs/stacks.md).
 * Needs the test bed (scripts/test-env.sh) and a build (npm run build).
 * Usage: node --import tsx bench/stack-scale.ts [--monorepos 16] [--stacks 50] [--singles 200] [--seconds 600] [--compare DIR] [--compare-seconds 120]
 */
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {BenchRemote, BenchServe, composesUnderTest, docker, inScratch, kedgeEnvironment, KEDGE_BIN, option, run, until} from './fixtures.js'
import {watchProcess} from './process-use.js'
import {writeResults} from './results.js'

const MONOREPOS = Number(option('--monorepos') ?? 16)
const STACKS = Number(option('--stacks') ?? 50)
const SINGLES = Number(option('--singles') ?? 200)
const SECONDS = Number(option('--seconds') ?? 600)
const COMPARE = option('--compare')
const COMPARE_SECONDS = Number(option('--compare-seconds') ?? Math.min(SECONDS, 120))
const INTERVAL = '60s'

// A plain sleep: the test image's own command wakes every second, which 1,000 times over is a load of its own.
const stack = `services:\n  app:\n    image: kedge-test/busybox:1\n    command: ["sleep", "86400"]\n    network_mode: none\n    stop_grace_period: 0s\n`

/** The bench's running containers, by the repository label kedge put on them. */
function runningStacks(prefix: string): number {
  const repositories = docker('ps', '--filter', 'label=io.kedge.managed=true', '--format', '{{.Label "io.kedge.repo"}}').split('\n')
  return repositories.filter((name) => name.startsWith(prefix)).length
}

/** Removes every container of the bench's repositories, a hundred at a time. */
function removeContainers(prefix: string): void {
  const ids = docker('ps', '--all', '--filter', 'label=io.kedge.managed=true', '--format', '{{.ID}} {{.Label "io.kedge.repo"}}')
    .split('\n')
    .filter((line) => line.split(' ')[1]?.startsWith(prefix))
    .map((line) => line.split(' ')[0]!)
  for (let i = 0; i < ids.length; i += 100) docker('rm', '--force', ...ids.slice(i, i + 100))
}

/** serve (listening at `base`) over a quiet stretch of `seconds`, once it is ready and a whole interval has passed. */
async function measure(serve: BenchServe, base: string, seconds: number): Promise<Record<string, number>> {
  await until(async () => (await fetch(`${base}/ready`).catch(() => undefined))?.status === 200, 600_000, 1000)
  // A whole interval and more, so that every repository's round after its deploy (or serve's start) has run.
  await sleep(90_000)
  const use = await watchProcess(serve.pid, seconds)
  return {
    seconds: Math.round(use.seconds),
    cpuMs: Math.round(use.cpuSeconds * 1000),
    cpuPercentOfOneCore: use.cpuPercentOfOneCore,
    rssMedianMb: use.rssMedianMb,
    rssMaxMb: use.rssMaxMb,
  }
}

async function main(): Promise<void> {
  const compose = composesUnderTest('v2')[0]!
  const prefix = `ks${process.pid}-`
  const total = MONOREPOS * STACKS + SINGLES
  await inScratch('kedge-bench-scale-', [], async (work) => {
    const env = kedgeEnvironment(path.join(work, 'home'), compose)
    const add = (name: string, files: Record<string, string>) => {
      const remote = new BenchRemote(path.join(work, name), files)
      run(process.execPath, [KEDGE_BIN, 'repo', 'add', `file://${remote.bare}`, '--name', name, '--interval', INTERVAL], {env})
    }
    // Registered a batch at a time while serve runs, so that the first deploys do not all start at once.
    const batches: Array<Array<[string, Record<string, string>]>> = []
    const batchCount = Math.max(1, Math.ceil(MONOREPOS / 5))
    for (let b = 0; b < batchCount; b++) {
      const batch: Array<[string, Record<string, string>]> = []
      for (let m = b * 5; m < Math.min(MONOREPOS, (b + 1) * 5); m++) {
        const files: Record<string, string> = {}
        for (let i = 0; i < STACKS; i++) files[`apps/s${String(i).padStart(2, '0')}/compose.yaml`] = stack
        batch.push([`${prefix}m${m}`, files])
      }
      for (let i = Math.floor((b * SINGLES) / batchCount); i < Math.floor(((b + 1) * SINGLES) / batchCount); i++) batch.push([`${prefix}o${i}`, {'compose.yaml': stack}])
      batches.push(batch)
    }
    let expected = 0
    let serve: BenchServe | undefined
    // Read as soon as serve says it, before a thousand deploys' log lines push the line out of what is kept.
    let base: string | undefined
    try {
      for (const batch of batches) {
        for (const [name, files] of batch) {
          add(name, files)
          expected += Object.keys(files).length
        }
        if (!serve) {
          serve = new BenchServe(env)
          base = await serve.address()
        }
        const started = Date.now()
        await until(() => runningStacks(prefix) >= expected, 1_800_000, 2000)
        console.log(`${expected} of ${total} stacks running (batch took ${Math.round((Date.now() - started) / 1000)} s)`)
      }
      const rows = [{kedge: 'this checkout', ...(await measure(serve!, base!, SECONDS))}]
      if (COMPARE) {
        await serve!.stop()
        serve = new BenchServe(env, [], path.join(path.resolve(COMPARE), 'bin/run.cjs'))
        // A checkout before the drift-check gate lists every stack every round, so two minutes show its rate;
        // one with the gate needs the ten minutes its listings take (--compare-seconds 600).
        rows.push({kedge: path.resolve(COMPARE), ...(await measure(serve, await serve.address(), COMPARE_SECONDS))})
      }
      const result = {compose: `${compose.command} ${compose.version}`, stacks: total, repositories: MONOREPOS + SINGLES, interval: INTERVAL, rows}
      console.table(rows)
      console.log(writeResults('stack-scale', result))
    } finally {
      await serve?.stop()
      removeContainers(prefix)
    }
  })
}

await main()
