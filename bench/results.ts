import {execFileSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {cpus, totalmem} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** bench/results/<name>-<time>.json, with the machine and the commit it ran on. */
export function writeResults(name: string, results: object): string {
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], {cwd: root, encoding: 'utf8'}).trim()
  } catch {
    // not a git checkout
  }
  const dir = path.join(root, 'bench', 'results')
  mkdirSync(dir, {recursive: true})
  const file = path.join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  const machine = {cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryBytes: totalmem(), node: process.version}
  writeFileSync(file, `${JSON.stringify({name, commit, machine, ...results}, null, 2)}\n`)
  console.log(`results: ${path.relative(root, file)}`)
  return file
}
