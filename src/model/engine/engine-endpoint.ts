import {InvalidInputError, quoted} from '../errors.js'

/**
 * Where a Docker engine listens, as kedge reaches it: a unix socket on this machine, a TCP port (spoken
 * to over TLS unless it is this machine's own), or a unix socket on another machine reached through ssh.
 */
export type EngineEndpoint =
  | {kind: 'unix'; path: string}
  | {kind: 'tcp'; host: string; port: number}
  | {kind: 'ssh'; user: string | null; host: string; port: number; socket: string}

/** The port Docker's TLS listener takes by convention (2375 is the same without TLS). */
export const DEFAULT_TCP_PORT = 2376
export const DEFAULT_SSH_PORT = 22
/** The socket a Linux dockerd listens on, which an ssh:// address without a path reaches. */
export const DEFAULT_REMOTE_SOCKET = '/var/run/docker.sock'

/** The variables through which a Docker client picks its engine: kedge sets them itself for the tools it runs. */
export const DOCKER_ENDPOINT_VARIABLES = ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_TLS'] as const

const FORMS_HINT = 'give unix:///path/to/docker.sock, tcp://host[:port] (TLS, port 2376 unless given) or ssh://[user@]host[:port][/path/to/docker.sock]'

/**
 * A user or host name ssh is given as one argument: one that began with "-" would be read as an option
 * (`-oProxyCommand=…`), and white space, "@" or ":" would split it differently than it was written.
 */
const SSH_USER = /^[A-Za-z0-9_.][A-Za-z0-9_.$-]*$/
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/

/** The engine address a person or a Docker context gave (`DOCKER_HOST`'s forms kedge can reach), or a one-line error saying why not. */
export function parseEngineHost(text: string): EngineEndpoint {
  const given = text.trim()
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(given)?.[1]?.toLowerCase()
  if (scheme === 'unix') return parseUnix(given)
  if (scheme === 'tcp' || scheme === 'ssh') return parseNetworked(given, scheme)
  if (scheme === 'npipe') throw invalid(`${quoted(given)} is a Windows named pipe, which kedge cannot reach`, FORMS_HINT)
  if (scheme === 'http' || scheme === 'https') {
    throw invalid(`${quoted(given)}: Docker's engine addresses are tcp://, not ${scheme}://`, 'write it as tcp://host:port; kedge speaks TLS to it when given the engine\'s certificates')
  }
  if (scheme !== undefined) throw invalid(`${quoted(given)} is not an engine address kedge can reach (${scheme}://)`, FORMS_HINT)
  throw invalid(`${quoted(given)} is not an engine address: it has no unix://, tcp:// or ssh:// in front`, FORMS_HINT)
}

function parseUnix(given: string): EngineEndpoint {
  const socketPath = given.slice('unix://'.length)
  if (!socketPath.startsWith('/')) {
    throw invalid(`${quoted(given)} does not name a socket by its absolute path`, 'write unix:// followed by the path from /, as in unix:///var/run/docker.sock')
  }
  if (hasControlCharacter(socketPath)) throw invalid(`${quoted(given)} holds a control character`, FORMS_HINT)
  return {kind: 'unix', path: socketPath}
}

