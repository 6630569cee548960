import {readFile} from 'node:fs/promises'

import type {ContainerMount} from '../../model/home-mount.js'

/**
 * Docker bind-mounts each container's /etc/hostname, /etc/hosts and /etc/resolv.conf from its own directory,
 * `<data root>/containers/<id>/`, and /proc/self/mountinfo names that directory. This works under cgroup v2
 * as well, where /proc/self/cgroup no longer names the container. Only those three mount points count: on
 * the host, mountinfo may name another container's directory too (the /dev/shm of one started with
 * `ipc: shareable` is mounted under it), which is not kedge's own.
 */
const OWN_FILES = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf'])
const CONTAINER_DIRECTORY_ID = /\/containers\/([0-9a-f]{64})\/[^/]+$/
/** Under cgroup v1, the container's cgroup: `/docker/<id>` (cgroupfs) or `docker-<id>.scope` (systemd). */
const CGROUP_ID = /\/docker[-/]([0-9a-f]{64})(?:\.scope)?$/gm

/** The ids that may be this process's container, most likely first; none outside a container. */
export function ownContainerIdCandidates(mountinfo: string, cgroup: string): string[] {
  // mountinfo's fields: id, parent, device, the mounted path within its file system, the mount point, ...
  const fromMounts = mountinfo.split('\n').flatMap((line) => {
    const [, , , root, mountPoint] = line.split(' ')
    const id = mountPoint !== undefined && OWN_FILES.has(mountPoint) ? CONTAINER_DIRECTORY_ID.exec(root ?? '')?.[1] : undefined
    return id ? [id] : []
  })
  const fromCgroup = [...cgroup.matchAll(CGROUP_ID)].map((match) => match[1]!)
  return [...new Set([...fromMounts, ...fromCgroup])]
}

/**
 * The mounts of the container this process runs in; null when it runs in none the engine has.
 * `containerMounts` asks the engine for one container's (null when it has no such container).
 */
export async function ownContainerMounts(containerMounts: (id: string) => Promise<ContainerMount[] | null>): Promise<ContainerMount[] | null> {
  const [mountinfo, cgroup] = await Promise.all([readOrEmpty('/proc/self/mountinfo'), readOrEmpty('/proc/self/cgroup')])
  for (const id of ownContainerIdCandidates(mountinfo, cgroup)) {
    const mounts = await containerMounts(id)
    if (mounts) return mounts
  }
  return null
}

/** A system without /proc (macOS, say) runs kedge in no container. */
async function readOrEmpty(file: string): Promise<string> {
  return readFile(file, 'utf8').catch(() => '')
}
