import {endpointText, isLoopback, type EngineEndpoint} from '../../model/engine/engine-endpoint.js'
import type {EngineIdentity} from '../../model/engine/engine-identity.js'
import {InvalidInputError} from '../../model/errors.js'
import {registerSecret} from '../../model/secrets/redaction.js'
import {createPrivateDirectory, removePrivateDirectory, writePrivateFile} from '../process/private-directory.js'
import {createDockerEngine, type DockerEngine} from './docker-engine.js'
import type {EngineDescription} from './engine-errors.js'
import type {ClosableTransport} from './engine-request.js'
import {SshTunnel} from './ssh-tunnel.js'
import {tcpTransport} from './tcp-transport.js'
import {tunnelTransport} from './tunnel-transport.js'
import {unixTransport} from './unix-transport.js'

/** What kedge reaches an engine with, opened from its sealed store for as long as the connection lasts. */
export interface EngineMaterial {
  /** For tcp://: the engine's CA, and kedge's client certificate and key (PEM). */
  tls?: {ca: string; cert: string; key: string}
  /** For ssh://: kedge's private key. Without it, ssh runs with the configuration of the user kedge runs as. */
  sshKey?: string
  /** For ssh:// with sshKey: the host keys kedge trusts; empty, the first one seen is trusted (onHostKeyLearned). */
  knownHosts?: string
}

export interface EngineConnection {
  readonly engine: DockerEngine
  /**
   * DOCKER_HOST (and DOCKER_TLS_VERIFY=1, DOCKER_CERT_PATH=<private dir with ca.pem cert.pem key.pem>) for
   * Compose, the docker CLI and hooks, so they reach the same engine; for ssh, DOCKER_HOST=unix://<tunnel socket>
   */
  readonly environment: Record<string, string>
  /** Ends the connection: its keep-alive connections, its ssh tunnel, and its private files. */
  close(): void
}

export interface ConnectOptions {
  /** Told the known_hosts text once ssh accepted the engine's host key on first use, for the caller to store. */
  onHostKeyLearned?: (knownHostsLines: string) => void
}

/**
 * The engine `name` at `endpoint`, and the environment through which kedge's tools reach the same one.
 * An ssh:// engine resolves once its tunnel is open, and fails with ssh's refusal (a changed host key, a
 * refused key) when it cannot be; the others resolve at once, and a request says whether they answer.
 */
export async function connectEngine(name: string, endpoint: EngineEndpoint, material: EngineMaterial, options: ConnectOptions = {}): Promise<EngineConnection> {
  const described = describeEngine(name, endpoint)
  if (endpoint.kind === 'unix') {
    return {engine: createDockerEngine(unixTransport(endpoint.path), described), environment: {DOCKER_HOST: endpointText(endpoint)}, close: () => {}}
  }
  if (endpoint.kind === 'tcp') return connectOverTcp(endpoint, material, described)
  const tunnel = await SshTunnel.open({
    endpoint,
    engineName: name,
    subject: described.subject,
    key: material.sshKey ? {privateKey: material.sshKey, knownHosts: material.knownHosts ?? ''} : null,
    onHostKeyLearned: options.onHostKeyLearned,
  })
  return connection(tunnelTransport(tunnel), described, {DOCKER_HOST: `unix://${tunnel.socketPath}`}, () => {})
}

/** Which engine answers: its ID (what tells a reinstalled or another engine from the one kedge knew), name, version and swarm. */
export function identifyEngine(engine: DockerEngine): Promise<EngineIdentity> {
  return engine.identify()
}

function connectOverTcp(endpoint: Extract<EngineEndpoint, {kind: 'tcp'}>, material: EngineMaterial, described: EngineDescription): EngineConnection {
  const {tls} = material
  if (!tls) {
    if (!isLoopback(endpoint)) {
      throw new InvalidInputError(`${described.subject} is reached over the network, and kedge reaches it with TLS only`, {
        code: 'invalid_engine_tls',
        hint: 'give kedge the engine\'s ca.pem and a client cert.pem and key.pem (dockerd with --tlsverify)',
      })
    }
    const transport = tcpTransport({host: endpoint.host, port: endpoint.port, tls: null, subject: described.subject})
    return connection(transport, described, {DOCKER_HOST: endpointText(endpoint)}, () => {})
  }
  registerSecret(tls.key)
  const transport = tcpTransport({host: endpoint.host, port: endpoint.port, tls, subject: described.subject})
  // The CLIs read TLS material from files only (DOCKER_CERT_PATH): written where only kedge can read them, and removed with the connection.
  let certificates: string
  try {
    certificates = createPrivateDirectory()
  } catch (error) {
    transport.close()
    throw error
  }
  try {
    writePrivateFile(certificates, 'ca.pem', tls.ca)
    writePrivateFile(certificates, 'cert.pem', tls.cert)
    writePrivateFile(certificates, 'key.pem', tls.key)
  } catch (error) {
    transport.close()
    removePrivateDirectory(certificates)
    throw error
  }
  const environment = {DOCKER_HOST: endpointText(endpoint), DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certificates}
  return connection(transport, described, environment, () => removePrivateDirectory(certificates))
}

function connection(transport: ClosableTransport, described: EngineDescription, environment: Record<string, string>, release: () => void): EngineConnection {
  let closed = false
  return {
    engine: createDockerEngine(transport, described),
    environment,
    close: () => {
      if (closed) return
      closed = true
      transport.close()
      release()
    },
  }
}

/** How errors name the engine, and what they ask a person to check for each way of reaching it. */
function describeEngine(name: string, endpoint: EngineEndpoint): EngineDescription {
  const subject = `the Docker engine ${name} (${endpointText(endpoint)})`
  if (endpoint.kind === 'unix') {
    return {
      subject,
      unreachableHint: `check that dockerd runs and listens on ${endpoint.path}`,
      wedgedHint: 'dockerd takes connections but does not answer: check it with `docker info` and its log, and restart it if it stays stuck',
    }
  }
  const wedgedHint = `dockerd on ${endpoint.host} takes connections but does not answer: check it with \`docker info\` there and its log, and restart it if it stays stuck`
  if (endpoint.kind === 'tcp') {
    return {subject, unreachableHint: `check that dockerd on ${endpoint.host} listens on port ${endpoint.port} and that this machine reaches it`, wedgedHint}
  }
  return {
    subject,
    unreachableHint: `check that dockerd runs on ${endpoint.host} and that ${endpoint.user ?? 'the ssh user'} may open ${endpoint.socket} there (the docker group)`,
    wedgedHint,
  }
}
