import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {tempDir} from './temp.js'

/**
 * A `git` placed first on PATH that appends its arguments to a log, then runs the real git with them:
 * every git process kedge starts is counted, and still does its work.
 */
export class GitSpawnLog {
  readonly binDir: string
  private readonly logFile: string

  constructor() {
    this.binDir = tempDir('kedge-git-log-')
    this.logFile = path.join(this.binDir, 'calls.log')
    writeFileSync(this.logFile, '')
    const realGit = execFileSync('sh', ['-c', 'command -v git'], {encoding: 'utf8'}).trim()
    writeFileSync(path.join(this.binDir, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${this.logFile}'\nexec '${realGit}' "$@"\n`, {mode: 0o755})
  }

  /** A PATH that finds this git first. */
  get path(): string {
    return `${this.binDir}${path.delimiter}${process.env.PATH ?? ''}`
  }

  /** The argument lines of every git run so far. */
  calls(): string[] {
    return readFileSync(this.logFile, 'utf8').split('\n').filter(Boolean)
  }

  /** The runs of one git command (`ls-remote`, `fetch`, ...), by its first argument. */
  runsOf(command: string): string[] {
    return this.calls().filter((line) => line.split(' ')[0] === command)
  }
}
