import path from 'node:path'

import {parseBoundedYaml} from '../../model/config/bounded-yaml.js'
import {parseComposeYaml} from '../../model/config/compose-yaml.js'
import {PROJECT_NAME_PATTERN, type KedgeConfig} from '../../model/config/kedge-config.js'
import {ComposeFailedError, InvalidConfigError, quoted} from '../../model/errors.js'
import type {StackRow, StackTarget} from '../../model/rows.js'
import type {RepositoryFiles} from '../../ports/repository-files.js'
import {COMPOSE_V2_HINT, isEmptyProject, locateComposeError, needsComposeV2} from '../../model/compose/compose-errors.js'
import {formerServiceHashes, parseComposeConfig, withBuiltImage} from '../../model/compose/compose-model.js'
import type {KedgeContext, ReadContext} from '../context.js'
import {declaredOnFileChange, hashesOf, parseOnFileChange} from './file-change.js'
import {carriedHashes} from '../../model/stack/running-labels.js'
import {readStackSelection} from './stack-selection.js'
import {readStackCheckout, type CheckoutRead} from '../stacks/checkout-stacks.js'
export type {CheckoutRead} from '../stacks/checkout-stacks.js'
import type {StackPaths} from '../repositories/stack-paths.js'
import type {StackSnapshot} from '../../model/stack/stack-snapshot.js'
import {parseSnapshot} from '../../model/stack/stored-snapshot.js'
import {defaultProjectName} from '../../model/stack/stack-names.js'
import {withSecretsDigest} from '../../model/stack/secret-digest.js'
import {openStackSecrets, secretDigests} from './stack-secrets.js'
import {readBuildTags} from './build-tags.js'

export interface DesiredStack {
  config: KedgeConfig
  snapshot: StackSnapshot
  /** The merged configuration as `compose config` printed it (YAML): a swarm deploy reads its networks, configs and secrets from it. */
  resolved: string
}

/** Where a stack's Compose project name comes from, by precedence. */
export type ProjectNameSource = 'kedge.yaml' | 'compose file' | 'repository name'

export interface ProjectName {
  name: string
  source: ProjectNameSource
  /** The file that set it (kedge.yaml, or the last compose file with a top-level `name:`), relative to the repository root. */
  file: string | null
}

/**
 * Reads what the commit checked out in the repository's clone wants: kedge.yaml, the compose files as
 * Compose itself resolves them (which validates them) with the repository's local env file, and kedge's
 * hash of each service.
 */
