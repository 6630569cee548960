import type {KedgeConfig} from '../../model/config/kedge-config.js'
import {withStackOverrides} from '../../model/config/stack-config.js'
import {InvalidConfigError, InvalidInputError, quoted} from '../../model/errors.js'
import type {RepositoryRow, StackRow, StackTarget} from '../../model/rows.js'
import {resolveStackLayout, type StackSpec} from '../../model/stack/stack-layout.js'
import {stackProjectName} from '../../model/stack/stack-names.js'
import type {KedgeConfigFile, RepositoryFiles} from '../../ports/repository-files.js'
import type {KedgeContext} from '../context.js'
import {isRootStack} from '../../model/stack/stack-names.js'
import {stackPaths} from '../repositories/stack-paths.js'
import {EMPTY_STACK_STATE} from '../../model/stack/stack-row.js'

/** The stack's directory and its settings as the clone has them, read once a round; or why they could not be read. */
export type CheckoutRead = {stackDir: string; file: KedgeConfigFile; stack?: StackCheckout} | {error: unknown}

/** What one of several stacks of a repository adds: its own kedge.yaml (already merged into `file.config`) and its project name. */
export interface StackCheckout {
  config: {path: string; content: string} | null
  /** `<repository>-<stack>`, unless the stack's kedge.yaml names a project. */
  defaultProject: string
}

/** One stack of the commit checked out in the clone, in deploy order. */
export interface CheckoutStack {
  target: StackTarget
  /** The stacks it is deployed after, by name. */
  after: readonly string[]
  /** Its directory and settings as the commit has them, or why they could not be read (the deploy records it). */
  checkout: CheckoutRead
}

export interface CheckoutStacks {
  /** The repository's kedge.yaml; null when it could not be read. */
  config: KedgeConfig | null
  /** Why the layout could not be read; each known stack then has it as its checkout's error. */
  error?: unknown
  stacks: CheckoutStack[]
  /** Stacks kedge recorded that the commit no longer holds. */
  gone: StackTarget[]
}

/**
 * The stacks the commit checked out in the clone holds, as kedge.yaml's `stacks:` (or the layout
 * without it) says, in deploy order; a stack seen for the first time is recorded. When the layout itself
 * cannot be read (an invalid kedge.yaml, a cycle in `after`), the stacks kedge knows are returned, each
 * with that error, so that each records the failed deploy and keeps running as it is.
 */
export function readCheckoutStacks(
  context: KedgeContext,
  repository: RepositoryRow,
  commit: string,
  options: {repoDir?: string; record?: boolean} = {},
): CheckoutStacks {
  const {files, store} = context
  // `kedge sync --dry-run` reads another clone, and records nothing.
  const repoDir = options.repoDir ?? stackPaths(context, repository.name).repoDir
  const record = options.record ?? true
  const known = store.listStacks(repository.id)
  let layout
  try {
    const configDir = repositoryDirectory(files, repoDir, repository, commit)
    const repositoryFile = files.readKedgeConfig(repoDir, configDir)
    const specs = resolveStackLayout({repository: repository.name, configDir: repository.path, config: repositoryFile.config}, files.stackTree(repoDir))
    layout = {configDir, repositoryFile, specs}
  } catch (error) {
    return {config: null, error, stacks: known.map((stack) => ({target: {repository, stack}, after: [], checkout: {error}})), gone: []}
  }
  const {configDir, repositoryFile, specs} = layout
  const stacks = specs.map((spec): CheckoutStack => {
    const recorded = recordedStack(context, repository, known, spec, record)
    if ('error' in recorded) return {target: {repository, stack: recorded.stack}, after: spec.after, checkout: {error: recorded.error}}
    const target = {repository, stack: recorded}
    if (spec.root) return {target, after: spec.after, checkout: {stackDir: configDir, file: repositoryFile}}
    return {target, after: spec.after, checkout: ownCheckout(files, repoDir, repositoryFile, spec.path, spec.defaultProject)}
  })
  refuseSharedProjects(stacks)
  const listed = new Set(specs.map((spec) => spec.name))
  return {config: repositoryFile.config, stacks, gone: known.filter((stack) => !listed.has(stack.name) && stack.hold === null).map((stack) => ({repository, stack}))}
}

/**
 * Two stacks of one project would take each other's containers for their own and remove them: each
 * stack that shares its project (a stack's own `docker.project_name`) fails with that error instead.
 */
