import {createHash} from 'node:crypto'
import path from 'node:path'

import {InvalidInputError, quoted} from '../errors.js'

/**
 * Where the Docker CLI keeps a context (`docker context create`), checked against the CLI: its metadata in
 * `<DOCKER_CONFIG>/contexts/meta/<sha256 of the name, hex>/meta.json`, and the TLS files it was given in
 * `<DOCKER_CONFIG>/contexts/tls/<the same hash>/docker/{ca,cert,key}.pem`.
 */

/** The CLI's own rule for a context's name: a name it refuses names no context. */
const CONTEXT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/

/** The context the CLI makes up from DOCKER_HOST or the default socket: it has no files to read. */
export const DEFAULT_CONTEXT = 'default'

export interface DockerContextFiles {
  meta: string
  tlsDirectory: string
  ca: string
  cert: string
  key: string
}

/** The Docker CLI's configuration directory: DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDirectory(env: Readonly<Record<string, string | undefined>>, homeDirectory: string): string {
  return env.DOCKER_CONFIG ? path.resolve(env.DOCKER_CONFIG) : path.join(homeDirectory, '.docker')
}

/** The files of the context named `name`, or a one-line error when no context can have that name. */
export function dockerContextFiles(dockerConfig: string, name: string): DockerContextFiles {
  if (name === DEFAULT_CONTEXT) {
    throw new InvalidInputError('the Docker context "default" is not a context kedge can read: it is whatever DOCKER_HOST or the local socket is', {
      code: 'invalid_docker_context',
      hint: 'use the local engine for it, or name the context that points where you mean',
    })
  }
  if (!CONTEXT_NAME.test(name)) {
    throw new InvalidInputError(`${quoted(name)} is not a Docker context name`, {
      code: 'invalid_docker_context',
      hint: 'a context name is two or more of letters, digits, "_", ".", "+" and "-", starting with a letter or digit; `docker context ls` lists them',
    })
  }
  const hash = createHash('sha256').update(name).digest('hex')
  const tlsDirectory = path.join(dockerConfig, 'contexts', 'tls', hash, 'docker')
  return {
    meta: path.join(dockerConfig, 'contexts', 'meta', hash, 'meta.json'),
    tlsDirectory,
    ca: path.join(tlsDirectory, 'ca.pem'),
    cert: path.join(tlsDirectory, 'cert.pem'),
    key: path.join(tlsDirectory, 'key.pem'),
  }
}

export interface DockerContextEndpoint {
  /** As the context holds it: `DOCKER_HOST`'s form, parsed by parseEngineHost. */
  host: string
  skipTlsVerify: boolean
}

/**
 * The docker endpoint of a context's meta.json, which the CLI writes as
 * `{"Name":…,"Metadata":{…},"Endpoints":{"docker":{"Host":…,"SkipTLSVerify":…}}}`.
 */
export function parseDockerContextMeta(text: string, name: string): DockerContextEndpoint {
  let meta: unknown
  try {
    meta = JSON.parse(text)
  } catch (error) {
    throw unreadable(name, `its meta.json is not JSON (${(error as Error).message})`)
  }
  if (!isObject(meta)) throw unreadable(name, 'its meta.json is not a JSON object')
  if (meta.Name !== name) throw unreadable(name, `its meta.json names another context, ${quoted(String(meta.Name))}`)
  const docker = isObject(meta.Endpoints) ? meta.Endpoints.docker : undefined
  if (!isObject(docker)) throw unreadable(name, 'it has no docker endpoint (Endpoints.docker)')
  if (typeof docker.Host !== 'string' || docker.Host.trim() === '') throw unreadable(name, 'its docker endpoint has no Host')
  const skip = docker.SkipTLSVerify ?? false
  if (typeof skip !== 'boolean') throw unreadable(name, 'its docker endpoint\'s SkipTLSVerify is not true or false')
  return {host: docker.Host, skipTlsVerify: skip}
}

function unreadable(name: string, why: string): InvalidInputError {
  return new InvalidInputError(`kedge cannot read the Docker context ${quoted(name)}: ${why}`, {
    code: 'invalid_docker_context',
    hint: `create it again with \`docker context create ${name} --docker host=…\``,
  })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
