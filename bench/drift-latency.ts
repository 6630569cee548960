/**
 * Event-to-healed latency: how long after a container of a kedge stack is stopped or removed it runs
 * again under `kedge serve` (auto mode). Prints a table and writes bench/results/drift-latency-*.json.
 * Needs the test bed (scripts/test-env.sh) and a build (npm run build). Usage: npm run bench [-- --rounds N]
 */
import {execFileSync, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, tmpdir} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 20
const run = (file: string, args: string[], cwd?: string) => execFileSync(file, args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
const docker = (...args: string[]) => run('docker', args)

const work = mkdtempSync(path.join(tmpdir(), 'kedge-bench-'))
const project = `kbench-${process.pid}`
const home = path.join(work, 'home')
const env = {...process.env, KEDGE_HOME: home}

function setUpRepository(): string {
  const bare = path.join(work, 'remote.git')
  const clone = path.join(work, 'clone')
  run('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare])
  run('git', ['clone', '--quiet', bare, clone])
  writeFileSync(path.join(clone, 'docker-compose.yaml'), 'services:\n  web:\n    image: kedge-test/busybox:1\n')
  // The flap guard would stop healing after 5 heals in 5 minutes; here every heal is wanted.
  writeFileSync(path.join(clone, 'kedge.yaml'), 'reconciliation:\n  max_heals: 100000\n')
  run('git', ['add', '--all'], clone)
  run('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@kedge.invalid', 'commit', '--quiet', '-m', 'bench'], clone)
  run('git', ['push', '--quiet', 'origin', 'HEAD:main'], clone)
  return bare
}

function webContainer(): {id: string; state: string} | undefined {
  const line = docker('ps', '--all', '--no-trunc', '--filter', `label=io.kedge.project=${project}`, '--format', '{{.ID}} {{.State}}').trim().split('\n')[0]
  if (!line) return undefined
  const [id, state] = line.split(' ')
  return {id: id!, state: state!}
}

async function until<T>(probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error('timed out')
    await sleep(10)
  }
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b)
  return {median: sorted[Math.floor(sorted.length / 2)]!, worst: sorted.at(-1)!, best: sorted[0]!}
}

async function main(): Promise<void> {
  const bare = setUpRepository()
  execFileSync(process.execPath, [path.join(root, 'bin/run.js'), 'repo', 'add', bare, '--name', project], {env, stdio: 'ignore'})
  const serve = spawn(process.execPath, [path.join(root, 'bin/run.js'), 'serve', '--interval', '1h', '--log-format', 'json', '--listen', '127.0.0.1:0'], {env, stdio: 'ignore'})
  try {
    await until(() => webContainer()?.state === 'running')
    const results: Record<string, number[]> = {stop: [], remove: []}
    for (let round = 0; round < rounds; round++) {
      for (const action of ['stop', 'remove'] as const) {
        const before = (await until(() => {
          const container = webContainer()
          return container?.state === 'running' ? container : undefined
        }))!
        await sleep(300)
        if (action === 'stop') docker('stop', '--time', '0', before.id)
        else docker('rm', '--force', before.id)
        const acted = performance.now()
        await until(() => {
          const container = webContainer()
          const healed = container?.state === 'running' && (action === 'stop' || container.id !== before.id)
          return healed ? container : undefined
        })
        results[action]!.push(Math.round(performance.now() - acted))
      }
    }
    const commit = run('git', ['rev-parse', 'HEAD'], root).trim()
    const table = Object.entries(results).map(([action, samples]) => ({action, rounds: samples.length, ...summary(samples)}))
    console.log(`drift reaction: event to running again (ms), ${rounds} rounds each, ${cpus().length} cores, commit ${commit.slice(0, 7)}`)
    console.table(table)
    const resultsDir = path.join(root, 'bench', 'results')
    mkdirSync(resultsDir, {recursive: true})
    const file = path.join(resultsDir, `drift-latency-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
    writeFileSync(file, JSON.stringify({benchmark: 'drift-latency', commit, cores: cpus().length, at: new Date().toISOString(), results: table, samples: results}, null, 2))
    console.log(`written to ${path.relative(root, file)}`)
  } finally {
    serve.kill('SIGTERM')
    await new Promise((resolve) => serve.on('exit', resolve))
    const ids = docker('ps', '--all', '--quiet', '--filter', `label=com.docker.compose.project=${project}`).split('\n').filter(Boolean)
    if (ids.length > 0) docker('rm', '--force', ...ids)
    for (const network of docker('network', 'ls', '--quiet', '--filter', `label=com.docker.compose.project=${project}`).split('\n').filter(Boolean)) docker('network', 'rm', network)
    rmSync(work, {recursive: true, force: true})
  }
}

await main()
