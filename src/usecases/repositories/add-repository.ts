import {randomBytes} from 'node:crypto'
import {mkdirSync, renameSync, rmSync} from 'node:fs'
import path from 'node:path'


import type {GitAccess} from '../../ports/git.js'
import {formatDuration} from '../../model/config/duration.js'
import type {ReconciliationMode} from '../../model/config/reconciliation-mode.js'
import {isInGitDirectory} from '../../model/config/repository-limits.js'
import {ConflictError, errorMessage, ExternalError, InvalidInputError, isKedgeError, quoted, type KedgeError} from '../../model/errors.js'
import type {NewRepositoryRow, RepositoryRow} from '../../model/rows.js'
import {unknownBranch, validateBranchName} from '../../model/repository/branch-name.js'
import {resolveProjectName, type ProjectName} from '../deploying/desired-stack.js'
import {registerChosenEngine, resolveEngineChoice, type EngineChoice} from '../engines/engine-choice.js'
import type {KedgeContext} from '../context.js'
import {normalizeRepoName, parseRemoteUrl} from '../../model/repository/repo-url.js'
import {prepareAuth, type AuthRequest} from './repository-auth.js'
import {parseInterval} from '../../model/repository/repository-interval.js'
import {webhookSecretColumns, type WebhookSecretRequest} from './webhook-receiver.js'
import {toRepositoryView, type RepositoryView} from '../../model/repository/repository-view.js'
import {normalizeStackPath} from '../../model/stack/stack-path.js'
import {resolveStackLayout} from '../../model/stack/stack-layout.js'
import {commitStatusSetting} from '../../model/notify/commit-status.js'
import {apiWithoutForge, requireTokenAuth} from './update-repository.js'
import {withStackOverrides} from '../../model/config/stack-config.js'

export interface AddRepositoryRequest {
  url: string
  name?: string
  branch?: string
  path?: string
  interval?: string
  auth?: AuthRequest
  webhookSecret?: WebhookSecretRequest
  /** Let the repository's hooks run on the host (kedge.yaml `hooks:`). */
  allowHooks?: boolean
  /** Post commit statuses to this forge (a name, or `auto`). */
  commitStatus?: string
  commitStatusApi?: string
  /** Register a network remote that does not answer now (a host down for maintenance), to be retried by serve. */
  allowUnreachable?: boolean
  /** The engine its stacks run on (by name, address or context); the local engine when absent. */
  engine?: EngineChoice
}

export interface AddRepositoryResult {
  repository: RepositoryView
  /** What the clone showed, or null when the remote could not be reached now. */
  checkout: {
    commit: string
    configFile: string | null
    projectName: string
    /** Where the project name came from: kedge.yaml, a compose file's top-level `name:`, or the repository's name. */
    projectNameSource: ProjectName['source']
    projectNameFile: string | null
    composeFiles: string[]
    mode: ReconciliationMode
    interval: string | null
    /** Set when the repository holds several stacks (`stacks:` in kedge.yaml, or apps/*\/): each, in deploy order; the fields above are then the repository's kedge.yaml's. */
    stacks?: Array<{name: string; path: string; project: string; composeFiles: string[]}>
  } | null
  warnings: string[]
}


/**
 * Registers a repository. When its remote answers, the branch must exist and the checkout must hold a
 * valid kedge.yaml and a compose file: a repository kedge could not deploy is refused before anything is
 * written. A network remote that does not answer is refused, unless allowUnreachable: then it is
 * registered with a warning and retried by the deploy loop.
 */
