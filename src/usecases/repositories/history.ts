import type {ReadContext} from '../context.js'
import {toDeploymentView, type DeploymentView} from '../../model/repository/deployment-view.js'
import {requireRepository} from './require-repository.js'

export function repositoryHistory(context: ReadContext, name: string, limit: number): DeploymentView[] {
  const repository = requireRepository(context, name)
  return context.store.listDeployments(repository.id, limit).map(toDeploymentView)
}