function parseNetworked(given: string, scheme: 'tcp' | 'ssh'): EngineEndpoint {
  let url: URL
  try {
    url = new URL(given)
  } catch {
    throw invalid(`${quoted(withoutPassword(given))} is not a valid ${scheme}:// address`, portOrHostHint(scheme))
  }
  if (url.password !== '' || (scheme === 'tcp' && url.username !== '')) {
    // The credentials are left out of the message: it is logged and shown.
    throw invalid(`the engine address ${scheme}://${url.host}${scheme === 'ssh' ? url.pathname : ''} holds credentials, which kedge never takes in an address`, scheme === 'ssh'
      ? 'give the user only (ssh://user@host); kedge logs in with the ssh key it is given'
      : 'a Docker engine over tcp:// takes a TLS client certificate, not a user name or password')
  }
  if (url.search !== '' || url.hash !== '') throw invalid(`${quoted(given)} has a query or fragment, which an engine address never has`, FORMS_HINT)
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  if (host === '') throw invalid(`${quoted(given)} names no host`, portOrHostHint(scheme))
  if (!url.hostname.startsWith('[') && !HOST_NAME.test(host)) throw invalid(`${quoted(given)} has a host name kedge does not take: ${quoted(host)}`, portOrHostHint(scheme))
  const port = url.port === '' ? (scheme === 'tcp' ? DEFAULT_TCP_PORT : DEFAULT_SSH_PORT) : Number(url.port)
  if (port === 0) throw invalid(`${quoted(given)} names port 0`, portOrHostHint(scheme))
  if (scheme === 'tcp') {
    if (url.pathname !== '' && url.pathname !== '/') throw invalid(`${quoted(given)} has a path, which a tcp:// engine address never has`, portOrHostHint(scheme))
    return {kind: 'tcp', host, port}
  }
  return {kind: 'ssh', user: sshUser(given, url), host, port, socket: remoteSocket(given, url)}
}

function sshUser(given: string, url: URL): string | null {
  if (url.username === '') return null
  const user = decodeURIComponent(url.username)
  if (!SSH_USER.test(user)) throw invalid(`${quoted(given)} has a user name kedge does not pass to ssh: ${quoted(user)}`, 'a user name of letters, digits, ".", "_", "-" and "$", not starting with "-"')
  return user
}

function remoteSocket(given: string, url: URL): string {
  if (url.pathname === '' || url.pathname === '/') return DEFAULT_REMOTE_SOCKET
  const socketPath = decodeURIComponent(url.pathname)
  // ssh's -L reads "local:remote": a colon in the remote path would split it elsewhere.
  if (socketPath.includes(':') || hasControlCharacter(socketPath)) {
    throw invalid(`${quoted(given)} names a remote socket path with a colon or a control character, which ssh cannot forward`, 'move or link the socket to a plain path')
  }
  return socketPath
}

/** The address written one way only (every port, the default remote socket left out), so that two spellings of one engine compare equal. */
export function endpointText(endpoint: EngineEndpoint): string {
  if (endpoint.kind === 'unix') return `unix://${endpoint.path}`
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host
  if (endpoint.kind === 'tcp') return `tcp://${host}:${endpoint.port}`
  const user = endpoint.user === null ? '' : `${endpoint.user}@`
  const socket = endpoint.socket === DEFAULT_REMOTE_SOCKET ? '' : endpoint.socket
  return `ssh://${user}${host}:${endpoint.port}${socket}`
}

/**
 * Whether the engine is on this machine, so nothing sent to it crosses a network: a unix socket, or a
 * tcp:// or ssh:// address of the loopback interface. Plain tcp:// without TLS is taken for these only.
 */
export function isLoopback(endpoint: EngineEndpoint): boolean {
  if (endpoint.kind === 'unix') return true
  const host = endpoint.host.toLowerCase()
  return host === 'localhost' || host === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * The environment without the variables that choose a Docker engine: the tools kedge runs for an engine
 * get that engine's own, and an inherited one would win over them (DOCKER_HOST silently overrides
 * DOCKER_CONTEXT) and send them to another engine than the one kedge lists.
 */
export function withoutDockerEndpoint<T extends Record<string, string | undefined>>(env: T): T {
  const kept = {...env}
  for (const name of DOCKER_ENDPOINT_VARIABLES) delete kept[name]
  return kept
}

function portOrHostHint(scheme: 'tcp' | 'ssh'): string {
  return scheme === 'tcp' ? 'write tcp://host:port, with a port from 1 to 65535 (2376 when left out)' : 'write ssh://[user@]host[:port][/path/to/docker.sock], with a port from 1 to 65535 (22 when left out)'
}

/** The address as a person may be shown it: a password in it replaced, as redact() would. */
function withoutPassword(given: string): string {
  return given.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@')
}

function hasControlCharacter(text: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(text)
}

function invalid(message: string, hint: string): InvalidInputError {
  return new InvalidInputError(message, {code: 'invalid_engine_host', hint})
}
