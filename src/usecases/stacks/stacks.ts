import {NotFoundError, quoted} from '../../model/errors.js'
import type {RepositoryRow, StackRow, StackTarget} from '../../model/rows.js'
import type {ReadContext} from '../context.js'
import {checkStackRow} from '../../model/repository/row-checks.js'
import {isRootStack} from '../../model/stack/stack-names.js'
import {requireRepository} from '../repositories/require-repository.js'

/** The repository's stacks, by name. */
export function stacksOf(context: Pick<ReadContext, 'store'>, repository: RepositoryRow): StackRow[] {
  // Checked like the repository's row: a damaged path must not become a directory kedge reads or writes.
  return context.store.listStacks(repository.id).map((stack) => checkStackRow(stack, repository.name))
}

/**
 * The stacks an address names: `<repository>` is every stack of the repository, `<repository>/<stack>`
 * one of them. not_found names what is missing.
 */
export function requireStacks(context: Pick<ReadContext, 'store'>, address: string): StackTarget[] {
  const {repositoryName, stackName} = splitAddress(address)
  const repository = requireRepository(context, repositoryName)
  const stacks = stacksOf(context, repository)
  if (stackName === undefined) return stacks.map((stack) => ({repository, stack}))
  const stack = stacks.find((candidate) => candidate.name === stackName) ?? stacks.find((candidate) => candidate.name.toLowerCase() === stackName.toLowerCase())
  if (!stack) {
    const known = stacks.map((candidate) => candidate.name).join(', ')
    throw new NotFoundError(`${repository.name} has no stack named ${quoted(stackName)}`, {
      hint: known ? `its stacks: ${known}` : `${repository.name} has no stack yet: run "kedge sync --repo ${repository.name}"`,
    })
  }
  return [{repository, stack}]
}

/** As requireStacks, refusing a repository that has no stack yet (nothing deployed, nothing recorded). */
export function requireSomeStacks(context: Pick<ReadContext, 'store'>, address: string): [StackTarget, ...StackTarget[]] {
  const [first, ...rest] = requireStacks(context, address)
  if (first) return [first, ...rest]
  const repository = splitAddress(address).repositoryName
  throw new NotFoundError(`${quoted(repository)} has no stack yet`, {hint: `run "kedge sync --repo ${repository}" first`})
}

/** The one stack an address names; a repository of several stacks must be narrowed to one. */
export function requireOneStack(context: Pick<ReadContext, 'store'>, address: string): StackTarget {
  const targets = requireSomeStacks(context, address)
  if (targets.length === 1) return targets[0]
  throw new NotFoundError(`${quoted(splitAddress(address).repositoryName)} has ${targets.length} stacks: name one as <repository>/<stack>`, {
    hint: `its stacks: ${targets.map((target) => `${target.repository.name}/${target.stack.name}`).join(', ')}`,
  })
}

/** `<repository>` or `<repository>/<stack>`. */
export function splitAddress(address: string): {repositoryName: string; stackName?: string} {
  const slash = address.indexOf('/')
  if (slash < 0) return {repositoryName: address}
  return {repositoryName: address.slice(0, slash), stackName: address.slice(slash + 1)}
}

/** How a stack is named to people: the repository's name alone for its root stack, else `<repository>/<stack>`. */
export function stackLabel(target: StackTarget): string {
  return isRootStack(target) ? target.repository.name : `${target.repository.name}/${target.stack.name}`
}
