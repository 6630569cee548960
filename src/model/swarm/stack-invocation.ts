import path from 'node:path'

import {environmentWithoutSecrets} from '../secrets/secret-environment.js'
import type {StackService} from './swarm-services.js'

/** A swarm stack as `docker stack deploy` gets it. */
export interface StackDeployProject {
  /** The stack's name: Swarm prefixes its services, networks, configs and secrets with it. */
  namespace: string
  /** The user's compose files, then kedge's override last, as absolute paths: the stack loader resolves relative paths in them against the first file's directory. */
  files: readonly string[]
}

export interface StackDeployOptions {
  /**
   * Remove the stack's services the files no longer name. The CLI prunes by the namespace label alone,
   * so it would remove services kedge never labelled too: pass it only when mayPrune says so.
   */
  prune: boolean
  /**
   * Write `--detach=true`: the CLI has the flag from 26 on, and waits for the tasks unless told not to;
   * before (Debian's 20.10), it never waits, and refuses the flag as unknown.
   */
  detachFlag?: boolean
}

/** Stack and project names Docker accepts, which also keeps a name from reading as an option. */
const NAMESPACE = /^[a-z0-9][a-z0-9_-]*$/

/**
 * The arguments of `docker stack deploy` after the program. `--with-registry-auth` sends the registry
 * credentials of the CLI's DOCKER_CONFIG to the nodes, which pull for themselves; `--resolve-image always`
 * pins each image's digest where a registry answers, so that every node runs the same image;
 * `--detach=true` returns once the services are updated, written out so that no later default makes the
 * CLI wait: kedge's health gate does the waiting, within health_timeout.
 */
export function stackDeployArgs(project: StackDeployProject, options: StackDeployOptions): string[] {
  if (!NAMESPACE.test(project.namespace)) throw new Error(`not a stack name: ${JSON.stringify(project.namespace)}`)
  if (project.files.length === 0) throw new Error('docker stack deploy needs at least one compose file')
  const relative = project.files.find((file) => !path.isAbsolute(file))
  if (relative !== undefined) throw new Error(`compose files are given to docker stack deploy as absolute paths, not ${JSON.stringify(relative)}`)
  return [
    'stack',
    'deploy',
    '--with-registry-auth',
    '--resolve-image',
    'always',
    ...(options.detachFlag === false ? [] : ['--detach=true']),
    ...project.files.flatMap((file) => ['-c', file]),
    ...(options.prune ? ['--prune'] : []),
    project.namespace,
  ]
}

/**
 * Whether `--prune` is safe: every service of the stack carries kedge's label, so the CLI's prune by
 * namespace removes nothing kedge did not deploy. Otherwise kedge removes its own dropped services itself.
 */
export function mayPrune(services: readonly Pick<StackService, 'managedByKedge'>[]): boolean {
  return services.every((service) => service.managedByKedge)
}

/**
 * Variables a committed `.env` must not set in the CLI's environment: `docker stack deploy` reads no
 * `.env` itself, so kedge hands its variables to the process, where these would choose another engine
 * or configuration (DOCKER_HOST, DOCKER_CONFIG: a commit never chooses where it deploys), make the
 * dynamic loader or Go's runtime run or change code (LD_PRELOAD, GODEBUG), route the CLI's requests
 * (proxies) or change whose files it reads (HOME, XDG_*). Compose reading the same `.env` interpolates
 * with it, but never runs with it.
 */
const PROCESS_VARIABLES = /^(PATH|HOME|SHELL|TMPDIR|DOCKER_\w+|COMPOSE_\w+|KEDGE_\w+|BUILDKIT_\w+|LD_\w+|DYLD_\w+|GODEBUG|GOGC|GOMAXPROCS|GOMEMLIMIT|GOTRACEBACK|SSL_CERT_(FILE|DIR)|SSH_\w+|XDG_\w+|(HTTPS?|ALL|NO)_PROXY|(https?|all|no)_proxy)$/

export interface StackEnvironment {
  /** The CLI's environment: the variables it interpolates the compose files with, and its own. */
  environment: Record<string, string>
  /** Names the `.env` set that PROCESS_VARIABLES kept out, for a warning. */
  ignored: string[]
}

/**
 * The environment `docker stack deploy` interpolates the compose files with, as Compose would: the
 * project directory's `.env` (read by dotenv.ts), under kedge's own environment without its secrets
 * (Compose lets its environment win over `.env`), under the repository's local env file (which kedge
 * gives Compose in its environment too). Pure: the caller passes process.env.
 */
export function stackDeployEnvironment(input: {
  dotEnv: Readonly<Record<string, string>>
  processEnvironment: Readonly<Record<string, string | undefined>>
  localEnvironment: Readonly<Record<string, string>>
}): StackEnvironment {
  const ignored = Object.keys(input.dotEnv).filter((name) => PROCESS_VARIABLES.test(name)).sort()
  const fromDotEnv = Object.fromEntries(Object.entries(input.dotEnv).filter(([name]) => !PROCESS_VARIABLES.test(name)))
  const fromProcess = Object.entries(environmentWithoutSecrets(input.processEnvironment as NodeJS.ProcessEnv)).filter((entry): entry is [string, string] => entry[1] !== undefined)
  return {environment: {...fromDotEnv, ...Object.fromEntries(fromProcess), ...input.localEnvironment}, ignored}
}
