import {execFile} from 'node:child_process'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {after} from 'node:test'
import {promisify} from 'node:util'

const execFileAsync = promisify(execFile)

/** Every file under `dir` (the database, its WAL, clones, generated files) whose bytes contain a needle. */
export function filesContaining(dir: string, needles: string[]): string[] {
  const found: string[] = []
  const visit = (current: string) => {
    for (const entry of readdirSync(current)) {
      const file = path.join(current, entry)
      const stats = statSync(file, {throwIfNoEntry: false})
      if (!stats) continue
      if (stats.isDirectory()) visit(file)
      else if (stats.isFile()) {
        const bytes = readFileSync(file)
        for (const needle of needles) if (bytes.includes(needle)) found.push(`${path.relative(dir, file)} holds "${needle.slice(0, 12)}..."`)
      }
    }
  }
  visit(dir)
  return found
}

/**
 * Samples the command lines of every process (`ps`) until stopped, for a test to check that no secret
 * ever appeared in one: arguments are visible to every user of the host.
 */
export class ProcessListSampler {
  private readonly samples: string[] = []
  private running = true
  private readonly loop: Promise<void>

  constructor() {
    this.loop = (async () => {
      while (this.running) {
        const {stdout} = await execFileAsync('ps', ['-eww', '-o', 'args'], {maxBuffer: 16 * 1024 * 1024})
        this.samples.push(stdout)
      }
    })()
    // A test that fails before stop() must not leave the loop keeping the process alive.
    after(() => {
      this.running = false
    })
  }

  /** Stops sampling; returns how many samples were taken and the lines that held a needle. */
  async stop(needles: string[]): Promise<{samples: number; matches: string[]}> {
    this.running = false
    await this.loop
    const matches = this.samples.flatMap((sample) => sample.split('\n').filter((line) => needles.some((needle) => line.includes(needle))))
    return {samples: this.samples.length, matches}
  }
}
