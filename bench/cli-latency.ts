/**
 * CLI latency: wall time of `kedge repo list`, `kedge status` and `kedge history` in a home with 50
 * repositories and 10,000 history rows, against a bare `node -e ''` measured in the same run, as a
 * ratio. Prints a table and writes bench/results/cli-latency-*.json. Needs a build (npm run build).
 * Usage: node --import tsx bench/cli-latency.ts [--runs N]
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {closeDatabase, openDatabase} from '../src/store/database.js'
import {deployments, repositories, stacks} from '../src/store/schema.js'
import {median, writeResults} from './results.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 15
const REPOSITORIES = 50
const HISTORY_ROWS = 10_000

const work = mkdtempSync(path.join(tmpdir(), 'kedge-bench-cli-'))
const home = path.join(work, 'home')

/** Rows written straight into the store: what is measured is reading them, not making them. */
function fillHome(): void {
  const db = openDatabase(path.join(home, 'kedge.db'))
  try {
    db.$client.transaction(() => {
      for (let i = 0; i < REPOSITORIES; i++) {
        const row = db.insert(repositories).values({name: `repo-${i}`, url: `/srv/git/repo-${i}.git`, branch: 'main', path: '.', createdAt: new Date()}).returning().get()
        const stack = db.insert(stacks).values({repositoryId: row.id, name: row.name, path: row.path, createdAt: row.createdAt}).returning().get()
        const rows = i === 0 ? HISTORY_ROWS - (REPOSITORIES - 1) : 1
        for (let n = 0; n < rows; n++) {
          const at = new Date(Date.now() - (rows - n) * 60_000)
          db.insert(deployments).values({repositoryId: row.id, stackId: stack.id, commit: n.toString(16).padStart(40, '0'), trigger: 'git', status: 'success', startedAt: at, finishedAt: at}).run()
        }
      }
    })()
  } finally {
    closeDatabase(db)
  }
}

function time(args: string[]): number {
  const started = process.hrtime.bigint()
  const result = spawnSync(process.execPath, args, {env: {...process.env, KEDGE_HOME: home}, stdio: ['ignore', 'ignore', 'pipe']})
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr.toString()}`)
  return ms
}

function main(): void {
  fillHome()
  const bin = path.join(root, 'bin/run.cjs')
  const cases: Record<string, string[]> = {
    "node -e ''": ['-e', ''],
    'kedge repo list': [bin, 'repo', 'list'],
    'kedge status': [bin, 'status', '--repo', 'repo-1'],
    'kedge history': [bin, 'history', '--repo', 'repo-0'],
  }
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
  // Interleaved, so that whatever else the machine does falls on every case alike.
  for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(cases)) samples[name]!.push(time(args))
  const baseline = median(samples["node -e ''"]!)
  const rows = Object.entries(samples).map(([name, values]) => ({case: name, medianMs: Math.round(median(values)), ratio: Number((median(values) / baseline).toFixed(2))}))
  console.table(rows)
  writeResults('cli-latency', {runs, repositories: REPOSITORIES, historyRows: HISTORY_ROWS, targetRatio: 1.5, rows})
}

try {
  main()
} finally {
  rmSync(work, {recursive: true, force: true})
}
