import path from 'node:path'

import {byCodeUnits} from '../compose/text-order.js'
import {isObject, type JsonObject} from './engine-json.js'

/** One thing a stack's files ask of Swarm: where (a service, or the stack) and what happens to it. */
export interface CompatNote {
  /** The service concerned, or null for the stack as a whole. */
  service: string | null
  /** The key of the compose file concerned, e.g. `build`, `volumes`, `x-kedge.on_file_change`. */
  key: string
  message: string
}

export interface SwarmCompatibility {
  /** What Swarm ignores or does otherwise than Compose: shown in the deploy's progress and by `repo add`, never silent. */
  warnings: CompatNote[]
  /** What kedge refuses to deploy as a swarm stack; the deploy fails before anything changes. */
  refusals: CompatNote[]
}

/**
 * What `docker stack deploy` ignores, and says so in a line kedge would otherwise drop ("Ignoring
 * unsupported options: …"): the list of the docker CLI 28 it runs here, checked by deploying a file
 * with every candidate.
 */
const IGNORED: Record<string, string> = {
  build: 'Swarm builds nothing: every node pulls the image `image:` names, so push it to a registry they reach',
  cgroup_parent: 'Swarm ignores it',
  cgroupns_mode: 'Swarm ignores it',
  devices: 'Swarm ignores it',
  domainname: 'Swarm ignores it',
  external_links: 'Swarm ignores it: services reach each other on their networks by name',
  ipc: 'Swarm ignores it',
  links: 'Swarm ignores it: services reach each other on their networks by name',
  mac_address: 'Swarm ignores it',
  network_mode: 'Swarm ignores it: a service joins the networks under `networks:`',
  pid: 'Swarm ignores it',
  privileged: 'Swarm ignores it',
  restart: 'Swarm ignores it: `deploy.restart_policy` says when it restarts a task',
  security_opt: 'Swarm ignores it',
  shm_size: 'Swarm ignores it',
  userns_mode: 'Swarm ignores it',
  container_name: "Swarm names a service's containers itself",
  expose: 'Swarm ignores it: services on one network reach each other on any port',
  depends_on: 'Swarm starts services in no order: a service waits for another by retrying',
}

/** What the stack loader refuses (CLI 28, checked the same way), which Compose accepts: refused before the deploy, with the reason. */
const REFUSED: Record<string, string> = {
  platform: 'the stack loader does not accept it; `deploy.placement.constraints` chooses nodes (node.platform.arch)',
  pull_policy: 'the stack loader does not accept it: every node pulls the image when it starts a task',
  profiles: 'the stack loader does not accept it: a swarm stack deploys every service of its files',
  storage_opt: 'the stack loader does not accept it',
  extends: 'the stack loader does not accept it',
  volume_driver: 'the stack loader does not accept it: set the driver on the volume under the top-level `volumes:`',
  volumes_from: 'the stack loader does not accept it: share a named volume through `volumes:` instead',
  cpu_quota: 'the stack loader does not accept it: use `deploy.resources.limits.cpus`',
  cpu_shares: 'the stack loader does not accept it: use `deploy.resources`',
  cpuset: 'the stack loader does not accept it',
  mem_limit: 'the stack loader does not accept it: use `deploy.resources.limits.memory`',
  memswap_limit: 'the stack loader does not accept it',
}

/**
 * What a stack's configuration, as `docker compose config` printed it (parsed; paths absolute, under
 * `projectDirectory` for those the files gave as relative), asks that Swarm cannot do as Compose does.
 * Pure: kedge checks it before every swarm deploy, on every engine.
 */
export function checkSwarmCompatibility(config: unknown, projectDirectory: string): SwarmCompatibility {
  const warnings: CompatNote[] = []
  const refusals: CompatNote[] = []
  const services = isObject(config) && isObject(config.services) ? config.services : {}
  for (const name of Object.keys(services).sort(byCodeUnits)) {
    const service = isObject(services[name]) ? (services[name] as JsonObject) : {}
    for (const key of Object.keys(service).sort(byCodeUnits)) {
      const ignored = IGNORED[key]
      if (ignored !== undefined) warnings.push({service: name, key, message: `service ${name}: \`${key}\` is ignored: ${ignored}`})
      const refused = REFUSED[key]
      if (refused !== undefined) refusals.push({service: name, key, message: `service ${name}: \`${key}\`: ${refused}`})
    }
    warnings.push(...volumeNotes(name, service.volumes, projectDirectory))
    const extension = service['x-kedge']
    if (isObject(extension) && extension.on_file_change !== undefined && extension.on_file_change !== null) {
      refusals.push({
        service: name,
        key: 'x-kedge.on_file_change',
        message: `service ${name}: \`x-kedge.on_file_change\` has no Swarm equivalent: Swarm replaces a service's tasks when its spec changes, and cannot restart or signal them in place`,
      })
    }
    const mode = isObject(service.deploy) ? service.deploy.mode : undefined
    if (mode === 'replicated-job' || mode === 'global-job') {
      refusals.push({
        service: name,
        key: 'deploy.mode',
        message: `service ${name}: \`deploy.mode: ${mode}\`: kedge deploys replicated and global services to Swarm, not jobs, which end when done`,
      })
    }
  }
  return {warnings, refusals}
}

/** Bind mounts of the checkout, and named volumes: both live on one host, and a swarm's tasks run on many. */
function volumeNotes(service: string, volumes: unknown, projectDirectory: string): CompatNote[] {
  const notes: CompatNote[] = []
  for (const volume of Array.isArray(volumes) ? volumes : []) {
    const {type, source} = mountOf(volume)
    if (source === null) continue
    if (type === 'bind' && isInside(source, projectDirectory)) {
      notes.push({
        service,
        key: 'volumes',
        message: `service ${service}: the bind mount of ${path.relative(projectDirectory, source) || '.'} is a path on kedge's host (${source}); a task on another node mounts that path there, or fails without it`,
      })
    } else if (type === 'volume') {
      notes.push({service, key: 'volumes', message: `service ${service}: the volume ${source} is created on each node a task runs on; its data does not follow a task to another node`})
    }
  }
  return notes
}

/** A mount in the long form `compose config` prints (v2), or the short "source:target[:mode]" (v1). */
function mountOf(volume: unknown): {type: string | null; source: string | null} {
  if (typeof volume === 'string') {
    const parts = volume.split(':')
    if (parts.length < 2) return {type: 'volume', source: null}
    const source = parts[0]!
    return {type: source.startsWith('/') || source.startsWith('.') || source.startsWith('~') ? 'bind' : 'volume', source}
  }
  if (!isObject(volume)) return {type: null, source: null}
  return {type: typeof volume.type === 'string' ? volume.type : null, source: typeof volume.source === 'string' && volume.source !== '' ? volume.source : null}
}

function isInside(file: string, directory: string): boolean {
  const relative = path.relative(directory, path.resolve(directory, file))
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
}
