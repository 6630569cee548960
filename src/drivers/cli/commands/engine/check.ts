import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {checkEngine, type EngineView} from '../../../../usecases/engines/engine-registry.js'
import type {EngineIdentity} from '../../../../ports/engines.js'

export default class EngineCheck extends BaseCommand<typeof EngineCheck> {
  static override summary = 'Reach a registered engine and say who answers; accept a new identity after a reinstall or a move.'
  static override examples = ['<%= config.bin %> engine check web2', '<%= config.bin %> engine check web2 --accept-new-identity']
  static override args = {
    name: Args.string({description: 'Name of the engine', required: true}),
  }
  static override flags = {
    'accept-new-identity': Flags.boolean({summary: 'Record whichever engine answers now as this engine (after a reinstall, or when the address moved on purpose).', default: false}),
  }

  async run(): Promise<{engine: EngineView; identity: EngineIdentity; accepted: boolean}> {
    const checked = await checkEngine(await this.context(), this.args.name, {acceptNewIdentity: this.flags['accept-new-identity']})
    const {identity} = checked
    const role = identity.swarm.manager ? 'a swarm manager' : identity.swarm.state === 'active' ? 'a swarm worker' : 'not in a swarm'
    this.log(`${chalk.green(checked.accepted ? 'Accepted' : 'Reached')} engine ${checked.engine.name}: Docker ${identity.serverVersion} on ${identity.name} (${identity.id}), ${role}`)
    return checked
  }
}
