import {BaseCommand} from '../../base-command.js'
import {renderTable} from '../../render.js'
import {localTime} from '../../time.js'
import {listEngineViews, type EngineView} from '../../../../usecases/engines/engine-registry.js'

export default class EngineList extends BaseCommand<typeof EngineList> {
  static override summary = 'List the registered engines: where each is and how kedge reaches it, never its keys.'
  static override examples = ['<%= config.bin %> engine list', '<%= config.bin %> engine list --json']

  async run(): Promise<EngineView[]> {
    const engines = listEngineViews(await this.context())
    if (engines.length === 0) this.log('No engine registered: every repository deploys to the local engine. Register one with "kedge engine add NAME --host URL".')
    else this.log(renderTable(['NAME', 'ADDRESS', 'CREDENTIALS', 'IDENTITY', 'ADDED'], engines.map((engine) => [engine.name, engine.host ?? `context ${engine.context}`, credentials(engine), engine.identity ?? 'not reached yet', localTime(engine.createdAt)])))
    return engines
  }
}

function credentials(engine: EngineView): string {
  if (engine.tls) return `TLS ${engine.tls.subject}, until ${engine.tls.notAfter.slice(0, 10)}`
  if (engine.sshKeyFingerprint) return `ssh key ${engine.sshKeyFingerprint}${engine.knownHosts ? '' : ', host key not pinned yet'}`
  return engine.context ? "the context's" : 'none'
}
