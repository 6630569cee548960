/**
 * Many stacks in one repository: a repository of 50 one-service stacks, side by side with a repository
 * of one stack, on the same host, at once, each under its own serve (its own home), both polling every 2 s.
 * - push to running: a commit that changes one stack, from the push to the stack's new container running;
 *   the many-stack repository runs Compose for that stack only.
 * - an idle round: each serve's CPU time per round when nothing changed, from /proc, over a quiet minute.
 * Target (issue 18): push-to-running within 1.1× the single-stack repository's. The stacks use
 * `network_mode: none`: 50 default networks would exhaust the engine's default address pools (docs/stacks.md).
 * Needs the test bed (scripts/test-env.sh) and a build (npm run build).
 * Usage: node --import tsx bench/many-stacks.ts [--stacks N] [--rounds N]
 */
import path from 'node:path'

import {BenchRemote, BenchServe, composesUnderTest, inScratch, kedgeEnvironment, option, readyImage, run, summarize, until, KEDGE_BIN} from './fixtures.js'
import {cpuSeconds} from './process-use.js'
import {median, writeResults} from './results.js'

const STACKS = Number(option('--stacks')) || 50
const ROUNDS = Number(option('--rounds')) || 5
const POLL = '2s'

const stack = (version: number) => `services:\n  app:\n    image: kedge-test/busybox:${version}\n    network_mode: none\n    stop_grace_period: 0s\n`

async function main(): Promise<void> {
  const compose = composesUnderTest('v2')[0]!
  const manyName = `kbm-${process.pid}`
  const oneName = `kbo-${process.pid}`
  const projects = [...Array.from({length: STACKS}, (_, i) => `${manyName}-s${String(i).padStart(2, '0')}`), oneName]
  await inScratch('kedge-bench-stacks-', projects, async (work) => {
    const env = {many: kedgeEnvironment(path.join(work, 'home-many'), compose), one: kedgeEnvironment(path.join(work, 'home-one'), compose)}
    const files: Record<string, string> = {}
    for (let i = 0; i < STACKS; i++) files[`apps/s${String(i).padStart(2, '0')}/compose.yaml`] = stack(1)
    const many = new BenchRemote(path.join(work, 'many'), files)
    const one = new BenchRemote(path.join(work, 'one'), {'compose.yaml': stack(1)})
    run(process.execPath, [KEDGE_BIN, 'repo', 'add', `file://${many.bare}`, '--name', manyName, '--interval', POLL], {env: env.many})
    run(process.execPath, [KEDGE_BIN, 'repo', 'add', `file://${one.bare}`, '--name', oneName, '--interval', POLL], {env: env.one})
    const serve = {many: new BenchServe(env.many), one: new BenchServe(env.one)}
    try {
      await until(() => projects.every((project) => readyImage(project) === 'kedge-test/busybox:1'), 600_000, 500)
      const samples = {many: [] as number[], one: [] as number[]}
      for (let round = 0; round < ROUNDS; round++) {
        const version = 2 + (round % 2)
        for (const [which, remote, file, project] of [
          ['many', many, 'apps/s07/compose.yaml', `${manyName}-s07`],
          ['one', one, 'compose.yaml', oneName],
        ] as const) {
          const started = performance.now()
          remote.commit({[file]: stack(version)})
          await until(() => readyImage(project) === `kedge-test/busybox:${version}`, 120_000, 20)
          samples[which].push(performance.now() - started)
        }
      }
      // A whole interval for both serves to settle, then a quiet minute: nothing changes.
      await new Promise((resolve) => setTimeout(resolve, 5000))
      const quietMs = 60_000
      const before = {many: cpuSeconds(serve.many.pid) * 1000, one: cpuSeconds(serve.one.pid) * 1000}
      await new Promise((resolve) => setTimeout(resolve, quietMs))
      const rounds = quietMs / 2000
      const idleOf = (which: 'many' | 'one') => {
        const cpu = cpuSeconds(serve[which].pid) * 1000 - before[which]
        return {cpuMs: Math.round(cpu), cpuMsPerRound: Number((cpu / rounds).toFixed(1)), cpuPercentOfACore: Number(((cpu / quietMs) * 100).toFixed(2))}
      }
      const idle = {seconds: quietMs / 1000, many: idleOf('many'), one: idleOf('one')}
      const result = {
        stacks: STACKS,
        rounds: ROUNDS,
        pushToRunning: {many: summarize(samples.many, median(samples.one)), one: summarize(samples.one, median(samples.one))},
        idle: {...idle, ratio: Number((idle.many.cpuMs / idle.one.cpuMs).toFixed(2))},
      }
      console.table([
        {what: `push to running, ${STACKS} stacks`, medianMs: result.pushToRunning.many.medianMs, maxMs: result.pushToRunning.many.maxMs, ratio: result.pushToRunning.many.ratio},
        {what: 'push to running, 1 stack', medianMs: result.pushToRunning.one.medianMs, maxMs: result.pushToRunning.one.maxMs, ratio: 1},
      ])
      console.table([
        {what: `idle round, ${STACKS} stacks`, ...idle.many, ratio: result.idle.ratio},
        {what: 'idle round, 1 stack', ...idle.one, ratio: 1},
      ])
      console.log(writeResults('many-stacks', result))
    } finally {
      await Promise.all([serve.many.stop(), serve.one.stop()])
    }
  })
}

await main()
