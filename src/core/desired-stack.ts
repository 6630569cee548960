import {existsSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {parse as parseYaml} from 'yaml'

import {composeConfig} from '../adapters/compose.js'
import {objectIds} from '../adapters/git.js'
import {resolveComposeFiles} from '../config/compose-files.js'
import {loadKedgeConfig, type KedgeConfig} from '../config/kedge-config.js'
import {ComposeFailedError, InvalidConfigError, InvalidInputError} from '../errors.js'
import {lastGoodDeployment} from '../store/deployments.js'
import type {RepositoryRow} from '../store/schema.js'
import {COMPOSE_V2_HINT, isEmptyProject, locateComposeError, needsComposeV2} from './compose-errors.js'
import {formerServiceHashes, parseComposeConfig} from './compose-model.js'
import type {KedgeContext} from './context.js'
import {declaredOnFileChange, hashesOf, parseOnFileChange} from './file-change.js'
import {readStackSelection} from './stack-selection.js'
import {parseSnapshot, type StackSnapshot} from './stack-snapshot.js'

export interface DesiredStack {
  config: KedgeConfig
  snapshot: StackSnapshot
}

/**
 * Reads what the commit checked out in the repository's clone wants: kedge.yaml, the compose files as
 * Compose itself resolves them (which validates them), and kedge's hash of each service.
 */
export async function readDesiredStack(repoDir: string, repository: RepositoryRow, commit: string, previous: StackSnapshot | null, signal?: AbortSignal): Promise<DesiredStack> {
  const stackDir = path.join(repoDir, repository.path)
  if (!existsSync(stackDir) || !statSync(stackDir).isDirectory()) {
    throw new InvalidInputError(`path "${repository.path}" does not exist at commit ${commit.slice(0, 7)}`, {code: 'invalid_path'})
  }
  const config = loadKedgeConfig(repoDir, stackDir)
  const composeFiles = resolveComposeFiles(repoDir, stackDir, config)
  const project = config.projectName ?? defaultProjectName(repository.name)
  const noServices = (cause?: unknown) =>
    new InvalidConfigError(composeFiles.join(', '), 'services', 'none defined; kedge does not deploy an empty stack', {
      hint: `to take the stack down, run "kedge repo remove ${repository.name} --down"`,
      cause,
    })
  let resolved: string
  try {
    resolved = await composeConfig({name: project, files: composeFiles, directory: stackDir}, {signal})
  } catch (error) {
    if (!(error instanceof ComposeFailedError)) throw error
    if (isEmptyProject(error.reason)) throw noServices(error)
    const tooOld = needsComposeV2(error.reason)
    if (tooOld) throw new ComposeFailedError(error.action, tooOld, {cause: error, hint: COMPOSE_V2_HINT})
    const documents = composeFiles.map((file) => readYamlOrNull(path.join(stackDir, file)))
    throw new ComposeFailedError(error.action, locateComposeError(error.reason, documents), {cause: error})
  }
  const services = parseComposeConfig(resolved, repoDir)
  // Compose v1 accepts a file without services, and deploying it would take the whole stack down.
  if (services.length === 0) throw noServices()
  const ids = await objectIds(repoDir, commit, [...new Set(services.flatMap((service) => service.repositoryPaths))], signal)
  const composeTexts = composeFiles.map((file) => ({path: file, content: readFileSync(path.join(stackDir, file), 'utf8')}))
  const declared = declaredOnFileChange(composeTexts)
  return {
    config,
    snapshot: {
      version: 1,
      commit,
      project,
      stackPath: repository.path,
      composeFiles: composeTexts,
      kedgeConfig: config.file ? {path: config.file, content: readFileSync(path.join(repoDir, config.file), 'utf8')} : null,
      placedPaths: readStackSelection(repoDir, repository.path, composeFiles, config.file, resolved),
      services: services.map((service) => {
        // Compose v1 drops the extension when it merges several files: then it is read from them.
        const onChange = service.onFileChange ?? declared.get(service.name)?.value
        const {hash, files} = hashesOf(service, ids, parseOnFileChange(onChange, declared.get(service.name)?.file ?? composeFiles.join(', '), service.name))
        const formerHashes = formerServiceHashes(service, ids)
        const unchanged = previous?.services.find((old) => old.name === service.name && (old.hash === hash || formerHashes.includes(old.hash)))
        return {
          name: service.name,
          image: service.image,
          replicas: service.replicas,
          oneShot: service.oneShot,
          joins: service.joins,
          hash,
          formerHashes,
          commit: unchanged?.commit ?? commit,
          ...(files ? {files} : {}),
        }
      }),
    },
  }
}

/** A repository name as a Compose project name, which may not contain ".". */
export function defaultProjectName(repository: string): string {
  return repository.replaceAll('.', '-')
}

/** The snapshot of what runs now: the last good deployment's. */
export function deployedSnapshot(context: KedgeContext, repository: RepositoryRow): StackSnapshot | null {
  return parseSnapshot(lastGoodDeployment(context.db, repository.id)?.snapshot ?? null)
}

/** A compose file as YAML, to say where Compose's refusal points; null when kedge cannot read it (Compose said why). */
function readYamlOrNull(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8'))
  } catch {
    return null
  }
}
