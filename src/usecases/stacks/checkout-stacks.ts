import {withStackOverrides} from '../../model/config/stack-config.js'
import {InvalidInputError, quoted} from '../../model/errors.js'
import type {RepositoryRow, StackRow, StackTarget} from '../../model/rows.js'
import {resolveStackLayout} from '../../model/stack/stack-layout.js'
import type {KedgeContext} from '../context.js'
import type {CheckoutRead} from '../deploying/desired-stack.js'
import {stackPaths} from '../repositories/stack-paths.js'

/** One stack of the commit checked out in the clone, in deploy order. */
export interface CheckoutStack {
  target: StackTarget
  /** The stacks it is deployed after, by name. */
  after: readonly string[]
  /** Its directory and settings as the commit has them, or why they could not be read (the deploy records it). */
  checkout: CheckoutRead
}

export interface CheckoutStacks {
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
    const configDir = files.directory(repoDir, repository.path, () =>
      new InvalidInputError(`path ${quoted(repository.path)} does not exist at commit ${commit.slice(0, 7)}`, {code: 'invalid_path'}),
    )
    const repositoryFile = files.readKedgeConfig(repoDir, configDir)
    const specs = resolveStackLayout({repository: repository.name, configDir: repository.path, config: repositoryFile.config}, files.stackTree(repoDir))
    layout = {configDir, repositoryFile, specs}
  } catch (error) {
    return {stacks: known.map((stack) => ({target: {repository, stack}, after: [], checkout: {error}})), gone: []}
  }
  const {configDir, repositoryFile, specs} = layout
  const stacks = specs.map((spec): CheckoutStack => {
    const stack = recordedStack(context, repository, known, spec)
    const target = {repository, stack}
    if (spec.root) return {target, after: spec.after, checkout: {stackDir: configDir, file: repositoryFile}}
    try {
      const stackDir = files.directory(repoDir, spec.path, () => new InvalidInputError(`stack directory ${quoted(spec.path)} does not exist`, {code: 'invalid_path'}))
      const own = files.readStackConfig(repoDir, stackDir)
      const config = withStackOverrides(repositoryFile.config, own.overrides, own.text?.path ?? null)
      return {target, after: spec.after, checkout: {stackDir, file: {config, text: repositoryFile.text}, stack: {config: own.text, defaultProject: spec.defaultProject}}}
    } catch (error) {
      return {target, after: spec.after, checkout: {error}}
    }
  })
  const listed = new Set(specs.map((spec) => spec.name))
  return {stacks, gone: known.filter((stack) => !listed.has(stack.name)).map((stack) => ({repository, stack}))}
}

/** The stack's row, recorded the first time the layout names it, its directory kept up to date. */
function recordedStack(context: KedgeContext, repository: RepositoryRow, known: StackRow[], spec: {name: string; path: string}): StackRow {
  const row = known.find((stack) => stack.name === spec.name)
  if (!row) return context.store.insertStack({repositoryId: repository.id, name: spec.name, path: spec.path, createdAt: context.clock.now()})
  if (row.path === spec.path) return row
  context.store.updateStack(row.id, {path: spec.path})
  return {...row, path: spec.path}
}
