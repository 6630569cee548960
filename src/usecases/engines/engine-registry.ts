import {endpointText, isLoopback, parseEngineHost, type EngineEndpoint} from '../../model/engine/engine-endpoint.js'
import {checkEngineName, LOCAL_ENGINE} from '../../model/engine/engine-name.js'
import {checkTlsMaterial, type TlsMaterial} from '../../model/engine/tls-material.js'
import {ConflictError, InvalidInputError, NotFoundError} from '../../model/errors.js'
import {fingerprintOf, requireKnownHosts} from '../../model/repository/ssh-keys.js'
import type {EngineRow} from '../../model/rows.js'
import {registerSecret} from '../../model/secrets/redaction.js'
import type {EngineIdentity} from '../../ports/engines.js'
import type {KedgeContext, ReadContext} from '../context.js'
import {inputName, readInput, type InputText} from '../repositories/repository-auth.js'
import {engineSealBinding, openEngineMaterial} from './engine-material.js'
import {addressOf, connectRegistered, identityOf} from './stack-engine.js'

/** What `kedge engine add` was asked. */
export interface AddEngineRequest {
  name: string
  /** unix://, tcp:// or ssh://; or else `context`. */
  host?: string
  context?: string
  dockerConfig?: string
  tls?: {ca: InputText; cert: InputText; key: InputText}
  sshKey?: InputText
  knownHosts?: InputText
  /** Register it even if it does not answer now (its identity is then learned on first contact). */
  allowUnreachable?: boolean
}

/** An engine as `engine list` and the API show it: where it is, and the fingerprints of its material, never the material. */
export interface EngineView {
  name: string
  host: string | null
  context: string | null
  tls: {subject: string; issuer: string; notAfter: string; caFingerprint: string} | null
  sshKeyFingerprint: string | null
  knownHosts: boolean
  identity: string | null
  createdAt: string
}

export interface AddedEngine {
  engine: EngineView
  /** What the engine said when asked, or why it was not reached (with allowUnreachable). */
  reached: EngineIdentity | {error: string}
  warnings: string[]
}

/** Checks what can be checked without the home: the name and the address's form. */
export function checkAddEngineRequest(request: AddEngineRequest): EngineEndpoint | null {
  checkEngineName(request.name)
  if ((request.host === undefined) === (request.context === undefined)) {
    throw new InvalidInputError('give the engine either --host or --context', {code: 'invalid_usage', hint: 'kedge engine add web2 --host ssh://deploy@web2.example, or --context web2'})
  }
  if (request.context !== undefined) {
    if (request.tls || request.sshKey || request.knownHosts) {
      throw new InvalidInputError('a Docker context brings its own TLS material and ssh settings', {code: 'invalid_usage', hint: 'leave out --tls-* and --ssh-key with --context'})
    }
    if (request.context === 'default' || !/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/.test(request.context)) {
      throw new InvalidInputError(`"${request.context}" is not a Docker context kedge can use`, {code: 'invalid_name', hint: 'name a context of `docker context ls` other than default (the local engine needs no registration)'})
    }
    return null
  }
  const endpoint = parseEngineHost(request.host!)
  if (endpoint.kind === 'tcp' && !request.tls && !isLoopback(endpoint)) {
    throw new InvalidInputError(`${endpointText(endpoint)} would carry the engine's API, which gives root on that host, unencrypted and unauthenticated over the network`, {
      code: 'invalid_auth',
      hint: 'give the engine\'s TLS client material with --tls-dir (ca.pem, cert.pem, key.pem), or reach it over ssh://',
    })
  }
  if (request.tls && endpoint.kind !== 'tcp') throw new InvalidInputError('TLS material is for a tcp:// engine', {code: 'invalid_usage', hint: 'leave out --tls-* for unix:// and ssh://'})
  if (endpoint.kind === 'ssh' && !request.sshKey) {
    throw new InvalidInputError('an ssh:// engine needs the private key kedge logs in with', {code: 'invalid_auth', hint: 'add --ssh-key FILE (and --known-hosts FILE to pin the host key)'})
  }
  if ((request.sshKey || request.knownHosts) && endpoint.kind !== 'ssh') throw new InvalidInputError('an ssh key and known hosts are for an ssh:// engine', {code: 'invalid_usage', hint: 'leave out --ssh-key and --known-hosts'})
  return endpoint
}

