import path from 'node:path'

/**
 * Where kedge's home must be when kedge runs in a container. Compose runs there too, but asks the engine
 * for the stacks' bind mounts by path, and the engine finds those paths on the host: a stack's `./data`
 * is `<home>/stacks/<name>/data` on the host. So the home must be mounted at the same path inside the
 * container and out (docs/container.md).
 */

/** A mount of the container kedge runs in, as the engine describes it. */
export interface ContainerMount {
  /** Where its files are on the host: a bind mount's directory, a volume's data directory. */
  readonly source: string
  /** Where the container sees them. */
  readonly destination: string
}

export type HomeMount =
  /** On the host, the home is at the same path: the stacks' bind mounts name their own files. */
  | {readonly kind: 'same-path'}
  /** A mount holds the home, at another path on the host. */
  | {readonly kind: 'other-path'; readonly hostPath: string}
  /** No mount holds the home: its files live in the container's own layer, and go with the container. */
  | {readonly kind: 'not-mounted'}

/** Where the container's home is on the host, from the mount that holds it (the deepest one). */
export function homeMount(home: string, mounts: readonly ContainerMount[]): HomeMount {
  const holding = mounts
    .filter((mount) => isWithin(home, mount.destination))
    .sort((a, b) => path.resolve(b.destination).length - path.resolve(a.destination).length)[0]
  if (!holding) return {kind: 'not-mounted'}
  const hostPath = path.join(path.resolve(holding.source), path.relative(path.resolve(holding.destination), path.resolve(home)))
  return hostPath === path.resolve(home) ? {kind: 'same-path'} : {kind: 'other-path', hostPath}
}

/** What serve logs at start when the home is not at its own path on the host; null when it is. */
export function homeMountWarning(home: string, mount: HomeMount): {hostPath: string | null; reason: string; hint: string} | null {
  switch (mount.kind) {
    case 'same-path':
      return null
    case 'other-path':
      return {
        hostPath: mount.hostPath,
        reason: `the home ${home} is ${mount.hostPath} on the host, and the engine looks for the stacks' bind mounts at ${home}/... there`,
        hint: `mount the home at the same path inside and out: -v ${mount.hostPath}:${mount.hostPath} with KEDGE_HOME=${mount.hostPath}, or -v ${home}:${home}`,
      }
    case 'not-mounted':
      return {
        hostPath: null,
        reason: `the home ${home} is on no mount of this container: the stacks' files go with the container, and the engine looks for their bind mounts at ${home}/... on the host`,
        hint: `mount a host directory at the same path: -v ${home}:${home}`,
      }
  }
}

/** Whether `inner` is `outer` or below it. */
function isWithin(inner: string, outer: string): boolean {
  const relative = path.relative(path.resolve(outer), path.resolve(inner))
  return relative === '' || (relative !== '..' && !relative.startsWith('../') && !path.isAbsolute(relative))
}