export async function readDesiredStack(
  context: KedgeContext,
  paths: Pick<StackPaths, 'repoDir' | 'localEnvironment'>,
  {repository, stack}: StackTarget,
  commit: string,
  previous: StackSnapshot | null,
  signal?: AbortSignal,
  known: {checkout?: CheckoutRead} = {},
): Promise<DesiredStack> {
  const {repoDir} = paths
  const {files} = context
  const checkout = known.checkout ?? readStackCheckout(context, {repository, stack}, commit)
  if ('error' in checkout) throw checkout.error
  const {stackDir} = checkout
  const {config, text: kedgeConfigText} = checkout.file
  const composeFiles = files.resolveComposeFiles(repoDir, stackDir, config)
  // One of several stacks runs as `<repository>-<stack>` unless its own kedge.yaml names the project.
  const project = checkout.stack
    ? (config.projectName ?? checkout.stack.defaultProject)
    : keptProjectName(resolveProjectName(files, repoDir, stackDir, config, composeFiles, repository.name), previous, repository.name)
  const noServices = (cause?: unknown) =>
    new InvalidConfigError(composeFiles.join(', '), 'services', 'none defined; kedge does not deploy an empty stack', {
      hint: `to take the stack down, run "kedge repo remove ${repository.name} --down"`,
      cause,
    })
  let resolved: string
  try {
    const compose = {name: project, files: composeFiles, directory: stackDir, profiles: config.profiles, environment: paths.localEnvironment()}
    resolved = await context.compose.config(compose, {signal})
  } catch (error) {
    if (!(error instanceof ComposeFailedError)) throw error
    if (isEmptyProject(error.reason)) throw noServices(error)
    const tooOld = needsComposeV2(error.reason)
    if (tooOld) throw new ComposeFailedError(error.action, tooOld, {cause: error, hint: COMPOSE_V2_HINT})
    const documents = composeFiles.map((file) => readYamlOrNull(files, repoDir, stackDir, file))
    throw new ComposeFailedError(error.action, locateComposeError(error.reason, documents), {cause: error})
  }
  const inactive = servicesOfOtherProfiles(resolved, config.profiles)
  const services = parseComposeConfig(resolved, repoDir).filter((service) => !inactive.has(service.name))
  // Compose v1 accepts a file without services, and deploying it would take the whole stack down.
  if (services.length === 0) throw noServices()
  if (config.target === 'swarm' && config.secrets.length > 0) {
    // Swarm starts the tasks itself, on any node: kedge could neither hand them env files nor put files in them.
    throw new InvalidConfigError(config.file ?? 'kedge.yaml', 'secrets', 'SOPS files are given to Compose stacks; a swarm stack (docker.target: swarm) cannot take them', {
      hint: "use Swarm's own secrets (secrets: in the compose file), or deploy the stack with Compose",
    })
  }
  const unknown = config.secrets.flatMap((entry) => (entry.services ?? []).filter((name) => !services.some((service) => service.name === name)).map((name) => ({entry, name})))
  if (unknown.length > 0) {
    const [{entry, name}] = unknown as [(typeof unknown)[number]]
    throw new InvalidConfigError(config.file ?? 'kedge.yaml', 'secrets', `${entry.file} is for service "${name}", which the stack does not have`, {hint: 'name services of the compose files, or leave services out for every service'})
  }
  // Decrypted in memory, to know which services a changed secret changes; applyStack decrypts again from the placed files.
  const digests = secretDigests(context, await openStackSecrets(context, repository, repoDir, config.secrets), services.map((service) => service.name))
  const ids = await context.git.objectIds(repoDir, commit, [...new Set(services.flatMap((service) => service.repositoryPaths))], signal)
  // Swarm builds nothing (every node pulls what `image:` names): a swarm stack's build sections are Swarm's to refuse.
  const tags = config.target === 'swarm' ? new Map<string, string>() : await readBuildTags(context, repoDir, commit, project, services, composeFiles.join(', '), signal)
  const composeTexts = composeFiles.map((file) => ({path: file, content: files.readComposeText(repoDir, stackDir, file)}))
  const declared = declaredOnFileChange(composeTexts)
  return {
    config,
    resolved,
    snapshot: {
      version: 1,
      commit,
      project,
      stackPath: stack.path,
      composeFiles: composeTexts,
      kedgeConfig: kedgeConfigText,
      ...(checkout.stack ? {stack: {name: stack.name, config: checkout.stack.config}} : {}),
      placedPaths: withSecretFiles(readStackSelection(files, repoDir, stack.path, composeFiles, config.file, resolved), config),
      ...(config.target === 'swarm' ? {target: 'swarm' as const} : {}),
      services: services.map((resolvedService) => {
        const tag = tags.get(resolvedService.name)
        // A built service is hashed with its tag as its image: its hash changes when what it builds from does.
        const service = tag === undefined ? resolvedService : withBuiltImage(resolvedService, tag)
        // Compose v1 drops the extension when it merges several files: then it is read from them.
        const onChange = service.onFileChange ?? declared.get(service.name)?.value
        const hashes = hashesOf(service, ids, parseOnFileChange(onChange, declared.get(service.name)?.file ?? composeFiles.join(', '), service.name))
        const {files} = hashes
        const digest = digests.get(service.name)
        const hash = withSecretsDigest(hashes.hash, digest)
        const same = previous?.services.find((old) => old.name === service.name)
        const {unchanged, formerHashes} = carriedHashes(hash, formerServiceHashes(service, ids).map((former) => withSecretsDigest(former, digest)), same)
        return {
          name: service.name,
          image: service.image,
          replicas: service.replicas,
          oneShot: service.oneShot,
          joins: service.joins,
          hash,
          formerHashes,
          commit: unchanged && same ? same.commit : commit,
          ...(files ? {files} : {}),
          ...(tag === undefined ? {} : {build: {tag}}),
        }
      }),
    },
  }
}

/** The stack's files, and the SOPS files it declares: applyStack reads them from the stack directory, and releases keep them for a rollback. */
function withSecretFiles(placed: string[] | undefined, config: KedgeConfig): string[] | undefined {
  if (placed === undefined || config.secrets.length === 0) return placed
  return [...new Set([...placed, ...config.secrets.map((entry) => entry.file)])]
}

