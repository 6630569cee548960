import {setTimeout as sleep} from 'node:timers/promises'

import {NETWORK_IN_USE_WAIT_MS, NetworkInUseError, NotSwarmManagerError, type Engine, type StackObject, type StackObjects} from '../../ports/engine.js'

import {byCodeUnits} from '../../model/compose/text-order.js'
import {errorMessage, type KedgeError} from '../../model/errors.js'
import {listOf, requiredText, textMap, type JsonObject, type JsonPlace} from '../../model/swarm/engine-json.js'
import {parseStackServices, parseStackTasks, parseSwarmNodes, STACK_NAMESPACE_LABEL} from '../../model/swarm/swarm-services.js'
import type {SwarmStackState} from '../../model/swarm/swarm-state.js'
import {engineError, type EngineDescription} from './engine-errors.js'
import type {EngineTransport} from './engine-request.js'
import {QUERY_TIMEOUT_MS, REMOVE_TIMEOUT_MS} from './engine-timeouts.js'

/** What the Engine port asks of a swarm's managers. */
export type SwarmRequests = Pick<Engine, 'swarmState' | 'removeService' | 'listStackObjects' | 'removeNetwork' | 'removeConfig' | 'removeSecret'>

export interface SwarmRequestOptions {
  /** How long removeNetwork waits for the tasks that hold a network to stop. */
  networkInUseWaitMs?: number
  /** How often it asks again meanwhile. */
  networkRetryMs?: number
}

const NETWORK_RETRY_MS = 250

/** How the engine says it cannot answer for a swarm (HTTP 503), worker and manager of a locked swarm alike. */
const NOT_A_MANAGER = /not a swarm manager/i
const WORKER = /worker nodes can't be used/i
const LOCKED = /swarm is encrypted and needs to be unlocked/i

/**
 * How the engine refuses to remove a network still in use. Tasks (those of services just removed, or
 * the attachment of a container) go away by themselves; a service that uses it does not.
 */
const IN_USE_BY_TASKS = /is in use by task|has active endpoints/i
const IN_USE_BY_SERVICE = /is in use by service/i
/**
 * 20.10 answers a removal of a swarm network it has just removed with 500 "network … not found" while the
 * node's own copy waits for its last task to stop: gone, as far as the swarm is concerned.
 */
const NETWORK_GONE = /\bnetwork \S+ not found/i

