import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {parse as parseYaml} from 'yaml'

import {parseDotEnv} from '../../model/compose/dotenv.js'
import {InvalidConfigError} from '../../model/errors.js'
import {LABELS} from '../../model/compose/labels.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import {stackDeployEnvironment, mayPrune} from '../../model/swarm/stack-invocation.js'
import {checkSwarmCompatibility} from '../../model/swarm/swarm-compat.js'
import {overrideFilePaths, renderSwarmOverrideFile} from '../../model/swarm/swarm-override-file.js'
import {servicesOfStack, type SwarmStackState} from '../../model/swarm/swarm-state.js'
import type {KedgeContext} from '../context.js'
import {composeProjectOf} from '../deploying/compose-project.js'
import type {StackPaths} from '../repositories/stack-paths.js'
import {namespaceOf} from './swarm-stack.js'

/**
 * Applies a swarm stack: the commit's files in the stack directory, kedge's labels in an override file
 * beside them, and `docker stack deploy` of the user's own files with it (the stack loader refuses what
 * `compose config` prints, and does not read `.env`: its variables are passed in the environment).
 * `--prune` only when every service of the stack is kedge's; otherwise kedge removes its own dropped
 * services itself, and leaves the rest. Swarm then rolls the changed services; the gate waits for it.
 * What Swarm cannot do as Compose does is refused before anything changes, or said.
 */
export async function applySwarmStack(
  context: KedgeContext,
  paths: StackPaths,
  repository: string,
  snapshot: StackSnapshot,
  options: {prune: boolean; signal?: AbortSignal; tree?: string; say?: (line: string) => void; state?: SwarmStackState},
): Promise<void> {
  await (await prepareSwarmStack(context, paths, repository, snapshot, options)).deploy()
}

/**
 * Everything up to `docker stack deploy`, which changes nothing on the engine: the files placed in the
 * stack directory (kedge's own), read and checked. A commit refused here leaves the stack running as it
 * runs, with no rollback to make; `deploy()` then applies it.
 */
export async function prepareSwarmStack(
  context: KedgeContext,
  paths: StackPaths,
  repository: string,
  snapshot: StackSnapshot,
  options: {
    prune: boolean
    signal?: AbortSignal
    tree?: string
    say?: (line: string) => void
    /** The swarm's view of the stack when the caller read it already (a deploy, to plan): not asked again. */
    state?: SwarmStackState
  },
): Promise<{deploy: () => Promise<void>}> {
  mkdirSync(paths.stackDir, {recursive: true})
  mkdirSync(path.dirname(paths.indexFile), {recursive: true})
  await context.git.updateTree(paths.repoDir, options.tree ?? snapshot.commit, paths.stackDir, paths.indexFile, options.signal, snapshot.placedPaths)
  const project = composeProjectOf(paths, snapshot)
  const userFiles = snapshot.composeFiles.map((file) => path.resolve(project.directory, file.path))
  // Compose's reading of the files, for their networks, configs and secrets with absolute paths; not kedge's override.
  const config: unknown = parseYaml(await context.compose.config({...project, files: snapshot.composeFiles.map((file) => file.path)}, {signal: options.signal}))
  const compatibility = checkSwarmCompatibility(config, project.directory)
  const refusal = compatibility.refusals[0]
  if (refusal) {
    throw new InvalidConfigError(snapshot.composeFiles.map((file) => file.path).join(', '), refusal.service ? `services.${refusal.service}.${refusal.key}` : refusal.key, refusal.message, {
      hint: 'deploy it with Compose (leave out docker.target: swarm), or change it for Swarm',
    })
  }
  for (const note of compatibility.warnings) options.say?.(`swarm: ${note.service ? `${note.service}: ` : ''}${note.message}`)
  const fileContents = new Map(overrideFilePaths(config).map((file) => [file, readObjectFile(context, paths, file)] as const))
  writeFileSync(paths.overrideFile, withVersionOf(snapshot, renderSwarmOverrideFile({repository, snapshot, config, fileContents})))

  const local = project.environment ?? {}
  const lookup = (name: string) => process.env[name] ?? local[name]
  // Read as kedge reads a commit's files (docs/hostile-commits.md): inside the repository, a regular file, bounded.
  const dotEnvText = context.files.readText(paths.stackDir, path.posix.join(snapshot.stackPath, '.env'), DOT_ENV_LIMIT, '.env')
  const dotEnv = dotEnvText === null ? {} : parseDotEnv(dotEnvText, lookup)
  const {environment, ignored} = stackDeployEnvironment({dotEnv, processEnvironment: process.env, localEnvironment: local})
  if (ignored.length > 0) options.say?.(`swarm: .env sets ${ignored.join(', ')}, which would configure the docker CLI itself: left out`)

  const namespace = namespaceOf(snapshot)
  return {
    deploy: async () => {
      const before = servicesOfStack(namespace, options.state ?? (await context.engine.swarmState(namespace)))
      const prune = options.prune && mayPrune(before)
      await context.stacks.deploy({namespace, directory: project.directory, files: [...userFiles, paths.overrideFile], environment}, {prune, signal: options.signal})
      if (options.prune && !prune) {
        // The CLI would prune every service of the namespace, the operator's too: kedge removes only its own.
        const wanted = new Set(snapshot.services.map((service) => service.name))
        for (const service of before) {
          if (service.managedByKedge && service.labels[LABELS.repository] === repository && !wanted.has(service.service)) await context.engine.removeService(service.id)
        }
      }
    },
  }
}

/** A stack's `.env` is a few lines; Compose's own limit is none, kedge's is that of a kedge.yaml. */
const DOT_ENV_LIMIT = 256 * 1024
/** Swarm refuses a config or secret over 500 KB. */
const OBJECT_FILE_LIMIT = 500 * 1024

/**
 * A config's or secret's file, as the docker CLI would read it to send it to the swarm: only one inside
 * the repository, read as kedge reads a commit's files. `file: /etc/shadow` in a commit is refused here,
 * before the CLI could read the host's file and hand it to every node.
 */
function readObjectFile(context: Pick<KedgeContext, 'files'>, paths: StackPaths, file: string): string {
  const relative = path.relative(paths.stackDir, file)
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new InvalidConfigError(file, 'file', 'leads outside the repository: a config or secret of a swarm stack is made from a file of the commit', {
      hint: 'keep the file in the repository, or create the config or secret on the swarm yourself and declare it `external: true`',
    })
  }
  const text = context.files.readText(paths.stackDir, relative, OBJECT_FILE_LIMIT, relative)
  if (text === null) throw new InvalidConfigError(relative, undefined, 'no such file in the commit', {hint: 'commit the file the config or secret is made from'})
  return text
}

/**
 * The override with the top-level `version:` of the user's files, when they give one: a docker CLI older
 * than 25 loads each file by its version, and refuses one without it ("unsupported Compose file version:
 * 1.0"); the newer ones ignore it.
 */
function withVersionOf(snapshot: StackSnapshot, override: string): string {
  for (const file of snapshot.composeFiles) {
    let version: unknown
    try {
      version = (parseYaml(file.content) as {version?: unknown} | null)?.version
    } catch {
      continue
    }
    if (typeof version === 'string' || typeof version === 'number') return `version: ${JSON.stringify(String(version))}\n${override}`
  }
  return override
}
