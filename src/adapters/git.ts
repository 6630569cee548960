import {simpleGit, type SimpleGit} from 'simple-git'

import {errorMessage, ExternalError} from '../errors.js'

const QUERY_TIMEOUT_MS = 30_000
const TRANSFER_TIMEOUT_MS = 300_000

/** Git never prompts: kedge runs unattended, and a prompt would hang a poll forever. */
function git(baseDir?: string, timeoutMs = QUERY_TIMEOUT_MS): SimpleGit {
  return simpleGit({baseDir, timeout: {block: timeoutMs}, unsafe: {allowUnsafeSshCommand: true}}).env({
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
    LC_ALL: 'C',
  })
}

/** Every branch the remote has, with the commit it points at. */
export async function remoteBranches(url: string): Promise<Map<string, string>> {
  const output = await run(`reach ${url}`, () => git().listRemote(['--heads', url]))
  const heads = new Map<string, string>()
  for (const [, commit, branch] of output.matchAll(/^([0-9a-f]{40,64})\trefs\/heads\/(.+)$/gm)) heads.set(branch!, commit!)
  return heads
}

/** A shallow, single-branch clone: kedge only ever needs the branch head's tree. */
export async function cloneBranch(url: string, branch: string, directory: string): Promise<void> {
  await run(`clone ${url}`, () =>
    git(undefined, TRANSFER_TIMEOUT_MS).clone(url, directory, ['--depth=1', '--single-branch', '--no-tags', `--branch=${branch}`]),
  )
}

export async function checkoutHead(directory: string): Promise<string> {
  return (await run('read the checkout', () => git(directory).revparse(['HEAD']))).trim()
}

async function run<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action()
  } catch (error) {
    throw new ExternalError(`git could not ${what}: ${gitReason(error)}`, {code: 'git_failed', cause: error})
  }
}

/** Git's own explanation is its first "fatal:" line (the later ones are generic), or else its last line. */
function gitReason(error: unknown): string {
  const lines = errorMessage(error)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
  const fatal = lines.find((line) => /^(fatal|error):/i.test(line))
  return (fatal ?? lines.at(-1) ?? 'unknown error').replace(/^(fatal|error):\s*/i, '')
}
