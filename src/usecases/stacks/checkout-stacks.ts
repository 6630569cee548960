import type {KedgeConfig} from '../../model/config/kedge-config.js'
import {withStackOverrides} from '../../model/config/stack-config.js'
import {InvalidInputError, quoted} from '../../model/errors.js'
import type {RepositoryRow, StackRow, StackTarget} from '../../model/rows.js'
import {resolveStackLayout} from '../../model/stack/stack-layout.js'
import {stackProjectName} from '../../model/stack/stack-names.js'
import type {KedgeConfigFile, RepositoryFiles} from '../../ports/repository-files.js'
import type {KedgeContext} from '../context.js'
import {isRootStack} from '../../model/stack/stack-names.js'
import {stackPaths} from '../repositories/stack-paths.js'

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
export function readCheckoutStacks(context: KedgeContext, repository: RepositoryRow, commit: string): CheckoutStacks {
  const {files, store} = context
  const {repoDir} = stackPaths(context, repository.name)
  const known = store.listStacks(repository.id)
  let layout
  try {
    const configDir = repositoryDirectory(files, repoDir, repository, commit)
    const repositoryFile = files.readKedgeConfig(repoDir, configDir)
    const specs = resolveStackLayout({repository: repository.name, configDir: repository.path, config: repositoryFile.config}, files.stackTree(repoDir))
    layout = {configDir, repositoryFile, specs}
  } catch (error) {
    return {config: null, stacks: known.map((stack) => ({target: {repository, stack}, after: [], checkout: {error}})), gone: []}
  }
  const {configDir, repositoryFile, specs} = layout
  const stacks = specs.map((spec): CheckoutStack => {
    const target = {repository, stack: recordedStack(context, repository, known, spec)}
    if (spec.root) return {target, after: spec.after, checkout: {stackDir: configDir, file: repositoryFile}}
    return {target, after: spec.after, checkout: ownCheckout(files, repoDir, repositoryFile, spec.path, spec.defaultProject)}
  })
  const listed = new Set(specs.map((spec) => spec.name))
  return {config: repositoryFile.config, stacks, gone: known.filter((stack) => !listed.has(stack.name)).map((stack) => ({repository, stack}))}
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

/** The stack's row, recorded the first time the layout names it, its directory kept up to date. */
function recordedStack(context: KedgeContext, repository: RepositoryRow, known: StackRow[], spec: {name: string; path: string}): StackRow {
  const row = known.find((stack) => stack.name === spec.name)
  if (!row) return context.store.insertStack({repositoryId: repository.id, name: spec.name, path: spec.path, createdAt: context.clock.now()})
  if (row.path === spec.path) return row
  context.store.updateStack(row.id, {path: spec.path})
  return {...row, path: spec.path}
}
