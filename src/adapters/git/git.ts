import {chmodSync, rmSync} from 'node:fs'
import path from 'node:path'

import {boundedLine} from '../../model/tool-output.js'
import {formatDuration} from '../../model/config/duration.js'
import {errorMessage, ExternalError} from '../../model/errors.js'
import {runChild} from '../process/child-process.js'
import type {GitAccess, RemoteOptions} from '../../ports/git.js'
import {explainAuthFailure, SSH_STALL_OPTIONS, STALL_TIMEOUT_SECONDS} from './git-access.js'
import {discoverBranchHead} from './ref-discovery.js'
import {entriesToPlace, indexInfo, parseTreeListing} from './tree-selection.js'

/** Backstops for a git that never ends on its own: longer than the stall timeout, so that git's own error wins. */
const QUERY_TIMEOUT_MS = 30_000
const TRANSFER_TIMEOUT_MS = 300_000

/** What git may see of kedge's environment: where things are, proxies and TLS trust, nothing else. */
const INHERITED_ENV = [
  'PATH', 'HOME', 'TMPDIR', 'XDG_CONFIG_HOME', 'SSH_AUTH_SOCK', 'GIT_SSL_CAINFO', 'GIT_SSL_CAPATH',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy',
]

function gitEnvironment(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of INHERITED_ENV) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  // kedge runs unattended: a credential or host-key prompt, or a remote that stopped answering, would hang a poll forever.
  return {
    ...env,
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: ['ssh', '-o', 'BatchMode=yes', ...SSH_STALL_OPTIONS].join(' '),
    GIT_HTTP_LOW_SPEED_LIMIT: '1',
    GIT_HTTP_LOW_SPEED_TIME: String(STALL_TIMEOUT_SECONDS),
  }
}

/** Enough for ls-tree of every path a stack reads; output past it fails the command rather than being cut. */
const OUTPUT_LIMIT = 64 * 1024 * 1024

interface GitOptions {
  /** Where git runs; kedge's own working directory when not given. */
  cwd?: string
  /** Past it git is stopped (SIGTERM, then SIGKILL: see runChild). */
  timeoutMs?: number
  /** Stops git when kedge abandons the work it is part of. */
  signal?: AbortSignal
  env?: Record<string, string>
  /** Written to git's standard input. */
  input?: string | Buffer
  /** Git's file mode creation mask, when it must differ from kedge's. */
  umask?: number
}

/** Git failing: its message is git's own standard error, which gitReason and explainAuthFailure read. */
class GitCommandError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message)
    this.name = 'GitCommandError'
  }
}

/**
 * Git, run as a child of its own process group (see runChild), its output as bytes. Every git kedge
 * runs, on this machine's files or against a remote, goes through here.
 */
async function gitBytes(args: string[], options: GitOptions = {}): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? QUERY_TIMEOUT_MS
  const outcome = await runChild({
    file: 'git',
    args,
    cwd: options.cwd,
    env: {...gitEnvironment(), ...options.env},
    input: options.input,
    timeoutMs,
    signal: options.signal,
    maxStdoutBytes: OUTPUT_LIMIT,
    umask: options.umask,
  })
  if (outcome.code === 0 && outcome.stopped === null) return outcome.stdout
  switch (outcome.stopped) {
    case 'timeout':
      throw new GitCommandError(`git did not finish within ${formatDuration(timeoutMs)}`, true)
    case 'aborted':
      throw new GitCommandError('interrupted', false)
    case 'output_limit':
      throw new GitCommandError(`git printed more than ${OUTPUT_LIMIT / (1024 * 1024)} MiB`, false)
    case null:
      throw new GitCommandError(outcome.stderr.trim() || (outcome.signal ? `killed by ${outcome.signal}` : `exit code ${outcome.code}`), false)
  }
}

async function gitText(args: string[], options: GitOptions = {}): Promise<string> {
  return (await gitBytes(args, options)).toString('utf8')
}

