import {count, eq, ne} from 'drizzle-orm'

import type {KedgeDatabase} from './database.js'
import {deployments, repositories, stacks, type DeploymentStatus} from './schema.js'

export interface DeploymentCount {
  repo: string
  stack: string
  status: DeploymentStatus
  total: number
}

/** Finished deployments by stack and status: what `kedge_deployments_total` reports. */
export function countDeploymentsByStatus(db: KedgeDatabase): DeploymentCount[] {
  return db
    .select({repo: repositories.name, stack: stacks.name, status: deployments.status, total: count()})
    .from(deployments)
    .innerJoin(repositories, eq(repositories.id, deployments.repositoryId))
    .innerJoin(stacks, eq(stacks.id, deployments.stackId))
    .where(ne(deployments.status, 'pending'))
    .groupBy(repositories.name, stacks.name, deployments.status)
    .all()
}
