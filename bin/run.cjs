#!/usr/bin/env node
// The home holds credentials and private clones: what kedge writes is its user's alone (see src/store/private-home.ts).
process.umask(0o077)

// no-color.org: NO_COLOR set and not empty turns colour off, and --no-color does for one command. Both
// colour libraries (chalk for kedge's output, ansis for oclif's help) read FORCE_COLOR=0 as no colour;
// without either, colour follows whether the stream is a terminal. --no-color is taken here, wherever it
// stands before "--" (`kedge --no-color status`, or on a plugin's command), and not passed on.
const given = process.argv.slice(2)
const end = given.includes('--') ? given.indexOf('--') : given.length
const noColor = given.slice(0, end).includes('--no-color')
const args = noColor ? [...given.slice(0, end).filter((arg) => arg !== '--no-color'), ...given.slice(end)] : given
if (process.env.NO_COLOR || noColor) process.env.FORCE_COLOR = '0'

// CommonJS, as the fast path's bundle is: a process that loads no ES module does not start Node's ES module loader.
const {runFastPath} = require('../dist/fast-path/index.cjs')

// repo list, status and history skip oclif's start-up when the fast path reads their arguments exactly as
// oclif would; anything else it hands to oclif unchanged: see docs/performance.md.
runFastPath(args).then(async (ran) => {
  if (ran) return
  const {execute} = await import('@oclif/core')
  await execute({dir: __dirname, args})
})