/** Registers an engine: its material checked and sealed, then reached once to learn who it is. Refused input writes nothing. */
export async function addEngine(context: KedgeContext, request: AddEngineRequest): Promise<AddedEngine> {
  const endpoint = checkAddEngineRequest(request)
  if (context.store.findEngine(request.name)) throw new ConflictError(`an engine named ${request.name} is already registered`, {hint: `see it with "kedge engine list", or remove it with "kedge engine remove ${request.name}"`})
  const warnings: string[] = []
  const columns: Omit<EngineRow, 'id'> = {
    name: request.name,
    host: endpoint ? endpointText(endpoint) : null,
    context: request.context ?? null,
    dockerConfig: request.dockerConfig ?? null,
    tlsSecret: null,
    tlsSummary: null,
    sshKey: null,
    sshKeyFingerprint: null,
    knownHosts: null,
    identity: null,
    createdAt: context.clock.now(),
  }
  if (request.tls) {
    const material: TlsMaterial = {ca: readInput(request.tls.ca, 'the CA certificate'), cert: readInput(request.tls.cert, 'the client certificate'), key: readInput(request.tls.key, 'the client key')}
    const summary = checkTlsMaterial(material, {ca: inputName(request.tls.ca), cert: inputName(request.tls.cert), key: inputName(request.tls.key)})
    registerSecret(material.key)
    if (new Date(summary.notAfter).getTime() < context.clock.now().getTime()) warnings.push(`the client certificate expired on ${summary.notAfter}: the engine will refuse it`)
    columns.tlsSecret = context.secrets.seal(JSON.stringify(material), engineSealBinding(request.name, 'tls'))
    columns.tlsSummary = JSON.stringify(summary)
  }
  if (request.sshKey) {
    const key = readInput(request.sshKey, 'the ssh key')
    columns.sshKeyFingerprint = fingerprintOf(await context.git.derivePublicKey(key, inputName(request.sshKey)))
    registerSecret(key)
    columns.sshKey = context.secrets.seal(key, engineSealBinding(request.name, 'ssh_key'))
  }
  if (request.knownHosts) columns.knownHosts = requireKnownHosts(readInput(request.knownHosts, 'the known hosts'), inputName(request.knownHosts))
  if (endpoint?.kind === 'tcp' && !request.tls) warnings.push(`${endpointText(endpoint)} is reached without TLS: only this machine can reach it`)

  // Reached before anything is written: an engine that does not answer is refused and leaves no trace.
  let reached: AddedEngine['reached']
  try {
    const connected = await context.engines.connect(`adding ${request.name}`, request.name, addressOf({...columns, id: -1}), () => openEngineMaterial(context, {...columns, id: -1}), {
      onHostKeyLearned: (knownHosts) => (columns.knownHosts ??= knownHosts),
    })
    reached = await connected.identity()
    columns.identity = identityOf(reached)
  } catch (error) {
    if (!request.allowUnreachable) throw error
    reached = {error: error instanceof Error ? error.message : String(error)}
    warnings.push(`engine ${request.name} did not answer: kedge learns who it is on first contact`)
  }
  const row = context.store.insertEngine(columns)
  if (!row) throw new ConflictError(`an engine named ${request.name} is already registered`, {hint: 'see it with "kedge engine list"'})
  return {engine: engineView(row), reached, warnings}
}

export function listEngineViews(context: Pick<ReadContext, 'store'>): EngineView[] {
  return context.store.listEngines().map(engineView)
}

/** Removes an engine nothing uses: no repository or stack is set to it, and no stack's newest deployment ran there. */
export function removeEngine(context: Pick<KedgeContext, 'store'>, name: string): EngineView {
  const row = requireEngine(context, name)
  const {deleted, users} = context.store.deleteEngine(name)
  if (!deleted) {
    const used = [...users.repositories.map((repository) => `repository ${repository}`), ...users.stacks.map((stack) => `stack ${stack}`)]
    throw new ConflictError(`engine ${name} is still used by ${used.join(', ')}`, {
      hint: 'take those stacks down ("kedge down") and set their repositories to another engine ("kedge repo set NAME --engine"), or remove them',
    })
  }
  return engineView(row)
}

/** Reaches the engine and says who answers; with acceptNewIdentity, records a changed identity as the engine's from now on. */
export async function checkEngine(context: KedgeContext, name: string, options: {acceptNewIdentity?: boolean} = {}): Promise<{engine: EngineView; identity: EngineIdentity; accepted: boolean}> {
  let row = requireEngine(context, name)
  let accepted = false
  if (options.acceptNewIdentity) {
    // Forget the old identity first: the connection then records whoever answers.
    context.store.updateEngine(row.id, {identity: null})
    row = {...row, identity: null}
    accepted = true
  }
  const connected = await connectRegistered(context, row)
  const identity = await connected.identity()
  if (accepted) context.store.updateEngine(row.id, {identity: identityOf(identity)})
  return {engine: engineView(requireEngine(context, name)), identity, accepted}
}

export function requireEngine(context: Pick<ReadContext, 'store'>, name: string): EngineRow {
  if (name === LOCAL_ENGINE) throw new InvalidInputError('"local" is the engine kedge runs beside: it has no registration', {code: 'invalid_name', hint: 'name a registered engine: kedge engine list'})
  const row = context.store.findEngine(name)
  if (!row) throw new NotFoundError(`no engine named ${name} is registered`, {hint: 'see the registered engines with "kedge engine list"'})
  return row
}

export function engineView(row: EngineRow): EngineView {
  return {
    name: row.name,
    host: row.host,
    context: row.context,
    tls: row.tlsSummary ? (JSON.parse(row.tlsSummary) as EngineView['tls']) : null,
    sshKeyFingerprint: row.sshKeyFingerprint,
    knownHosts: row.knownHosts !== null,
    identity: row.identity,
    createdAt: row.createdAt.toISOString(),
  }
}
