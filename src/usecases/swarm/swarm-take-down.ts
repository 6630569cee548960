import {InvalidInputError} from '../../model/errors.js'
import {LABELS} from '../../model/compose/labels.js'
import type {StackTarget} from '../../model/rows.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import {servicesOfStack} from '../../model/swarm/swarm-state.js'
import type {KedgeContext} from '../context.js'
import type {StackTakenDown} from '../stacks/taken-down.js'
import {namespaceOf} from './swarm-stack.js'

/** Tasks of removed services stop within their stop grace period; past this the networks are left and said so. */
const TASKS_GONE_MS = 60_000
const POLL_MS = 500

/**
 * Takes a swarm stack down by kedge's labels, never with `docker stack rm`, which removes everything of
 * the namespace: kedge's services first, then, once their tasks are gone, kedge's networks, configs and
 * secrets of the namespace. What kedge did not label stays, and is named. Volumes live on each node: kedge
 * refuses to remove them, which only the nodes' own engines could.
 */
export async function takeDownSwarmStack(context: KedgeContext, target: StackTarget, snapshot: StackSnapshot, options: {volumes: boolean}): Promise<StackTakenDown> {
  if (options.volumes) {
    throw new InvalidInputError("a swarm stack's volumes live on each node of the swarm, where kedge does not reach", {
      code: 'invalid_usage',
      hint: 'take it down without --volumes, then remove the volumes on each node (docker volume rm)',
    })
  }
  const namespace = namespaceOf(snapshot)
  const ours = (labels: Record<string, string>) => labels[LABELS.managed] === 'true' && labels[LABELS.repository] === target.repository.name
  const services = servicesOfStack(namespace, await context.engine.swarmState(namespace))
  const removed = services.filter((service) => ours(service.labels))
  for (const service of removed) await context.engine.removeService(service.id)
  const deadline = context.clock.now().getTime() + TASKS_GONE_MS
  const removedIds = new Set(removed.map((service) => service.id))
  while ((await context.engine.swarmState(namespace)).tasks.some((task) => removedIds.has(task.serviceId) && task.state === 'running')) {
    if (context.clock.now().getTime() >= deadline) break
    await context.clock.sleep(POLL_MS)
  }
  const objects = await context.engine.listStackObjects(namespace)
  const leftAlone = services.filter((service) => !ours(service.labels)).map((service) => service.name)
  let networksRemoved = objects.networks.length > 0
  for (const network of objects.networks) {
    if (!ours(network.labels)) {
      leftAlone.push(network.name)
      networksRemoved = false
      continue
    }
    try {
      await context.engine.removeNetwork(network.id)
    } catch (error) {
      // Still in use (by a service kedge left alone, or tasks not gone yet): named, not forced.
      leftAlone.push(`${network.name} (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`)
      networksRemoved = false
    }
  }
  for (const config of objects.configs) if (ours(config.labels)) await context.engine.removeConfig(config.id)
  for (const secret of objects.secrets) if (ours(secret.labels)) await context.engine.removeSecret(secret.id)
  return {action: 'removed', project: namespace, containers: removed.map((service) => service.name), networksRemoved, volumesRemoved: false, leftAlone}
}