export async function addRepository(context: KedgeContext, request: AddRepositoryRequest): Promise<AddRepositoryResult> {
  const {remote, name, branch, stackPath, intervalMs, statusColumns} = checkAddRequest(request)
  ensureNameIsFree(context, name)
  const engineChoice = request.engine ? resolveEngineChoice(context, request.engine) : {row: null}

  const auth = await prepareAuth(context, request.auth, remote)
  const webhookColumns = webhookSecretColumns(context, request.webhookSecret)
  const warnings = [...auth.warnings]
  return context.git.withAccess(remote.url, auth.credentials, async (access) => {
    let heads: Map<string, string> | null = null
    context.progress.step(`asking ${remote.url} for its branches`)
    try {
      heads = await context.git.remoteBranches(remote.url, {access})
    } catch (error) {
      const local = remote.kind === 'file' || remote.kind === 'path'
      // A remote that answered and refused the credentials or the host key is not "unreachable, retry later".
      if (local || !isKedgeError(error) || context.git.isCredentialRefusal(error)) throw error
      // A mistyped host must not pass in a script: registering a remote that does not answer is asked for.
      if (!request.allowUnreachable) throw unreachableRemote(error)
      warnings.push(`${errorMessage(error)}; registered anyway, kedge will retry`)
    }
    if (heads && !heads.has(branch)) throw unknownBranch(branch, remote.url, [...heads.keys()])

    if (heads) context.progress.step(`cloning ${branch}`)
    const staged = heads ? await stageCheckout(context, remote.url, branch, name, access) : null
    try {
      if (staged) context.progress.step('validating kedge.yaml and the compose files')
      const checkout = staged ? await inspectCheckout(context, staged, stackPath, branch, name) : null
      const values = {
        name,
        url: remote.url,
        branch,
        path: stackPath,
        intervalMs,
        createdAt: new Date(),
        allowHooks: request.allowHooks ?? false,
        ...(statusColumns ?? {}),
        ...auth.columns(name, access.knownHosts()),
        ...webhookColumns(name),
      }
      const stacks = checkout ? (checkout.stacks ?? [{name, path: stackPath}]) : []
      const engine = registerChosenEngine(context, engineChoice)
      const row = registerWithCheckout(context, {...values, engineId: engine?.id ?? null}, staged, stacks)
      return {repository: toRepositoryView(row, undefined, engine?.name), checkout, warnings}
    } finally {
      if (staged) rmSync(staged, {recursive: true, force: true})
    }
  })
}

function unreachableRemote(error: KedgeError): ExternalError {
  return new ExternalError(error.message, {
    code: error.code,
    cause: error,
    hint: 'check the URL and the network; to register a remote that is down now and have serve retry it, pass --allow-unreachable',
  })
}

/**
 * What a request says by itself, checked without the home: the CLI asks before it opens the home, so
 * that input refused creates no home.
 */
export function checkAddRequest(request: AddRepositoryRequest) {
  const remote = parseRemoteUrl(request.url)
  const name = normalizeRepoName(request.name ?? requireDerivedName(remote.derivedName, request.url))
  const branch = validateBranchName(request.branch ?? 'main')
  const stackPath = refuseGitDirectory(normalizeStackPath(request.path))
  const intervalMs = request.interval === undefined ? null : parseInterval(request.interval)
  if (request.commitStatusApi !== undefined && (request.commitStatus === undefined || request.commitStatus === 'off')) throw apiWithoutForge()
  const statusColumns = request.commitStatus === undefined ? null : commitStatusSetting(remote.url, request.commitStatus, request.commitStatusApi ?? null)
  if (statusColumns?.commitStatus) requireTokenAuth(request.auth?.kind ?? null, name)
  return {remote, name, branch, stackPath, intervalMs, statusColumns}
}

/** git's own directory is no stack: kedge reads only files of the commit. */
function refuseGitDirectory(stackPath: string): string {
  if (!isInGitDirectory(stackPath)) return stackPath
  throw new InvalidInputError(`invalid path ${quoted(stackPath)}: .git is not part of the commit`, {
    code: 'invalid_path',
    hint: 'give a sub-directory of the repository that holds the compose file, e.g. stacks/web',
  })
}

function requireDerivedName(derived: string, url: string): string {
  if (derived.length > 0) return derived
  throw new InvalidInputError(`cannot derive a repository name from ${quoted(url)}`, {code: 'invalid_name', hint: 'pass --name'})
}

function ensureNameIsFree({store}: KedgeContext, name: string): void {
  const existing = store.findRepository(name)
  if (existing) {
    throw new ConflictError(`a repository named "${name}" is already registered (${existing.url})`, {
      hint: 'choose another name with --name, or remove it first with "kedge repo remove"',
    })
  }
}