/** Git on this machine's files only, no remote. */
async function localGit(args: string[], options: LocalGitOptions = {}): Promise<string> {
  return gitText(args, options)
}

type LocalGitOptions = Pick<GitOptions, 'signal' | 'env' | 'input' | 'umask'>

/** localGit, its output as bytes. */
async function localGitBytes(args: string[], options: LocalGitOptions = {}): Promise<Buffer> {
  return gitBytes(args, options)
}

/** Git reaching a remote, authenticated by `access`. */
async function remoteGit(args: string[], timeoutMs: number, options: {cwd?: string; signal?: AbortSignal; access?: GitAccess}): Promise<string> {
  return gitText(args, {cwd: options.cwd, timeoutMs, signal: options.signal, env: options.access?.env})
}

/** Every branch the remote has, with the commit it points at. */
export async function remoteBranches(url: string, options: RemoteOptions = {}): Promise<Map<string, string>> {
  const output = await run(`reach ${url}`, () => remoteGit(['ls-remote', '--heads', url], QUERY_TIMEOUT_MS, options), options.access, url)
  const heads = new Map<string, string>()
  for (const [, commit, branch] of output.matchAll(/^([0-9a-f]{40,64})\trefs\/heads\/(.+)$/gm)) heads.set(branch!, commit!)
  return heads
}

/**
 * The commit the remote's branch points at now, or null when it has no such branch: one cheap round
 * trip, made by kedge itself for smart HTTP(S) and local remotes (see discoverBranchHead), by `git
 * ls-remote` for the others and whenever kedge's own answer could differ from git's.
 */
export async function remoteBranchHead(url: string, branch: string, options: RemoteOptions = {}): Promise<string | null> {
  const timeoutMs = options.timeoutMs ?? QUERY_TIMEOUT_MS
  // The same patience as git's own with a remote that stopped sending.
  const discovered = await discoverBranchHead(url, branch, {timeoutMs: options.timeoutMs ?? STALL_TIMEOUT_SECONDS * 1000, signal: options.signal, access: options.access})
  if (discovered.known) return discovered.head
  const output = await run(
    `reach ${url}`,
    () => remoteGit(['ls-remote', url, `refs/heads/${branch}`], timeoutMs, options),
    options.access,
    url,
  )
  const match = /^([0-9a-f]{40,64})\trefs\/heads\/(.+)$/m.exec(output)
  return match && match[2] === branch ? match[1]! : null
}

/** A shallow, single-branch clone: kedge only ever needs the branch head's tree. */
export async function cloneBranch(url: string, branch: string, directory: string, options: RemoteOptions = {}): Promise<void> {
  await run(
    `clone ${url}`,
    () => remoteGit(['clone', '--depth=1', '--single-branch', '--no-tags', `--branch=${branch}`, '--', url, directory], TRANSFER_TIMEOUT_MS, options),
    options.access,
    url,
  )
}

/**
 * Brings the clone to the branch head, following a force-push: the refspec is forced and the work tree
 * reset to whatever the remote has now. Returns that commit.
 */
export async function fetchBranch(directory: string, url: string, branch: string, options: RemoteOptions = {}): Promise<string> {
  const tracking = `refs/remotes/origin/${branch}`
  await run(
    `fetch ${branch} from ${url}`,
    () => remoteGit(['fetch', '--depth=1', '--no-tags', '--', url, `+refs/heads/${branch}:${tracking}`], TRANSFER_TIMEOUT_MS, {...options, cwd: directory}),
    options.access,
    url,
  )
  // Not abandoned half-way: a checkout killed by the signal would leave the clone locked.
  return run(`check out ${branch}`, async () => {
    await localGit(['-C', directory, 'checkout', '--quiet', '--force', '--detach', tracking])
    // Independent of each other: which commit is checked out, and removing anything else from the work tree.
    const [head] = await Promise.all([localGit(['-C', directory, 'rev-parse', 'HEAD']), localGit(['-C', directory, 'clean', '-ffdx', '--quiet'])])
    return head.trim()
  })
}

