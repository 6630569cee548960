#!/usr/bin/env node
import {runFastPath} from '../dist/fast-path/index.js'

// repo list, status and history skip oclif's start-up when their arguments are plain: see docs/performance.md.
if (!(await runFastPath(process.argv.slice(2)))) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
