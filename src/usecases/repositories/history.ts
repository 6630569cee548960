import type {ReadContext} from '../context.js'
import {toDeploymentView, type DeploymentView} from '../../model/repository/deployment-view.js'
import {requireStacks} from '../stacks/stacks.js'

/** The newest deployments of the stacks an address names (`<repository>` is all of its stacks), newest first. */
export function repositoryHistory(context: ReadContext, address: string, limit: number): DeploymentView[] {
  const rows = requireStacks(context, address).flatMap(({stack}) => context.store.listDeployments(stack.id, limit).map((row) => ({row, stack: stack.name})))
  rows.sort((a, b) => b.row.id - a.row.id)
  return rows.slice(0, limit).map(({row, stack}) => toDeploymentView(row, stack))
}