async function stageCheckout(context: KedgeContext, url: string, branch: string, name: string, access: GitAccess): Promise<string> {
  mkdirSync(context.home.stagingDir, {recursive: true})
  const staged = path.join(context.home.stagingDir, `${name}-${randomBytes(4).toString('hex')}`)
  try {
    await context.git.cloneBranch(url, branch, staged, {access})
  } catch (error) {
    rmSync(staged, {recursive: true, force: true})
    throw error
  }
  return staged
}

async function inspectCheckout(
  {files, git}: KedgeContext,
  checkoutDir: string,
  stackPath: string,
  branch: string,
  name: string,
): Promise<NonNullable<AddRepositoryResult['checkout']>> {
  const stackDir = files.directory(checkoutDir, stackPath, () =>
    new InvalidInputError(`path ${quoted(stackPath)} does not exist on branch "${branch}"`, {
      code: 'invalid_path',
      hint: 'pass the sub-directory that holds the compose file with --path',
    }),
  )
  const {config} = files.readKedgeConfig(checkoutDir, stackDir)
  const layout = resolveStackLayout({repository: name, configDir: stackPath, config}, files.stackTree(checkoutDir))
  if (layout.length !== 1 || !layout[0]!.root) {
    return {
      commit: await git.checkoutHead(checkoutDir),
      configFile: config.file,
      projectName: '',
      projectNameSource: 'repository name',
      projectNameFile: null,
      composeFiles: [],
      mode: config.mode,
      interval: config.intervalMs === undefined ? null : formatDuration(config.intervalMs),
      stacks: layout.map((spec) => {
        // Each stack is checked as its deploy will read it: its own kedge.yaml over the repository's, and its compose files.
        const dir = files.directory(checkoutDir, spec.path, () => new InvalidInputError(`the stack directory ${quoted(spec.path)} does not exist`, {code: 'invalid_path'}))
        const own = files.readStackConfig(checkoutDir, dir)
        const stackConfig = withStackOverrides(config, own.overrides, own.text?.path ?? null)
        return {name: spec.name, path: spec.path, project: stackConfig.projectName ?? spec.defaultProject, composeFiles: files.resolveComposeFiles(checkoutDir, dir, stackConfig)}
      }),
    }
  }
  const composeFiles = files.resolveComposeFiles(checkoutDir, stackDir, config)
  const project = resolveProjectName(files, checkoutDir, stackDir, config, composeFiles, name)
  return {
    commit: await git.checkoutHead(checkoutDir),
    configFile: config.file,
    projectName: project.name,
    projectNameSource: project.source,
    projectNameFile: project.file,
    composeFiles,
    mode: config.mode,
    interval: config.intervalMs === undefined ? null : formatDuration(config.intervalMs),
  }
}

/**
 * The row and the clone are kept together or not at all: the clone is moved into place inside the
 * transaction that inserts the row, and taken back when that transaction cannot commit (a full disk).
 */
function registerWithCheckout(context: KedgeContext, values: NewRepositoryRow, staged: string | null, stacks: Array<{name: string; path: string}>): RepositoryRow {
  const target = context.home.repoDir(values.name)
  let placed = false
  try {
    return context.store.insertRepository(values, (row) => {
      // In the same transaction: a repository is recorded with the stacks its checkout holds (none when the
      // remote did not answer: its first round records them).
      for (const stack of stacks) context.store.insertStack({repositoryId: row.id, name: stack.name, path: stack.path, createdAt: row.createdAt})
      if (staged) placeCheckout(staged, target)
      placed = staged !== null
    })
  } catch (error) {
    if (placed) rmSync(target, {recursive: true, force: true})
    throw error
  }
}

/** A leftover directory under the repository's name can only be kedge's own, from an earlier crash. */
function placeCheckout(staged: string, target: string): void {
  mkdirSync(path.dirname(target), {recursive: true})
  rmSync(target, {recursive: true, force: true})
  renameSync(staged, target)
}
