import {execFileSync} from 'node:child_process'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {tempDir} from './temp.js'

const IDENTITY = ['-c', 'user.name=kedge-test', '-c', 'user.email=test@kedge.invalid', '-c', 'commit.gpgsign=false']

/** Files to write, by path relative to the repository root (bytes may be anything, invalid UTF-8 too); null deletes the file. */
export type FileChanges = Record<string, string | Buffer | null>

/** A real bare repository in a temp directory, and a working clone to commit and push from. */
export class GitRemote {
  readonly bareDir: string
  readonly workDir: string

  private constructor(
    root: string,
    readonly branch: string,
  ) {
    this.bareDir = path.join(root, 'remote.git')
    this.workDir = path.join(root, 'work')
  }

  static create(initialFiles: FileChanges, options: {branch?: string; name?: string} = {}): GitRemote {
    const root = tempDir('kedge-remote-')
    const remote = new GitRemote(path.join(root, options.name ?? ''), options.branch ?? 'main')
    mkdirSync(remote.bareDir, {recursive: true})
    git(remote.bareDir, 'init', '--quiet', '--bare', `--initial-branch=${remote.branch}`)
    git(path.dirname(remote.workDir), 'clone', '--quiet', remote.bareDir, remote.workDir)
    git(remote.workDir, 'checkout', '--quiet', '-B', remote.branch)
    remote.commit(initialFiles, 'initial commit')
    return remote
  }

  get fileUrl(): string {
    return pathToFileURL(this.bareDir).href
  }

  /** Writes the files, commits and pushes; returns the new commit's full sha. */
  commit(files: FileChanges, message = 'change'): string {
    this.writeAndCommit(files, message)
    git(this.workDir, 'push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${this.branch}`)
    return this.head()
  }

  /**
   * Commits the files on `branch`, started afresh from the watched branch's head, and pushes it; the working
   * clone goes back to the watched branch. Many branches of one remote take far fewer git runs than many remotes.
   */
  commitOnBranch(branch: string, files: FileChanges, message = 'change'): string {
    git(this.workDir, 'checkout', '--quiet', '-B', branch, this.branch)
    try {
      this.writeAndCommit(files, message)
      git(this.workDir, 'push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${branch}`)
      return this.head()
    } finally {
      git(this.workDir, 'checkout', '--quiet', this.branch)
    }
  }

  /** Replaces the branch's last commit with another one and force-pushes: the old commit leaves the remote. */
  rewriteHistory(files: FileChanges, message: string): string {
    git(this.workDir, 'reset', '--quiet', '--hard', 'HEAD~1')
    return this.commit(files, message)
  }

  createBranch(branch: string): void {
    git(this.workDir, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`)
  }

  head(): string {
    return git(this.workDir, 'rev-parse', 'HEAD').trim()
  }

  private writeAndCommit(files: FileChanges, message: string): void {
    for (const [file, content] of Object.entries(files)) {
      const target = path.join(this.workDir, file)
      if (content === null) {
        rmSync(target, {force: true})
      } else {
        mkdirSync(path.dirname(target), {recursive: true})
        writeFileSync(target, content)
      }
    }
    git(this.workDir, 'add', '--all')
    git(this.workDir, ...IDENTITY, 'commit', '--quiet', '--allow-empty', '-m', message)
  }
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
}

/** One service on a local test image, whose default command stops at once on SIGTERM. */
export const SIMPLE_COMPOSE = `services:
  web:
    image: kedge-test/busybox:1
`