/**
 * The Compose project name: kedge.yaml's `docker.project_name`, else the top-level `name:` of the compose
 * files (the last one that sets it, as Compose merges them), else the repository's name. kedge always
 * passes it to Compose, so a name Compose would refuse is refused here, naming the file.
 */
export function resolveProjectName(
  files: RepositoryFiles,
  repoRoot: string,
  stackDir: string,
  config: KedgeConfig,
  composeFiles: readonly string[],
  repository: string,
): ProjectName {
  if (config.projectName !== undefined) return {name: config.projectName, source: 'kedge.yaml', file: config.file}
  let named: ProjectName | null = null
  for (const file of composeFiles) {
    const document = readYamlOrNull(files, repoRoot, stackDir, file)
    if (!document || typeof document !== 'object' || !('name' in document)) continue
    const value = (document as {name: unknown}).name
    if (value === null || value === undefined) continue
    const shown = path.relative(repoRoot, path.resolve(stackDir, file))
    if (typeof value !== 'string' || !PROJECT_NAME_PATTERN.test(value)) throw invalidComposeName(shown, value)
    named = {name: value, source: 'compose file', file: shown}
  }
  return named ?? {name: defaultProjectName(repository), source: 'repository name', file: null}
}

/**
 * A stack kedge already runs under the repository's name stays there when a compose file's `name:`
 * appears or differs: moving it would recreate every container, and Compose names its named volumes after
 * the project, so the services would come up on new, empty volumes. `docker.project_name` moves it on
 * purpose.
 */
export function keptProjectName(resolved: ProjectName, previous: Pick<StackSnapshot, 'project'> | null, repository: string): string {
  const runsUnderRepositoryName = previous !== null && previous.project === defaultProjectName(repository)
  return resolved.source === 'compose file' && runsUnderRepositoryName ? previous.project : resolved.name
}

function invalidComposeName(file: string, value: unknown): InvalidConfigError {
  const given = typeof value === 'string' ? quoted(value) : `a ${Array.isArray(value) ? 'list' : typeof value}`
  const interpolated = typeof value === 'string' && value.includes('$')
  return new InvalidConfigError(
    file,
    'name',
    interpolated
      ? `${given}: kedge needs a project name fixed in the file, without variables`
      : `${given} is not a Compose project name: expected lower-case letters, digits, "-" and "_", starting with a letter or digit`,
    {hint: 'fix the name, or set docker.project_name in kedge.yaml, which takes precedence'},
  )
}

/**
 * Services that belong only to profiles kedge.yaml does not enable. Compose v2 leaves them out of `config`
 * already; v1 prints every service, and `up` of one by name would start it whatever its profiles.
 */
function servicesOfOtherProfiles(resolved: string, enabled: readonly string[]): Set<string> {
  if (!resolved.includes('profiles:')) return new Set()
  // Compose's own output, not a file of the repository: parsed in linear time, without a bound on its tokens.
  const services = ((parseBoundedYaml(resolved, {maxTokens: Infinity}) as {services?: Record<string, {profiles?: unknown}>} | null)?.services ?? {})
  return new Set(
    Object.entries(services)
      .filter(([, service]) => Array.isArray(service?.profiles) && service.profiles.length > 0 && !service.profiles.some((profile) => enabled.includes(String(profile))))
      .map(([name]) => name),
  )
}

/** The snapshot of what runs now: the last good deployment's. */
export function deployedSnapshot(context: ReadContext, stack: Pick<StackRow, 'id'>): StackSnapshot | null {
  return parseSnapshot(context.store.lastGoodDeployment(stack.id)?.snapshot ?? null)
}

/**
 * A compose file as YAML, to say where Compose's refusal points and which name it sets; null when it is
 * not valid YAML (Compose says why). The file was checked by resolveComposeFiles, so that reading it is
 * safe and parsing it bounded.
 */
function readYamlOrNull(files: RepositoryFiles, repoRoot: string, stackDir: string, file: string): unknown {
  const text = files.readComposeText(repoRoot, stackDir, file)
  try {
    return parseComposeYaml(text, file)
  } catch {
    return null
  }
}
