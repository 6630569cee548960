import {count, eq, ne} from 'drizzle-orm'

import type {KedgeDatabase} from './database.js'
import {deployments, repositories, type DeploymentStatus} from './schema.js'

export interface DeploymentCount {
  repo: string
  status: DeploymentStatus
  total: number
}

/** Finished deployments by repository and status: what `kedge_deployments_total` reports. */
export function countDeploymentsByStatus(db: KedgeDatabase): DeploymentCount[] {
  return db
    .select({repo: repositories.name, status: deployments.status, total: count()})
    .from(deployments)
    .innerJoin(repositories, eq(repositories.id, deployments.repositoryId))
    .where(ne(deployments.status, 'pending'))
    .groupBy(repositories.name, deployments.status)
    .all()
}
