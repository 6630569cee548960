import type {StackContainer} from '../stack/containers.js'
import {runningTasks, servicesOfStack, tasksOf, type SwarmStackState} from './swarm-state.js'

/**
 * A swarm stack's tasks as `status` and the dashboard show a stack's containers: one entry per task Swarm
 * wants running (desired state running), named `<service>.<slot>` as `docker service ps` names them,
 * with the node it runs on. A task counts as running only on a ready node (see runningTasks).
 */
export function swarmTasksAsContainers(namespace: string, state: SwarmStackState): StackContainer[] {
  const nodeNames = new Map(state.nodes.map((node) => [node.id, node.hostname || node.id.slice(0, 12)]))
  return servicesOfStack(namespace, state).flatMap((service) => {
    const running = new Set(runningTasks(service, state).map((task) => task.id))
    return tasksOf(service, state)
      .filter((task) => task.desiredState === 'running')
      .map((task): StackContainer => {
        const node = task.nodeId === null ? 'no node yet' : `on ${nodeNames.get(task.nodeId) ?? task.nodeId.slice(0, 12)}`
        const state = running.has(task.id) ? 'running' : task.state === 'running' ? 'unknown' : task.state
        return {
          id: task.id,
          name: `${service.name}.${task.slot ?? task.nodeId?.slice(0, 12) ?? '?'}`,
          service: service.service,
          state,
          status: `${task.state} ${node}${task.err ? `: ${task.err}` : ''}`,
          image: task.image,
          imageId: '',
          health: null,
          exitCode: null,
          labels: service.labels,
          managedByKedge: service.managedByKedge,
        }
      })
  })
}
