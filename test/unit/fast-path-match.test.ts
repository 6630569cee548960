import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'

import {Args, Command, Flags, Parser} from '@oclif/core'

import {BaseCommand} from '../../src/drivers/cli/base-command.js'
import History from '../../src/drivers/cli/commands/history.js'
import RepoList from '../../src/drivers/cli/commands/repo/list.js'
import Status from '../../src/drivers/cli/commands/status.js'
import {fastPathCommandOf, parsedFlagsOf, type HotCommandClass} from '../../src/drivers/cli/fast-path/derive-manifest.js'
import {matchInvocation, type HotInvocation} from '../../src/drivers/cli/fast-path/match.js'

/** A command with what the hot commands do not declare today: arguments, chars, a bounded integer with a default. */
class WithArguments extends Command {
  static override enableJsonFlag = true
  static override baseFlags = BaseCommand.baseFlags
  static override flags = {
    repo: Flags.string({char: 'r'}),
    all: Flags.boolean({char: 'a'}),
    limit: Flags.integer({char: 'l', min: 1, max: 9, default: 3}),
  }

  static override args = {
    first: Args.string({required: true, ignoreStdin: true}),
    second: Args.string({ignoreStdin: true, default: 'two'}),
  }

  async run(): Promise<void> {}
}

/** An argument oclif would read from standard input when it is missing. */
class ReadsStdin extends Command {
  static override args = {name: Args.string()}
  async run(): Promise<void> {}
}

const COMMANDS: Array<[string, HotCommandClass]> = [
  ['repo:list', RepoList],
  ['status', Status],
  ['history', History],
  ['with-arguments', WithArguments],
  ['reads-stdin', ReadsStdin],
]

/** What oclif's own parser makes of the arguments, as Command.parse and jsonEnabled() do; or "refused". */
async function oclifReads(command: HotCommandClass, rest: readonly string[]): Promise<Omit<HotInvocation, 'id'> | 'refused'> {
  try {
    const flags = parsedFlagsOf(command, Flags.boolean({description: 'Format output as json.', helpGroup: 'GLOBAL'}))
    const output = await Parser.parse([...rest], {flags, args: command.args ?? {}, strict: command.strict, context: {} as Command})
    const passThrough = rest.indexOf('--')
    const jsonAt = rest.indexOf('--json')
    const json = command.enableJsonFlag === true && jsonAt !== -1 && (passThrough === -1 || jsonAt < passThrough)
    return {flags: output.flags, args: output.args as Record<string, string>, json}
  } catch {
    return 'refused'
  }
}

async function assertSameAsOclif(id: string, command: HotCommandClass, rest: readonly string[]): Promise<boolean> {
  const entry = fastPathCommandOf(id, command, Object.keys(parsedFlagsOf(command, Flags.boolean())), [])
  const fast = matchInvocation({id: id as HotInvocation['id'], command: entry, rest})
  if (!fast) return false
  const {id: _id, ...read} = fast
  assert.deepEqual(read, await oclifReads(command, rest), `${id} ${JSON.stringify(rest)}`)
  return true
}

/** A small deterministic generator (mulberry32), so that a failure can be run again. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const TOKENS = ['--json', '--json=1', '--repo', '--repo=web', 'web', '--limit', '5', '0', '-1', '10', '--limit=7', '--', '-', '-r', '-a', '-l', '-ra', '-r=web', '-rweb', '--home', '/h', '--home=', '--debug', '--nope', '-h', '--help', 'a=b', '', '--no-json', '--all', '--all=false', '--first', 'x y']

describe('the fast path reads arguments as oclif does', () => {
  const homeBefore = process.env.KEDGE_HOME
  after(() => {
    if (homeBefore === undefined) delete process.env.KEDGE_HOME
    else process.env.KEDGE_HOME = homeBefore
  })

  it('reads what it takes as oclif\'s parser does', async () => {
    delete process.env.KEDGE_HOME
    const taken: Array<[string, string[]]> = [
      ['repo:list', []],
      ['repo:list', ['--json']],
      ['repo:list', ['--']],
      ['status', ['--repo', 'web', '--json', '--']],
      ['status', ['--home=/srv/kedge']],
      ['history', ['--repo=web', '--limit=5']],
      ['history', ['--limit', '100000', '--repo', 'a=b']],
      ['with-arguments', ['one']],
      ['with-arguments', ['one', 'two', '-r', 'web', '-a', '-l', '9']],
      ['with-arguments', ['--', '--json', '-']],
      ['with-arguments', ['-', '--json']],
      ['status', ['web']],
      ['history', ['web', '--limit', '3']],
      ['history', []],
    ]
    for (const [id, rest] of taken) {
      const command = COMMANDS.find(([name]) => name === id)![1]
      assert.ok(await assertSameAsOclif(id, command, rest), `${id} ${JSON.stringify(rest)} goes the fast path`)
    }
  })

  it('leaves to oclif what it would read otherwise or refuse', async () => {
    delete process.env.KEDGE_HOME
    const left: Array<[string, string[]]> = [
      ['status', ['web', 'extra']],
      ['status', ['-h']],
      ['history', ['--repo', 'web', '--limit', '0']],
      ['history', ['--repo', '--json']],
      ['repo:list', ['--json', '--json']],
      ['with-arguments', []],
      ['with-arguments', ['one', 'two', 'three']],
      ['with-arguments', ['one', '-ra']],
      ['reads-stdin', []],
    ]
    for (const [id, rest] of left) {
      const command = COMMANDS.find(([name]) => name === id)![1]
      assert.equal(await assertSameAsOclif(id, command, rest), false, `${id} ${JSON.stringify(rest)} is left to oclif`)
    }
  })

  it('gives oclif\'s reading for every argument list it takes, of thousands generated', async () => {
    const next = random(17)
    let takenCount = 0
    let total = 0
    for (let round = 0; round < 4000; round++) {
      if (next() < 0.5) process.env.KEDGE_HOME = '/from/env'
      else delete process.env.KEDGE_HOME
      const rest = Array.from({length: Math.floor(next() * 6)}, () => TOKENS[Math.floor(next() * TOKENS.length)]!)
      for (const [id, command] of COMMANDS) {
        total++
        if (await assertSameAsOclif(id, command, rest)) takenCount++
      }
    }
    // The comparison means something only if the fast path takes a fair share of them.
    assert.ok(takenCount > total / 20, `the fast path took ${takenCount} of ${total}`)
  })
})
