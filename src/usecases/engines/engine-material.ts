import {ExternalError} from '../../model/errors.js'
import type {EngineRow} from '../../model/rows.js'
import {registerSecret} from '../../model/secrets/redaction.js'
import type {EngineMaterial} from '../../ports/engines.js'
import type {KedgeContext} from '../context.js'

type MaterialKind = 'tls' | 'ssh_key'

/** What an engine's sealed material is bound to: it opens for this engine and this kind only. */
export function engineSealBinding(engineName: string, kind: MaterialKind): string {
  return `kedge engine credential ${kind} ${engineName}`
}

/** The engine's TLS material and ssh key in plain text, for one connection; the secret parts registered for redaction. */
export function openEngineMaterial(context: Pick<KedgeContext, 'secrets'>, row: EngineRow): EngineMaterial {
  const owner = `engine "${row.name}"`
  const material: EngineMaterial = {}
  if (row.tlsSecret) {
    // Composite: the CA and the certificate are no secret and stay readable in errors; the key is registered below.
    const opened = JSON.parse(context.secrets.open(row.tlsSecret, engineSealBinding(row.name, 'tls'), owner, {composite: true})) as Partial<EngineMaterial['tls']>
    if (typeof opened?.ca !== 'string' || typeof opened.cert !== 'string' || typeof opened.key !== 'string') {
      throw new ExternalError(`the stored TLS material of ${owner} is incomplete`, {code: 'secret_unreadable', hint: `remove the engine and add it again with --tls-dir`})
    }
    registerSecret(opened.key)
    material.tls = {ca: opened.ca, cert: opened.cert, key: opened.key}
  }
  if (row.sshKey) material.sshKey = context.secrets.open(row.sshKey, engineSealBinding(row.name, 'ssh_key'), owner)
  if (row.knownHosts) material.knownHosts = row.knownHosts
  return material
}
