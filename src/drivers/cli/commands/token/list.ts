import {BaseCommand} from '../../base-command.js'
import {renderTable} from '../../render.js'
import {localTime} from '../../time.js'
import {listAccessTokens, type AccessTokenView} from '../../../../usecases/access/access-tokens.js'

export default class TokenList extends BaseCommand<typeof TokenList> {
  static override summary = 'List the access tokens: their names, roles and expiry, never the tokens.'
  static override examples = ['<%= config.bin %> token list', '<%= config.bin %> token list --json']

  async run(): Promise<AccessTokenView[]> {
    const tokens = listAccessTokens(await this.context())
    if (tokens.length === 0) this.log('No access token. Create one with "kedge token create NAME".')
    else this.log(renderTable(['NAME', 'ROLE', 'CREATED', 'EXPIRES', 'LAST USED'], tokens.map((token) => [token.name, token.role, localTime(token.createdAt), expiry(token), localTime(token.lastUsedAt)])))
    return tokens
  }
}

function expiry(token: AccessTokenView): string {
  if (token.expiresAt === null) return 'never'
  return token.expired ? `expired ${localTime(token.expiresAt)}` : localTime(token.expiresAt)
}