function refuseSharedProjects(stacks: CheckoutStack[]): void {
  const byProject = new Map<string, CheckoutStack[]>()
  for (const entry of stacks) {
    const {checkout} = entry
    if (!('file' in checkout) || !checkout.stack) continue
    const project = checkout.file.config.projectName ?? checkout.stack.defaultProject
    byProject.set(project, [...(byProject.get(project) ?? []), entry])
  }
  for (const [project, sharing] of byProject) {
    if (sharing.length < 2) continue
    const names = sharing.map((entry) => entry.target.stack.name).join(', ')
    const error = new InvalidConfigError(sharing[0]!.target.repository.path ? `${sharing[0]!.target.repository.path}/kedge.yaml` : 'kedge.yaml', 'stacks', `the stacks ${names} would share the Compose project ${quoted(project)}`, {
      hint: 'give each stack its own docker.project_name, or none (each then runs as <repository>-<stack>)',
    })
    for (const entry of sharing) entry.checkout = {error}
  }
}

/** One stack's directory and settings at the commit checked out in the clone, read without the rest of the layout. */
export function readStackCheckout(context: KedgeContext, target: StackTarget, commit: string): CheckoutRead {
  const {files} = context
  const {repository, stack} = target
  const {repoDir} = stackPaths(context, repository.name)
  try {
    const configDir = repositoryDirectory(files, repoDir, repository, commit)
    const repositoryFile = files.readKedgeConfig(repoDir, configDir)
    if (isRootStack(target)) return {stackDir: configDir, file: repositoryFile}
    return ownCheckout(files, repoDir, repositoryFile, stack.path, stackProjectName(repository.name, stack.name))
  } catch (error) {
    return {error}
  }
}

/** Every file kedge reads, and each it names to Compose, is checked to be a regular file inside the repository. */
function repositoryDirectory(files: RepositoryFiles, repoDir: string, repository: RepositoryRow, commit: string): string {
  return files.directory(repoDir, repository.path, () =>
    new InvalidInputError(`path ${quoted(repository.path)} does not exist at commit ${commit.slice(0, 7)}`, {code: 'invalid_path'}),
  )
}

/** One of several stacks: its directory, and its own kedge.yaml over the repository's. */
function ownCheckout(files: RepositoryFiles, repoDir: string, repositoryFile: KedgeConfigFile, stackPath: string, defaultProject: string): CheckoutRead {
  try {
    const stackDir = files.directory(repoDir, stackPath, () => new InvalidInputError(`the stack directory ${quoted(stackPath)} does not exist`, {code: 'invalid_path'}))
    const own = files.readStackConfig(repoDir, stackDir)
    const config = withStackOverrides(repositoryFile.config, own.overrides, own.text?.path ?? null)
    return {stackDir, file: {config, text: repositoryFile.text}, stack: {config: own.text, defaultProject}}
  } catch (error) {
    return {error}
  }
}

/**
 * The stack's row, recorded the first time the layout names it, its directory kept up to date, and taken
 * back from `gone` when the repository holds it again. A stack that moves between kedge.yaml's own
 * directory and a directory of its own would change its project and its directories in the home, and
 * come up without what its containers wrote: refused, for that stack.
 */
function recordedStack(context: KedgeContext, repository: RepositoryRow, known: StackRow[], spec: StackSpec, record: boolean): StackRow | {stack: StackRow; error: InvalidConfigError} {
  const row = known.find((stack) => stack.name === spec.name)
  const values = {repositoryId: repository.id, name: spec.name, path: spec.path, createdAt: context.clock.now()}
  if (!row) return record ? context.store.insertStack(values) : unrecordedStack(values)
  const wasRoot = isRootStack({repository, stack: row})
  if (wasRoot !== spec.root) {
    const error = new InvalidConfigError(spec.root ? (repository.path ? `${repository.path}/kedge.yaml` : 'kedge.yaml') : spec.path, undefined, `the stack ${quoted(spec.name)} would move ${wasRoot ? 'from the repository root' : `from ${quoted(row.path)}`} to ${spec.root ? 'the repository root' : quoted(spec.path)}, which changes its Compose project and its directories`, {
      hint: 'give the stack another name (the old one is then taken down as no longer in the repository), or remove the repository and add it again',
    })
    return {stack: row, error}
  }
  const changes = {...(row.path === spec.path ? {} : {path: spec.path}), ...(row.hold === 'gone' ? {hold: null, heldAt: null} : {})}
  if (Object.keys(changes).length === 0) return row
  if (record) context.store.updateStack(row.id, changes)
  return {...row, ...changes}
}

/** A stack the layout names and kedge has not recorded, as a dry run shows it: no id, no history. */
function unrecordedStack(values: Pick<StackRow, 'repositoryId' | 'name' | 'path' | 'createdAt'>): StackRow {
  return {
    ...values,
    id: -1,
    ...EMPTY_STACK_STATE,
  }
}
