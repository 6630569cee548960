/** The labels kedge stamps on every container it deploys; kedge acts on no container without them. */
export const LABELS = {
  managed: 'io.kedge.managed',
  repository: 'io.kedge.repo',
  /** Only on the containers of one of several stacks of a repository: a root stack's containers never had it, and a new label recreates a container. */
  stack: 'io.kedge.stack',
  project: 'io.kedge.project',
  service: 'io.kedge.service',
  /** The commit that last changed the service (not merely the last deployed one, so unchanged services keep their labels). */
  commit: 'io.kedge.commit',
  /** kedge's own hash of the service's configuration and repository files; Compose's own hash differs between versions. */
  configHash: 'io.kedge.config-hash',
} as const

/** Compose's labels, read to find containers of a project that kedge did not create. */
export const COMPOSE_LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  oneoff: 'com.docker.compose.oneoff',
} as const

export function serviceLabels(input: {repository: string; stack?: string; project: string; service: string; commit: string; configHash: string}): Record<string, string> {
  return {
    [LABELS.managed]: 'true',
    [LABELS.repository]: input.repository,
    ...(input.stack === undefined ? {} : {[LABELS.stack]: input.stack}),
    [LABELS.project]: input.project,
    [LABELS.service]: input.service,
    [LABELS.commit]: input.commit,
    [LABELS.configHash]: input.configHash,
  }
}
