import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'

import {dockerConfigDirectory, dockerContextFiles, parseDockerContextMeta} from '../../model/engine/docker-context.js'
import {isLoopback, parseEngineHost, type EngineEndpoint} from '../../model/engine/engine-endpoint.js'
import {InvalidInputError, NotFoundError, quoted} from '../../model/errors.js'
import {registerSecret} from '../../model/secrets/redaction.js'

export interface DockerContext {
  endpoint: EngineEndpoint
  /** The TLS files the context was created with (`ca=…,cert=…,key=…`), for a tcp:// endpoint; null when it has none. */
  tls: {ca: string; cert: string; key: string} | null
}

/**
 * A Docker context of the user kedge runs as (`docker context create`), read as the Docker CLI reads it:
 * its endpoint, and its TLS files. It stays the operator's: kedge reads it, and never writes it.
 * `dockerConfig`: the CLI's configuration directory; DOCKER_CONFIG, else ~/.docker, unless given.
 */
export async function readDockerContext(name: string, options: {dockerConfig?: string} = {}): Promise<DockerContext> {
  const dockerConfig = options.dockerConfig ?? dockerConfigDirectory(process.env, homedir())
  const files = dockerContextFiles(dockerConfig, name)
  let metaText: string
  try {
    metaText = await readFile(files.meta, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadable(name, files.meta, error)
    throw new NotFoundError(`there is no Docker context named ${quoted(name)} in ${dockerConfig}`, {
      hint: `\`docker context ls\` lists them (with DOCKER_CONFIG=${dockerConfig} when kedge runs with another)`,
    })
  }
  const meta = parseDockerContextMeta(metaText, name)
  const endpoint = endpointOf(name, meta.host)
  if (endpoint.kind !== 'tcp') return {endpoint, tls: null}
  if (meta.skipTlsVerify) {
    throw new InvalidInputError(`the Docker context ${quoted(name)} skips the check of the engine's TLS certificate, which kedge never does`, {
      code: 'invalid_docker_context',
      hint: `create it again with the engine's CA: \`docker context create ${name} --docker host=${meta.host},ca=…,cert=…,key=…\``,
    })
  }
  const [ca, cert, key] = await Promise.all([files.ca, files.cert, files.key].map((file) => readIfPresent(name, file)))
  if (key) registerSecret(key)
  if (ca && cert && key) return {endpoint, tls: {ca, cert, key}}
  if (!ca && !cert && !key && isLoopback(endpoint)) return {endpoint, tls: null}
  throw new InvalidInputError(`the Docker context ${quoted(name)} does not hold the engine's CA, a client certificate and its key, which kedge needs to reach ${meta.host}`, {
    code: 'invalid_docker_context',
    hint: `create it again with all three: \`docker context create ${name} --docker host=${meta.host},ca=…,cert=…,key=…\``,
  })
}

function endpointOf(name: string, host: string): EngineEndpoint {
  try {
    return parseEngineHost(host)
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error
    throw new InvalidInputError(`the Docker context ${quoted(name)}: ${error.message}`, {code: error.code, hint: error.hint, cause: error})
  }
}

async function readIfPresent(name: string, file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw unreadable(name, file, error)
  }
}

function unreadable(name: string, file: string, error: unknown): InvalidInputError {
  return new InvalidInputError(`kedge cannot read ${file} of the Docker context ${quoted(name)}: ${(error as Error).message}`, {
    code: 'invalid_docker_context',
    hint: 'kedge reads the contexts of the user it runs as: check the files\' owner and modes',
    cause: error,
  })
}
