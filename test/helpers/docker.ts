import {execFileSync} from 'node:child_process'

export function docker(...args: string[]): string {
  return execFileSync('docker', args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
}

/** KEDGE_COMPOSE's words, else `docker compose` when the v2 plugin is there, else `docker-compose`, as kedge itself chooses. */
export function composeCommand(): string[] {
  const override = process.env.KEDGE_COMPOSE?.trim()
  if (override) return override.split(/\s+/)
  try {
    execFileSync('docker', ['compose', 'version'], {stdio: 'ignore'})
    return ['docker', 'compose']
  } catch {
    return ['docker-compose']
  }
}

export interface TestContainer {
  id: string
  name: string
  state: string
  service: string
  image: string
  commit: string
}

/** The containers kedge labelled for a Compose project (managed, as kedge itself tells them apart). */
export function kedgeContainers(project: string): TestContainer[] {
  const format = '{{.ID}}\t{{.Names}}\t{{.State}}\t{{.Label "io.kedge.service"}}\t{{.Image}}\t{{.Label "io.kedge.commit"}}'
  return docker('ps', '--all', '--no-trunc', '--filter', 'label=io.kedge.managed=true', '--filter', `label=io.kedge.project=${project}`, '--format', format)
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, name, state, service, image, commit] = line.split('\t') as [string, string, string, string, string, string]
      return {id, name, state, service, image, commit}
    })
    .sort((a, b) => a.name.localeCompare(b.name))
}

/** Container ids by service, to tell whether a deploy restarted anything. */
export function containerIds(project: string): Record<string, string[]> {
  const ids: Record<string, string[]> = {}
  for (const container of kedgeContainers(project)) (ids[container.service] ??= []).push(container.id)
  return ids
}

/** Removes everything Compose created for the project, whoever created it. For test clean-up only. */
export function removeComposeProject(project: string): void {
  const ids = docker('ps', '--all', '--quiet', '--filter', `label=com.docker.compose.project=${project}`).split('\n').filter(Boolean)
  if (ids.length > 0) docker('rm', '--force', '--volumes', ...ids)
  const networks = docker('network', 'ls', '--quiet', '--filter', `label=com.docker.compose.project=${project}`).split('\n').filter(Boolean)
  if (networks.length > 0) docker('network', 'rm', ...networks)
}