/**
 * Makes `target` hold the commit's files, like rsync from the repository: tracked files are written,
 * files kedge placed there before and this placement lacks are deleted, and anything else in `target`
 * (data written by containers into bind-mounted directories) is left alone. `indexFile` remembers which
 * files kedge placed there. With `paths` (relative to the repository root) only the files at or under
 * them are placed, with what their symbolic links point to (see entriesToPlace); without, all of them.
 */
export async function updateTree(repository: string, commit: string, target: string, indexFile: string, signal?: AbortSignal, paths?: readonly string[]): Promise<void> {
  await run(`place ${commit.slice(0, 7)} in ${target}`, async () => {
    const tree = paths ? await partialTree(repository, commit, paths, `${indexFile}.partial`, signal) : commit
    // kedge runs under a 077 umask, but containers running as another user read these files through bind
    // mounts: git writes them (0666 or 0777, less its umask) under git's usual 022. The private home around
    // the tree keeps other local users out.
    chmodSync(target, 0o755)
    await localGit(['-C', repository, '--work-tree', target, 'read-tree', '--reset', '-u', tree], {signal, env: {GIT_INDEX_FILE: indexFile}, umask: 0o022})
  })
}

/**
 * A tree in the repository's object store holding the tree-ish's files that updateTree places for `paths`;
 * `scratchIndex` is removed after. Paths are handled as latin1 text, one character per byte, so that a
 * file name that is not UTF-8 goes back to git as it came.
 */
async function partialTree(repository: string, treeish: string, paths: readonly string[], scratchIndex: string, signal?: AbortSignal): Promise<string> {
  const listing = await localGitBytes(['-C', repository, 'ls-tree', '-r', '-z', '--full-tree', treeish], {signal})
  const bytewise = (text: string) => Buffer.from(text, 'utf8').toString('latin1')
  const chosen = await entriesToPlace(parseTreeListing(listing.toString('latin1')), paths.map(bytewise), (ids) => readBlobs(repository, ids, signal))
  const env = {GIT_INDEX_FILE: scratchIndex}
  rmSync(scratchIndex, {force: true})
  try {
    await localGit(['-C', repository, 'update-index', '-z', '--index-info'], {signal, env, input: Buffer.from(indexInfo(chosen), 'latin1')})
    return (await localGit(['-C', repository, 'write-tree'], {signal, env})).trim()
  } finally {
    rmSync(scratchIndex, {force: true})
  }
}

/** The content of each blob, by id, as latin1 text (symbolic links' targets: short). */
async function readBlobs(repository: string, ids: string[], signal?: AbortSignal): Promise<Map<string, string>> {
  const output = await localGitBytes(['-C', repository, 'cat-file', '--batch'], {signal, input: ids.map((id) => `${id}\n`).join('')})
  const blobs = new Map<string, string>()
  let offset = 0
  while (offset < output.length) {
    const headerEnd = output.indexOf(0x0a, offset)
    if (headerEnd < 0) break
    const [id, type, size] = output.subarray(offset, headerEnd).toString('utf8').split(' ')
    if (type === 'missing' || size === undefined) {
      offset = headerEnd + 1
      continue
    }
    const end = headerEnd + 1 + Number(size)
    blobs.set(id!, output.subarray(headerEnd + 1, end).toString('latin1'))
    offset = end + 1
  }
  return blobs
}

/**
 * Turns the files of `directory` into a git tree in the repository's object store and returns its id,
 * so that a kept release can be placed with updateTree even when its commit is gone.
 */
export async function importTree(repository: string, directory: string, indexFile: string): Promise<string> {
  const env = {GIT_DIR: path.join(repository, '.git'), GIT_WORK_TREE: directory, GIT_INDEX_FILE: indexFile}
  return run(`read ${directory}`, async () => {
    await localGit(['-C', directory, 'add', '--all', '--force', '.'], {env})
    return (await localGit(['-C', directory, 'write-tree'], {env})).trim()
  })
}

