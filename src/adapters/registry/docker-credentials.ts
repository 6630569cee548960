import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {registryCredentialsKey} from '../../model/compose/image-reference.js'
import {quoted} from '../../model/errors.js'
import {registerSecret} from '../../model/secrets/redaction.js'
import {runChild} from '../process/child-process.js'
import {registryAuthFailed, registryFailed} from './registry-errors.js'

/**
 * What the Docker CLI would authenticate to a registry with, read from its config.json as the CLI reads
 * it (cli/config/configfile): a user name and password, or an identity token (a refresh token for the
 * registry's OAuth2 token service, which `docker login` keeps for registries such as ACR).
 */
export type RegistryCredentials =
  | {kind: 'password'; username: string; password: string}
  | {kind: 'identity-token'; username: string; identityToken: string}

export interface CredentialsRequest {
  /** DOCKER_CONFIG: the directory of config.json. */
  dockerConfigDir: string
  /** The registry's host (and port), as the image reference names it (Docker Hub: registry-1.docker.io). */
  registry: string
  /** The image reference the credentials are for: errors name it. */
  reference: string
  /** The environment a credential helper runs with (it may need HOME, PATH, a D-Bus session). */
  env: NodeJS.ProcessEnv
  signal?: AbortSignal
}

/** Longer than a credential helper takes to answer from its store; a helper that prompts would wait forever. */
export const CREDENTIAL_HELPER_TIMEOUT_MS = 10_000
/** More than any `{ServerURL, Username, Secret}` answer. */
const HELPER_OUTPUT_MAX_BYTES = 64 * 1024
/** What a helper says when it holds nothing for the server (docker-credential-helpers' ErrCredentialsNotFound): anonymous. */
const NOT_FOUND = /credentials not found/i
/** The user name a helper answers with when its secret is an identity token (the CLI's tokenUsername). */
const IDENTITY_TOKEN_USERNAME = '<token>'
/** A helper is run by this name on PATH; a name with a path in it would run some other program. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

interface AuthEntry {
  auth?: unknown
  username?: unknown
  password?: unknown
  identitytoken?: unknown
}

interface ConfigFile {
  auths?: Record<string, AuthEntry>
  credHelpers?: Record<string, unknown>
  credsStore?: unknown
}

/**
 * The credentials for `registry` in `<dockerConfigDir>/config.json`: from the credential helper it names
 * for the registry (`credHelpers`), else from its credential store (`credsStore`), else from its `auths`.
 * Null when there are none, which is anonymous access, as for Docker; a config.json that is missing is
 * none. Every secret read is registered for redaction before anything else is done with it.
 */
export async function readRegistryCredentials(request: CredentialsRequest): Promise<RegistryCredentials | null> {
  const file = path.join(request.dockerConfigDir, 'config.json')
  const config = await readConfigFile(file, request)
  if (config === null) return null
  const key = registryCredentialsKey(request.registry)
  // A registry's own entry in credHelpers wins over credsStore, even an empty one (which means config.json's auths).
  const ownHelper = config.credHelpers?.[key]
  const helper = typeof ownHelper === 'string' ? ownHelper : stringField(config.credsStore)
  if (helper) return askHelper(helper, key, file, request)
  return fromAuths(config.auths ?? {}, key, file, request)
}

async function readConfigFile(file: string, request: CredentialsRequest): Promise<ConfigFile | null> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw registryAuthFailed(request, `kedge cannot read its credentials in ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`, `kedge reads the Docker credentials of the user it runs as: check ${file}'s owner and mode`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    // JSON.parse's message quotes the text around the fault, which may be a password: it is left out.
    throw registryAuthFailed(request, `${file}, where its credentials would be, is not valid JSON`, `fix ${file} (\`docker login\` writes it), or remove it for anonymous access`)
  }
  if (!isObject(parsed) || !isOptionalObject(parsed.auths) || !isOptionalObject(parsed.credHelpers)) {
    throw registryAuthFailed(request, `${file}, where its credentials would be, is not a Docker configuration file`, `fix ${file}: "auths" and "credHelpers" are objects, keyed by registry`)
  }
  return parsed as ConfigFile
}

/**
 * The entry for `key` in `auths`, else (as the CLI does for files of older versions) the first whose key,
 * once stripped of its scheme and path (`https://ghcr.io/v1/`), is the registry's host.
 */
