/**
 * Idle cost and scale: `kedge serve` with 1, 10, 50 and 200 registered repositories (local bare remotes,
 * tiny stacks in manual mode, so nothing is deployed) polling every 10 s. Once every repository has
 * been reconciled (/ready), it measures the serve process over a stretch of no changes: resident
 * memory, CPU (its own and that of the git processes it waited for), and how long a poll takes.
 * Compose runs only before the measured stretch (serve plans each repository's first commit with
 * `compose config`), so one Compose is enough: v2 unless `--compose v1|both` says otherwise, named to
 * kedge by KEDGE_COMPOSE. Prints a table and writes bench/results/idle-cost-*.json.
 * With `--dashboard`, the dashboard is open during the measured stretch: its page and files are read
 * once, and its event stream is held open (so serve watches kedge.db's commits), as a browser tab does.
 * Usage: node --import tsx bench/idle-cost.ts [--sizes 1,10,50,200] [--seconds 60] [--compose v2|v1|both] [--dashboard]
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {BenchRemote, BenchServe, composesUnderTest, KEDGE_BIN, kedgeEnvironment, option, run, until, type BenchCompose} from './fixtures.js'
import {watchProcess} from './process-use.js'
import {writeResults} from './results.js'

const sizes = (option('--sizes') ?? '1,10,50,200').split(',').map(Number)
const seconds = Number(option('--seconds') ?? 60)
const dashboard = process.argv.includes('--dashboard')

/** What a browser tab of the dashboard holds: the page read once, then the event stream open until `signal` aborts. */
async function openDashboard(base: string, home: string, signal: AbortSignal): Promise<void> {
  const token = readFileSync(path.join(home, 'admin.token'), 'utf8').trim()
  const headers = {authorization: `Bearer ${token}`}
  const page = await (await get(`${base}/`)).text()
  for (const [, asset] of page.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) await (await get(`${base}${asset}`)).arrayBuffer()
  await (await fetch(`${base}/api/v1/stacks`, {headers})).arrayBuffer()
  const stream = await fetch(`${base}/api/v1/events`, {headers, signal})
  if (stream.status !== 200) throw new Error(`the event stream answered ${stream.status}`)
  void stream.body?.pipeTo(new WritableStream()).catch(() => undefined)
}

/** A GET that survives a connection the busy server dropped: retried until it answers. */
async function get(url: string): Promise<Response> {
  return until(() => fetch(url).catch(() => undefined), 120_000, 250)
}

async function pollSeconds(base: string): Promise<{count: number; sum: number}> {
  const text = await (await get(`${base}/metrics`)).text()
  let count = 0
  let sum = 0
  for (const line of text.split('\n')) {
    const match = /^kedge_git_poll_duration_seconds_(sum|count)\{[^}]*success="true"[^}]*\} (\S+)$/.exec(line)
    if (match?.[1] === 'sum') sum += Number(match[2])
    if (match?.[1] === 'count') count += Number(match[2])
  }
  return {count, sum}
}

async function measure(compose: BenchCompose, size: number): Promise<Record<string, number | string>> {
  const work = mkdtempSync(path.join(tmpdir(), `kedge-bench-idle-${size}-`))
  const env = kedgeEnvironment(path.join(work, 'home'), compose)
  try {
    for (let i = 0; i < size; i++) {
      const remote = new BenchRemote(path.join(work, `r${i}`), {
        'docker-compose.yaml': 'services:\n  web:\n    image: kedge-test/busybox:1\n',
        'kedge.yaml': 'reconciliation:\n  mode: manual\n  interval: 10s\n',
      })
      run(process.execPath, [KEDGE_BIN, 'repo', 'add', remote.bare, '--name', `idle-${i}`], {env})
    }
    const serve = new BenchServe(env)
    try {
      const base = await serve.address()
      await until(async () => (await get(`${base}/ready`)).status === 200, 900_000, 500)
      // One full interval for every loop to settle into its rhythm before measuring.
      await sleep(10_000)
      const tab = new AbortController()
      if (dashboard) await openDashboard(base, path.join(work, 'home'), tab.signal)
      const pollsBefore = await pollSeconds(base)
      const use = await watchProcess(serve.pid, seconds).finally(() => tab.abort())
      const cpu = use.cpuSeconds
      const polls = await pollSeconds(base)
      const pollCount = polls.count - pollsBefore.count
      return {
        compose: compose.name,
        repositories: size,
        dashboard: dashboard ? 'open' : 'closed',
        rssMedianMb: use.rssMedianMb,
        rssMaxMb: use.rssMaxMb,
        cpuPercentOfOneCore: use.cpuPercentOfOneCore,
        cpuMsPerPoll: pollCount > 0 ? Number(((cpu * 1000) / pollCount).toFixed(1)) : 0,
        polls: pollCount,
        pollMsMean: pollCount > 0 ? Number((((polls.sum - pollsBefore.sum) / pollCount) * 1000).toFixed(1)) : 0,
      }
    } finally {
      await serve.stop()
    }
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}

const composes = composesUnderTest('v2')
const rows = []
for (const compose of composes) {
  for (const size of sizes) {
    rows.push(await measure(compose, size))
    console.log(`measured ${size} repositories (${compose.command} ${compose.version})`)
  }
}
console.log(`serve idle, every repository polling every 10 s, measured over ${seconds} s`)
console.table(rows)
writeResults('idle-cost', {seconds, intervalSeconds: 10, dashboard, composes, rows})