/** An empty repository: enough to hold imported trees; fetchBranch fills it from the remote later. */
export async function initRepository(directory: string): Promise<void> {
  await run(`create a repository in ${directory}`, () => localGit(['init', '--quiet', directory]))
}

export async function hasCommit(repository: string, commit: string): Promise<boolean> {
  try {
    await localGit(['-C', repository, 'cat-file', '-e', `${commit}^{commit}`])
    return true
  } catch {
    return false
  }
}

/**
 * One git process. The clone is shallow (kedge fetches with --depth=1), so only commits on a path from
 * `from` to `to` that the clone holds are counted (--ancestry-path); none found, or a commit missing from
 * the clone (rev-list fails), is the "unknown" this answers: no count at all rather than a wrong one.
 */
export async function commitsAhead(repository: string, from: string, to: string): Promise<number | null> {
  if (from === to) return 0
  let output: string
  try {
    output = await localGit(['-C', repository, 'rev-list', '--count', '--ancestry-path', `${from}..${to}`, '--'])
  } catch {
    return null
  }
  const count = Number(output.trim())
  return Number.isSafeInteger(count) && count > 0 ? count : null
}

/** Git's object id of each path in the commit (a blob for a file, a tree for a directory); absent paths are left out. */
export async function objectIds(repository: string, commit: string, paths: string[], signal?: AbortSignal): Promise<Map<string, string>> {
  const ids = new Map<string, string>()
  if (paths.length === 0) return ids
  // -z: paths as they are, not quoted (a name with non-ASCII characters would not match otherwise).
  const output = await run('list the commit\'s files', () => localGit(['--literal-pathspecs', '-C', repository, 'ls-tree', '-z', '--full-tree', commit, '--', ...paths], {signal}))
  for (const entry of output.split('\0')) {
    const match = /^\d+ \w+ ([0-9a-f]+)\t(.+)$/s.exec(entry)
    if (match) ids.set(match[2]!, match[1]!)
  }
  return ids
}

export async function changedFiles(repository: string, from: string, to: string, paths: readonly string[], signal?: AbortSignal): Promise<string[]> {
  // -z: paths as they are, not quoted; --no-renames: a moved file is two changed paths, each of which a stack may read.
  const output = await run('compare two commits', () => localGit(['--literal-pathspecs', '-C', repository, 'diff-tree', '-r', '-z', '--name-only', '--no-renames', '--no-commit-id', from, to, '--', ...paths], {signal}))
  return output.split('\0').filter(Boolean).sort()
}

export async function checkoutHead(directory: string): Promise<string> {
  return (await run('read the checkout', () => localGit(['-C', directory, 'rev-parse', 'HEAD']))).trim()
}

/** `access` and `url` are given for operations that reach the remote, whose refusals are told apart. */
async function run<T>(what: string, action: () => Promise<T>, access?: GitAccess, url?: string): Promise<T> {
  try {
    return await action()
  } catch (error) {
    const refusal = url === undefined ? null : explainAuthFailure(errorMessage(error), url, access)
    if (refusal) throw refusal
    throw new ExternalError(`git could not ${what}: ${gitReason(error)}`, {code: 'git_failed', cause: error})
  }
}

/** Git's own explanation is its first "fatal:" line (the later ones are generic), or else its last line. */
function gitReason(error: unknown): string {
  const lines = errorMessage(error)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
  if (lines.some((line) => /operation too slow/i.test(line))) return `timed out: the remote sent nothing for ${STALL_TIMEOUT_SECONDS} s`
  if (error instanceof GitCommandError && error.timedOut) return `timed out: ${error.message}`
  const fatal = lines.find((line) => /^(fatal|error):/i.test(line))
  return boundedLine((fatal ?? lines.at(-1) ?? 'unknown error').replace(/^(fatal|error):\s*/i, ''))
}