/** The Swarm requests of the engine `transport` reaches, named in their errors as `described` says. */
export function swarmRequests(transport: EngineTransport, described: EngineDescription, options: SwarmRequestOptions = {}): SwarmRequests {
  const networkInUseWaitMs = options.networkInUseWaitMs ?? NETWORK_IN_USE_WAIT_MS
  const networkRetryMs = options.networkRetryMs ?? NETWORK_RETRY_MS

  function failure(error: unknown): KedgeError {
    const status = (error as {statusCode?: unknown}).statusCode
    const said = errorMessage(error)
    if (status === 503 && LOCKED.test(said)) {
      return new NotSwarmManagerError(`${described.subject} cannot answer for its swarm: the swarm is locked`, {
        hint: 'unlock it with `docker swarm unlock` and its unlock key, on that engine',
        cause: error,
      })
    }
    if (status === 503 && NOT_A_MANAGER.test(said)) {
      return new NotSwarmManagerError(`${described.subject} is not a swarm manager${WORKER.test(said) ? ' (it is a worker)' : ''}: a swarm stack is deployed and read through a manager`, {
        hint: 'make it one with `docker swarm init` (or `docker node promote` for a worker), or give the stack an engine that is a manager of its swarm',
        cause: error,
      })
    }
    return engineError(error, described)
  }

  async function query(path: string, query: Record<string, unknown> = {}): Promise<unknown> {
    try {
      return await transport.call({method: 'GET', path, query, timeoutMs: QUERY_TIMEOUT_MS})
    } catch (error) {
      throw failure(error)
    }
  }

  /** A DELETE of a swarm object; false when the engine has no such object (404). */
  async function remove(path: string): Promise<boolean> {
    try {
      await transport.call({method: 'DELETE', path, timeoutMs: REMOVE_TIMEOUT_MS})
      return true
    } catch (error) {
      if ((error as {statusCode?: unknown}).statusCode === 404) return false
      throw error
    }
  }

  const byNamespace = (namespace: string) => ({filters: {label: [`${STACK_NAMESPACE_LABEL}=${namespace}`]}})

  async function swarmState(namespace: string): Promise<SwarmStackState> {
    // Tasks by the namespace label, which the engine matches on their service's labels, and not by the ids
    // of the services just listed: a service removed in between would make the engine refuse the whole
    // query (404), and the tasks of a removed service, which it lists until their containers have stopped,
    // are what a take-down waits on.
    const [services, tasks, nodes] = await Promise.all([
      query('/services', {status: true, ...byNamespace(namespace)}).then(parseStackServices),
      query('/tasks', byNamespace(namespace)).then(parseStackTasks),
      query('/nodes').then(parseSwarmNodes),
    ])
    return {services, tasks, nodes}
  }

  async function listStackObjects(namespace: string): Promise<StackObjects> {
    const filter = byNamespace(namespace)
    const [networks, configs, secrets] = await Promise.all([query('/networks', filter), query('/configs', filter), query('/secrets', filter)])
    return {
      // The network list writes `Id` and puts the name and labels at the top; configs and secrets keep them in their spec.
      networks: stackObjects(networks, "the engine's network list", {id: 'Id', name: 'Name', labels: 'Labels'}),
      configs: stackObjects(configs, "the engine's config list", {id: 'ID', name: 'Spec.Name', labels: 'Spec.Labels'}),
      secrets: stackObjects(secrets, "the engine's secret list", {id: 'ID', name: 'Spec.Name', labels: 'Spec.Labels'}),
    }
  }

  async function removeObject(kind: 'services' | 'configs' | 'secrets', id: string): Promise<void> {
    try {
      await remove(`/${kind}/${encodeURIComponent(id)}`)
    } catch (error) {
      throw failure(error)
    }
  }

  async function removeNetwork(id: string): Promise<void> {
    const deadline = Date.now() + networkInUseWaitMs
    for (;;) {
      try {
        await remove(`/networks/${encodeURIComponent(id)}`)
        return
      } catch (error) {
        const said = errorMessage(error)
        if (NETWORK_GONE.test(said)) return
        if (!IN_USE_BY_TASKS.test(said) && !IN_USE_BY_SERVICE.test(said)) throw failure(error)
        // Waiting helps only while tasks stop: a service that uses it stays until someone removes it.
        if (IN_USE_BY_SERVICE.test(said) || Date.now() >= deadline) throw networkInUse(id, said, error)
      }
      await sleep(networkRetryMs)
    }
  }

  function networkInUse(id: string, said: string, cause: unknown): NetworkInUseError {
    const usedBy = /in use by (.*?)\s*$/i.exec(said)?.[1] ?? 'containers on one of its nodes'
    return new NetworkInUseError(id, usedBy, `${described.subject} keeps network ${id}: it is still in use by ${usedBy}`, {
      hint: 'remove what still uses it (`docker network inspect` names it), then the network with `docker network rm`',
      cause,
    })
  }

  return {
    swarmState,
    removeService: (id) => removeObject('services', id),
    listStackObjects,
    removeNetwork,
    removeConfig: (id) => removeObject('configs', id),
    removeSecret: (id) => removeObject('secrets', id),
  }
}

/** Where a list's items keep their id, name and labels. */
interface ObjectFields {
  id: string
  name: string
  labels: string
}

function stackObjects(raw: unknown, what: string, fields: ObjectFields): StackObject[] {
  return listOf(raw, what)
    .map(({item, place}) => stackObject(item, place, fields))
    .sort((a, b) => byCodeUnits(a.name, b.name))
}

function stackObject(item: JsonObject, place: JsonPlace, fields: ObjectFields): StackObject {
  return {id: requiredText(item, fields.id, place), name: requiredText(item, fields.name, place), labels: textMap(item, fields.labels, place)}
}
