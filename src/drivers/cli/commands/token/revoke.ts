import {Args} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {revokeAccessToken, type RevokedAccessToken} from '../../../../usecases/access/access-tokens.js'

export default class TokenRevoke extends BaseCommand<typeof TokenRevoke> {
  static override summary = 'Revoke an access token: it opens nothing from now on, and the dashboard sessions it began end.'
  static override examples = ['<%= config.bin %> token revoke ci']

  static override args = {
    name: Args.string({description: 'The token\'s name, as "kedge token list" shows it', required: true}),
  }

  async run(): Promise<RevokedAccessToken> {
    const revoked = revokeAccessToken(await this.context(), this.args.name)
    this.log(`${chalk.green('Revoked')} access token ${revoked.name}`)
    return revoked
  }
}
