import {endpointText, parseEngineHost} from '../../model/engine/engine-endpoint.js'
import {LOCAL_ENGINE} from '../../model/engine/engine-name.js'
import {InvalidInputError} from '../../model/errors.js'
import type {EngineRow} from '../../model/rows.js'
import type {KedgeContext, ReadContext} from '../context.js'
import {requireEngine} from './engine-registry.js'

/** How a repository's engine was chosen: by name, or by the address (`--docker-host`) or context (`--context`) of an engine. */
export interface EngineChoice {
  engine?: string
  dockerHost?: string
  context?: string
}

/** Whether the choice names an engine at all (none: the command leaves the engine as it is). */
export function choosesEngine(choice: EngineChoice): boolean {
  return choice.engine !== undefined || choice.dockerHost !== undefined || choice.context !== undefined
}

/**
 * The engine a choice names, checked without writing: a registered one by name ("local" is null), or the
 * registered engine at that address or context. An address or context no engine has is registered by
 * registerChosenEngine, when it needs no material (a unix socket, a context); one that does is refused
 * here with the `kedge engine add` it needs.
 */
export function resolveEngineChoice(context: Pick<ReadContext, 'store'>, choice: EngineChoice): {row: EngineRow | null} | {register: Omit<EngineRow, 'id' | 'createdAt'>} {
  const given = [choice.engine, choice.dockerHost, choice.context].filter((value) => value !== undefined)
  if (given.length > 1) throw new InvalidInputError('choose the engine one way: --engine, --docker-host or --context', {code: 'invalid_usage', hint: 'kedge engine list shows the registered engines'})
  if (choice.engine !== undefined) return {row: choice.engine === LOCAL_ENGINE ? null : requireEngine(context, choice.engine)}
  const engines = context.store.listEngines()
  if (choice.context !== undefined) {
    const found = engines.find((row) => row.context === choice.context)
    if (found) return {row: found}
    return {register: {...NO_MATERIAL, name: nameFor(context, `ctx-${choice.context}`), host: null, context: choice.context}}
  }
  const endpoint = parseEngineHost(choice.dockerHost!)
  const host = endpointText(endpoint)
  const found = engines.find((row) => row.host === host)
  if (found) return {row: found}
  if (endpoint.kind !== 'unix') {
    throw new InvalidInputError(`no registered engine is at ${host}, and reaching it needs ${endpoint.kind === 'ssh' ? 'an ssh key' : 'TLS material'}`, {
      code: 'not_found',
      hint: `register it first: kedge engine add NAME --host ${host} ${endpoint.kind === 'ssh' ? '--ssh-key FILE' : '--tls-dir DIR'}, then pass --engine NAME`,
    })
  }
  return {register: {...NO_MATERIAL, name: nameFor(context, socketName(endpoint.path)), host, context: null}}
}

/** The engine a resolved choice names, registering it first when it was not (see resolveEngineChoice). */
export function registerChosenEngine(context: Pick<KedgeContext, 'store' | 'clock'>, resolved: ReturnType<typeof resolveEngineChoice>): EngineRow | null {
  if ('row' in resolved) return resolved.row
  const row = context.store.insertEngine({...resolved.register, createdAt: context.clock.now()})
  if (!row) throw new InvalidInputError(`an engine named ${resolved.register.name} was registered meanwhile`, {code: 'conflict', hint: 'run the command again'})
  return row
}

const NO_MATERIAL = {dockerConfig: null, tlsSecret: null, tlsSummary: null, sshKey: null, sshKeyFingerprint: null, knownHosts: null, identity: null}

/** An engine name from a socket's path: its directory's and file's names, as far as a name may hold them. */
function socketName(socketPath: string): string {
  return socketPath.split('/').filter(Boolean).slice(-2).join('-').replace(/\.sock$/, '')
}

/** `wanted` made a valid engine name that no engine has yet. */
function nameFor(context: Pick<ReadContext, 'store'>, wanted: string): string {
  const base = wanted.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 56) || 'engine'
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}-${n}`
    if (name !== LOCAL_ENGINE && !context.store.findEngine(name)) return name
  }
}