function fromAuths(auths: Record<string, AuthEntry>, key: string, file: string, request: CredentialsRequest): RegistryCredentials | null {
  const entry = auths[key] ?? Object.entries(auths).find(([name]) => hostnameOf(name) === key)?.[1]
  if (!isObject(entry)) return null
  const auth = stringField(entry.auth)
  let username = stringField(entry.username) ?? ''
  let password = stringField(entry.password) ?? ''
  registerSecret(auth)
  registerSecret(password)
  if (auth) {
    const decoded = Buffer.from(auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon === -1) {
      throw registryAuthFailed(request, `the "auth" of ${key} in ${file} is not base64 of user:password`, `log in again: ${loginCommand(request.registry, request.dockerConfigDir)}`)
    }
    username = decoded.slice(0, colon)
    password = decoded.slice(colon + 1)
    registerSecret(password)
  }
  const identityToken = stringField(entry.identitytoken)
  if (identityToken) {
    registerSecret(identityToken)
    return {kind: 'identity-token', username, identityToken}
  }
  return username || password ? {kind: 'password', username, password} : null
}

/**
 * `docker-credential-<helper> get`, given the server address on its standard input as the CLI gives it,
 * answering `{"ServerURL", "Username", "Secret"}`. Its output is never put in an error: it holds the secret.
 */
async function askHelper(helper: string, key: string, file: string, request: CredentialsRequest): Promise<RegistryCredentials | null> {
  const program = `docker-credential-${helper}`
  if (!HELPER_NAME.test(helper)) {
    throw registryAuthFailed(request, `${file} names the credential helper ${quoted(helper)}, which is not a helper's name`, `fix "credsStore" or "credHelpers" in ${file}: they name a helper by what follows docker-credential- in its program's name`)
  }
  let outcome
  try {
    outcome = await runChild({
      file: program,
      args: ['get'],
      env: request.env,
      input: key,
      timeoutMs: CREDENTIAL_HELPER_TIMEOUT_MS,
      signal: request.signal,
      maxStdoutBytes: HELPER_OUTPUT_MAX_BYTES,
    })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw registryAuthFailed(request, `the credential helper ${program} ${code === 'ENOENT' ? 'is not installed' : `could not be started (${code ?? 'unknown error'})`}`, `install ${program} on kedge's PATH, or remove it from ${file}`)
  }
  if (outcome.stopped === 'aborted') throw registryFailed(request, 'abandoned', 'the work the question was part of was abandoned')
  if (outcome.stopped === 'timeout') {
    throw registryAuthFailed(request, `the credential helper ${program} did not answer within ${CREDENTIAL_HELPER_TIMEOUT_MS / 1000}s`, `check that \`${program} get\` answers without asking anything (kedge cannot unlock a keyring)`)
  }
  const stdout = outcome.stdout.toString('utf8')
  if (outcome.code !== 0) {
    if (NOT_FOUND.test(stdout) || NOT_FOUND.test(outcome.stderr)) return null
    throw registryAuthFailed(request, `the credential helper ${program} failed (${outcome.code === null ? `killed by ${outcome.signal}` : `exit status ${outcome.code}`})`, `run \`echo ${key} | ${program} get\` as the user kedge runs as to see why`)
  }
  let answer: unknown
  try {
    answer = JSON.parse(stdout)
  } catch {
    answer = null
  }
  if (!isObject(answer)) {
    throw registryAuthFailed(request, `the credential helper ${program} answered with something other than its JSON`, `run \`echo ${key} | ${program} get\` as the user kedge runs as to see its answer`)
  }
  const username = stringField(answer.Username) ?? ''
  const secret = stringField(answer.Secret) ?? ''
  registerSecret(secret)
  if (!secret) return null
  return username === IDENTITY_TOKEN_USERNAME ? {kind: 'identity-token', username: '', identityToken: secret} : {kind: 'password', username, password: secret}
}

/** The CLI's ConvertToHostname: `https://ghcr.io/v1/` → `ghcr.io`. */
function hostnameOf(key: string): string {
  return key.replace(/^https?:\/\//, '').split('/')[0]!
}

/** How the operator stores credentials for the registry where kedge reads them. */
export function loginCommand(registry: string, dockerConfigDir: string): string {
  const target = registryCredentialsKey(registry) === registry ? ` ${registry}` : ''
  return `\`DOCKER_CONFIG=${dockerConfigDir} docker login${target}\``
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isOptionalObject(value: unknown): boolean {
  return value === undefined || isObject(value)
}
