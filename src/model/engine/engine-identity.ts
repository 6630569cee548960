/** Which Docker engine answers at an address, from its `GET /info`: what tells one engine from another, and whether it manages a swarm. */
export interface EngineIdentity {
  /** The daemon's own ID, made when its data root was: a reinstall or another host answers with another. */
  id: string
  /** The host name the daemon reports. */
  name: string
  serverVersion: string
  swarm: {
    /** LocalNodeState: `inactive`, `pending`, `active`, `error` or `locked`. */
    state: string
    /** Whether this node is a manager (ControlAvailable), where `docker stack deploy` can run. */
    manager: boolean
    /** The swarm's ID, the same from every manager of it; null outside a swarm or on a worker. */
    clusterId: string | null
  }
}

/** The identity in an engine's `GET /info` answer; throws, saying why, when the answer is not one. */
export function toEngineIdentity(info: unknown): EngineIdentity {
  if (!isObject(info)) throw new Error('the engine\'s /info answer is not a JSON object')
  if (typeof info.ID !== 'string' || info.ID === '') throw new Error('the engine\'s /info answer has no ID')
  const swarm = isObject(info.Swarm) ? info.Swarm : {}
  const cluster = isObject(swarm.Cluster) ? swarm.Cluster : {}
  return {
    id: info.ID,
    name: textOr(info.Name, ''),
    serverVersion: textOr(info.ServerVersion, ''),
    swarm: {
      state: textOr(swarm.LocalNodeState, 'inactive'),
      manager: swarm.ControlAvailable === true,
      clusterId: typeof cluster.ID === 'string' && cluster.ID !== '' ? cluster.ID : null,
    },
  }
}

function textOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
