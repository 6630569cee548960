import path from 'node:path'

import {simpleGit, type SimpleGit} from 'simple-git'

import {errorMessage, ExternalError} from '../errors.js'
import {explainAuthFailure, SSH_STALL_OPTIONS, STALL_TIMEOUT_SECONDS, type GitAccess} from './git-access.js'
import {discoverBranchHead} from './ref-discovery.js'

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

/** For operations that talk to the remote: `signal` kills git when kedge abandons the work, `access` authenticates. */
export interface RemoteOptions {
  signal?: AbortSignal
  access?: GitAccess
  /** How long remoteBranchHead may take to ask the remote; git's query timeout when not given. */
  timeoutMs?: number
}

/** `signal` kills git when kedge abandons the work it is part of. */
function git(baseDir?: string, timeoutMs = QUERY_TIMEOUT_MS, signal?: AbortSignal, access?: GitAccess): SimpleGit {
  return simpleGit({baseDir, timeout: {block: timeoutMs}, abort: signal, unsafe: {allowUnsafeSshCommand: true, allowUnsafeConfigEnvCount: true, allowUnsafeCredentialHelper: true}}).env({
    ...gitEnvironment(),
    ...access?.env,
  })
}

/** Every branch the remote has, with the commit it points at. */
export async function remoteBranches(url: string, options: RemoteOptions = {}): Promise<Map<string, string>> {
  const output = await run(`reach ${url}`, () => git(undefined, QUERY_TIMEOUT_MS, options.signal, options.access).listRemote(['--heads', url]), options.access, url)
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
    () => git(undefined, timeoutMs, options.signal, options.access).listRemote([url, `refs/heads/${branch}`]),
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
    () =>
      git(undefined, TRANSFER_TIMEOUT_MS, options.signal, options.access).clone(url, directory, [
        '--depth=1', '--single-branch', '--no-tags', `--branch=${branch}`,
      ]),
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
    () => git(directory, TRANSFER_TIMEOUT_MS, options.signal, options.access).fetch(['--depth=1', '--no-tags', '--', url, `+refs/heads/${branch}:${tracking}`]),
    options.access,
    url,
  )
  const commit = (await run('read the fetched branch', () => git(directory).revparse([tracking]))).trim()
  await checkoutCommit(directory, commit)
  return commit
}

export async function checkoutCommit(directory: string, commit: string): Promise<void> {
  await run(`check out ${commit.slice(0, 7)}`, async () => {
    await git(directory).raw(['checkout', '--quiet', '--force', '--detach', commit])
    await git(directory).raw(['clean', '-ffdx', '--quiet'])
  })
}

/**
 * Makes `target` hold the commit's files, like rsync from the repository: tracked files are written,
 * files the previous commit had and this one lacks are deleted, and anything else in `target` (data
 * written by containers into bind-mounted directories) is left alone. `indexFile` remembers which
 * files kedge placed there.
 */
export async function updateTree(repository: string, commit: string, target: string, indexFile: string, signal?: AbortSignal): Promise<void> {
  await run(`place ${commit.slice(0, 7)} in ${target}`, () =>
    git(repository, QUERY_TIMEOUT_MS, signal)
      .env({...gitEnvironment(), GIT_INDEX_FILE: indexFile})
      .raw(['--work-tree', target, 'read-tree', '--reset', '-u', commit]),
  )
}

/**
 * Turns the files of `directory` into a git tree in the repository's object store and returns its id,
 * so that a kept release can be placed with updateTree even when its commit is gone.
 */
export async function importTree(repository: string, directory: string, indexFile: string): Promise<string> {
  const env = {...gitEnvironment(), GIT_DIR: path.join(repository, '.git'), GIT_WORK_TREE: directory, GIT_INDEX_FILE: indexFile}
  return run(`read ${directory}`, async () => {
    await git(directory).env(env).raw(['add', '--all', '--force', '.'])
    return (await git(directory).env(env).raw(['write-tree'])).trim()
  })
}

/** An empty repository: enough to hold imported trees; fetchBranch fills it from the remote later. */
export async function initRepository(directory: string): Promise<void> {
  await run(`create a repository in ${directory}`, () => git().raw(['init', '--quiet', directory]))
}

export async function hasCommit(repository: string, commit: string): Promise<boolean> {
  try {
    await git(repository).raw(['cat-file', '-e', `${commit}^{commit}`])
    return true
  } catch {
    return false
  }
}

/** Git's object id of each path in the commit (a blob for a file, a tree for a directory); absent paths are left out. */
export async function objectIds(repository: string, commit: string, paths: string[], signal?: AbortSignal): Promise<Map<string, string>> {
  const ids = new Map<string, string>()
  if (paths.length === 0) return ids
  // -z: paths as they are, not quoted (a name with non-ASCII characters would not match otherwise).
  const output = await run('list the commit\'s files', () => git(repository, QUERY_TIMEOUT_MS, signal).raw(['ls-tree', '-z', '--full-tree', commit, '--', ...paths]))
  for (const entry of output.split('\0')) {
    const match = /^\d+ \w+ ([0-9a-f]+)\t(.+)$/s.exec(entry)
    if (match) ids.set(match[2]!, match[1]!)
  }
  return ids
}

export async function checkoutHead(directory: string): Promise<string> {
  return (await run('read the checkout', () => git(directory).revparse(['HEAD']))).trim()
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
  if (lines.some((line) => /block timeout reached/i.test(line))) return 'timed out: git did not finish in time'
  const fatal = lines.find((line) => /^(fatal|error):/i.test(line))
  return (fatal ?? lines.at(-1) ?? 'unknown error').replace(/^(fatal|error):\s*/i, '')
}
