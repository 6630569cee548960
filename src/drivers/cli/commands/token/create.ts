import {Args, Flags, ux} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {localTime} from '../../time.js'
import {ACCESS_ROLES, DEFAULT_ACCESS_ROLE} from '../../../../model/access/access-token.js'
import {redactDeep} from '../../../../model/secrets/redaction.js'
import {checkAccessTokenRequest, createAccessToken, type CreatedAccessToken} from '../../../../usecases/access/access-tokens.js'

export default class TokenCreate extends BaseCommand<typeof TokenCreate> {
  static override createsHome = true
  static override summary = "Create an access token for kedge serve's dashboard and REST API; it is shown once."
  static override description =
    'A read token may read (the dashboard, the API\'s GET requests); an admin token may do what the admin token may. kedge keeps only the token\'s hash: save it when it is shown, it cannot be shown again. Revoke it with "kedge token revoke NAME".'

  static override examples = [
    '<%= config.bin %> token create dashboard',
    '<%= config.bin %> token create ci --role admin --expires 90d',
    '<%= config.bin %> token create grafana --expires 12h --json',
  ]

  static override args = {
    name: Args.string({description: 'Name of the token: 1 to 63 letters, digits, ".", "_" or "-", starting with a letter or digit', required: true}),
  }

  static override flags = {
    role: Flags.string({summary: `What the token may do: read (only read) or admin (anything the admin token may). Default: ${DEFAULT_ACCESS_ROLE}.`, options: [...ACCESS_ROLES]}),
    expires: Flags.string({summary: 'Expire after this long: e.g. 90d, 12h, 30m, 1d12h; at most 365d (default: never).'}),
  }

  async run(): Promise<CreatedAccessToken> {
    const request = {name: this.args.name, role: this.flags.role, expires: this.flags.expires}
    // Refused input creates no home: it is checked before the home is opened.
    checkAccessTokenRequest(request)
    const created = createAccessToken(await this.context(), request)
    this.log(`${chalk.green('Created')} access token ${created.name}: role ${created.role}, ${created.expiresAt === null ? 'never expires' : `expires ${localTime(created.expiresAt)}`}`)
    this.log('')
    this.showUnredacted(`  ${created.token}`)
    this.log('')
    this.log('Save it now: kedge keeps only its hash and cannot show it again.')
    this.log("Log in to kedge serve's dashboard with it, or send it to the REST API in the header:")
    this.showUnredacted('  Authorization: Bearer <token>')
    return created
  }

  /**
   * The result's token is the one value kedge prints unmasked, and only here: redaction masks kedge's
   * tokens by their shape everywhere else (the other fields are redacted as ever).
   */
  public override logJson(json: unknown): void {
    if (!isCreatedToken(json)) return super.logJson(json)
    ux.stdout(ux.colorizeJson({...redactDeep(json), token: json.token}, {pretty: true, theme: this.config.theme?.json}))
  }

  /** A line printed as it is: the token, and the header's form, which redaction would read as a header that holds a secret. */
  private showUnredacted(line: string): void {
    if (!this.jsonEnabled()) ux.stdout(line)
  }
}

function isCreatedToken(json: unknown): json is CreatedAccessToken {
  return typeof json === 'object' && json !== null && typeof (json as {token?: unknown}).token === 'string'
}
