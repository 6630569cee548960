/**
 * Argument lists for the Docker Compose CLI, for both generations: v2 is the `docker compose` plugin,
 * v1 the standalone `docker-compose`. Both take the global options before the subcommand; kedge only
 * uses options both accept. Pure, so that every list is unit-tested without Compose.
 */
export type ComposeGeneration = 'v1' | 'v2'

/** A way to start Compose. */
export interface ComposeLaunch {
  /** The program and any leading words, e.g. ['docker', 'compose'] or ['docker-compose']. */
  argv: string[]
}

/** The way kedge starts Compose, once it has answered with its version. */
export interface ComposeCommand extends ComposeLaunch {
  generation: ComposeGeneration
}

export interface ComposeProject {
  name: string
  /** Compose files, absolute or relative to `directory`; kedge's override file last. */
  files: string[]
  directory: string
  /** Compose profiles to enable (kedge.yaml's `docker.profiles`): `--profile` for each, in every command. */
  profiles?: readonly string[]
  /**
   * Variables added to Compose's own environment, for interpolation: the repository's local env file. Never
   * on the command line, where every user of the host could read them.
   */
  environment?: Readonly<Record<string, string>>
}

export function globalArgs(project: ComposeProject): string[] {
  return [
    '--project-name',
    project.name,
    '--project-directory',
    project.directory,
    ...project.files.flatMap((file) => ['--file', file]),
    ...(project.profiles ?? []).flatMap((profile) => ['--profile', profile]),
    '--ansi',
    'never',
  ]
}

export function configArgs(project: ComposeProject): string[] {
  return [...globalArgs(project), 'config']
}

export function pullArgs(project: ComposeProject, services: string[]): string[] {
  return [...globalArgs(project), 'pull', ...services]
}

/** Builds the services' images, and only theirs, under the tags kedge's override file names. */
export function buildArgs(project: ComposeProject, services: readonly string[]): string[] {
  if (services.length === 0) throw new Error('compose build needs at least one service: without any, Compose would build them all')
  return [...globalArgs(project), 'build', '--', ...services]
}

export interface UpOptions {
  /**
   * The services to create, recreate or start, and no others (`--no-deps`): Compose's own config hash
   * differs between its versions, so an `up` of the whole project after a Compose upgrade would recreate
   * every service, and Compose v2 also recreates the dependents of a recreated service. kedge decides
   * what changed by its own hash and lets Compose touch only that.
   */
  services: readonly string[]
  /**
   * Recreate the services' containers even where Compose sees no change: a tag that names a new image
   * (an image update, or its rollback to the previous image), which Compose v1 does not always notice.
   */
  forceRecreate?: boolean
  /** Create (or recreate) the containers without starting them: kedge puts files in them first (a SOPS secret with a target). */
  noStart?: boolean
}

export function upArgs(project: ComposeProject, options: UpOptions): string[] {
  if (options.services.length === 0) throw new Error('compose up needs at least one service: without any, Compose would apply them all')
  // No --remove-orphans: Compose v2 would also remove `compose run` containers of a dropped service, which
  // kedge did not label; kedge removes the containers of dropped services it labelled itself.
  return [...globalArgs(project), 'up', options.noStart ? '--no-start' : '--detach', '--no-deps', ...(options.forceRecreate ? ['--force-recreate'] : []), '--', ...options.services]
}

export interface DownOptions {
  /** Also remove the project's named volumes, which hold data: only when the user asks. */
  volumes: boolean
}

export function downArgs(project: ComposeProject, options: DownOptions): string[] {
  // No --remove-orphans: Compose v2 would also remove the operator's one-off `compose run` containers.
  // kedge removes the containers it labelled itself before it runs `down`.
  return [...globalArgs(project), 'down', ...(options.volumes ? ['--volumes'] : [])]
}

/** The whole command line: the program's own words, then the arguments. */
export function commandLine(command: ComposeLaunch, args: string[]): {file: string; args: string[]} {
  const [file, ...leading] = command.argv
  return {file: file!, args: [...leading, ...args]}
}

/** `KEDGE_COMPOSE` names the command as words ("docker compose", "/usr/local/bin/docker-compose"). */
export function parseComposeOverride(value: string): string[] {
  return value.trim().split(/\s+/).filter(Boolean)
}

/** Which generation a `version --short` output belongs to ("2.27.0", "v2.27.0", "1.29.2"). */
export function generationOf(version: string): ComposeGeneration {
  return /^v?1\./.test(version.trim()) ? 'v1' : 'v2'
}
