import path from 'node:path'

import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {addEngine, checkAddEngineRequest, type AddEngineRequest, type AddedEngine} from '../../../../usecases/engines/engine-registry.js'

export default class EngineAdd extends BaseCommand<typeof EngineAdd> {
  static override createsHome = true
  static override summary = 'Register a Docker engine on another host, for repositories to deploy to (repo add --engine).'
  static override description = `An engine is reached over a unix socket (unix:///path), over TCP with TLS (tcp://host:2376 with the client's ca.pem, cert.pem and key.pem, as dockerd --tlsverify expects), over ssh (ssh://user@host, through a tunnel kedge keeps open; the remote needs sshd and the docker socket, not the docker CLI), or through a Docker context of the user kedge runs as. The TLS key and the ssh key are stored encrypted with the home's secret key. kedge asks the engine who it is and records its ID: another engine answering at the same address later is refused (engine_changed). See docs/multi-host.md.`

  static override examples = [
    '<%= config.bin %> engine add web2 --host ssh://deploy@web2.example --ssh-key ~/.ssh/kedge_web2 --known-hosts web2.known_hosts',
    '<%= config.bin %> engine add web3 --host tcp://10.0.0.13:2376 --tls-dir /etc/kedge/web3',
    '<%= config.bin %> engine add nas --context nas',
  ]

  static override args = {
    name: Args.string({description: 'Name of the engine: lower-case letters, digits and -, such as its host\'s name', required: true}),
  }

  static override flags = {
    host: Flags.string({summary: 'Where the engine listens: unix:///path, tcp://host[:port] or ssh://[user@]host[:port][/socket].', exclusive: ['context']}),
    context: Flags.string({summary: 'A Docker context of the user kedge runs as (docker context ls), read each time kedge connects.', exclusive: ['host']}),
    'docker-config': Flags.string({summary: 'The Docker CLI configuration directory the context is in (default: DOCKER_CONFIG, else ~/.docker).', dependsOn: ['context']}),
    'tls-dir': Flags.string({summary: 'Directory holding ca.pem, cert.pem and key.pem for a tcp:// engine.', exclusive: ['tls-ca']}),
    'tls-ca': Flags.string({summary: 'The CA certificate the engine\'s certificate is signed by.', dependsOn: ['tls-cert', 'tls-key']}),
    'tls-cert': Flags.string({summary: 'The client certificate.', dependsOn: ['tls-ca', 'tls-key']}),
    'tls-key': Flags.string({summary: 'The client key (stored encrypted).', dependsOn: ['tls-ca', 'tls-cert']}),
    'ssh-key': Flags.string({summary: 'Private key for an ssh:// engine (stored encrypted).'}),
    'known-hosts': Flags.string({summary: 'known_hosts lines for the ssh host; without it the host key is accepted on first use and pinned.', dependsOn: ['ssh-key']}),
    'allow-unreachable': Flags.boolean({summary: 'Register the engine even if it does not answer now.', default: false}),
  }

  async run(): Promise<AddedEngine> {
    const {flags} = this
    const tlsDir = flags['tls-dir']
    const request: AddEngineRequest = {
      name: this.args.name,
      host: flags.host,
      context: flags.context,
      dockerConfig: flags['docker-config'],
      tls: tlsDir
        ? {ca: {file: path.join(tlsDir, 'ca.pem')}, cert: {file: path.join(tlsDir, 'cert.pem')}, key: {file: path.join(tlsDir, 'key.pem')}}
        : flags['tls-ca']
          ? {ca: {file: flags['tls-ca']}, cert: {file: flags['tls-cert']!}, key: {file: flags['tls-key']!}}
          : undefined,
      sshKey: flags['ssh-key'] === undefined ? undefined : {file: flags['ssh-key']},
      knownHosts: flags['known-hosts'] === undefined ? undefined : {file: flags['known-hosts']},
      allowUnreachable: flags['allow-unreachable'],
    }
    // Refused input creates no home: what needs no home is checked before it is opened.
    checkAddEngineRequest(request)
    const added = await addEngine(await this.context(), request)
    for (const warning of added.warnings) this.warn(warning)
    const where = added.engine.host ?? `context ${added.engine.context}`
    if ('error' in added.reached) this.log(`${chalk.green('Registered')} engine ${added.engine.name} at ${where} (not reached: ${added.reached.error})`)
    else {
      const {serverVersion, swarm, name} = added.reached
      const role = swarm.manager ? 'a swarm manager' : swarm.state === 'active' ? 'a swarm worker' : 'not in a swarm'
      this.log(`${chalk.green('Registered')} engine ${added.engine.name} at ${where}: Docker ${serverVersion} on ${name}, ${role}`)
    }
    this.log(`Deploy a repository there with "kedge repo add URL --engine ${added.engine.name}".`)
    return added
  }
}
