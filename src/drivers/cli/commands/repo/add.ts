import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {engineChoice, engineFlags} from '../../engine-flags.js'
import {BaseCommand} from '../../base-command.js'
import {readStandardInput} from '../../stdin.js'
import {addRepository, checkAddRequest, type AddRepositoryRequest, type AddRepositoryResult} from '../../../../usecases/repositories/add-repository.js'
import type {AuthRequest} from '../../../../usecases/repositories/repository-auth.js'
import type {WebhookSecretRequest} from '../../../../usecases/repositories/webhook-receiver.js'
import {authLines} from '../../auth-lines.js'
import {telling, tellingLines} from '../../telling-flags.js'

/** Where the project name came from, in words: "kedge.yaml", "name: in compose.yaml", "the repository's name". */
function projectNameOrigin(checkout: NonNullable<AddRepositoryResult['checkout']>): string {
  switch (checkout.projectNameSource) {
    case 'kedge.yaml':
      return `docker.project_name in ${checkout.projectNameFile ?? 'kedge.yaml'}`
    case 'compose file':
      return `name: in ${checkout.projectNameFile}`
    default:
      return "the repository's name"
  }
}

export default class RepoAdd extends BaseCommand<typeof RepoAdd> {
  static override createsHome = true
  static override summary = 'Register a git repository whose compose stack kedge keeps deployed.'
  static override description = `The repository must hold a compose file (compose.yaml, docker-compose.yaml, ...) and may hold a kedge.yaml, at its root or under --path. When the remote answers, kedge checks that the branch exists, clones it under <home>/repos/<name>/ and validates kedge.yaml and the compose file before registering anything. A network remote that does not answer is refused, unless --allow-unreachable registers it with a warning (serve retries it).

A private repository takes a deploy key (--ssh-key, for ssh:// and git@host: URLs) or a token (--token-env or --token-stdin, for https:// URLs). A deploy key or a token given on standard input is stored encrypted with the home's secret key (<home>/secret.key, or KEDGE_SECRET_KEY); a --token-env token is read from the variable each time kedge reaches the remote and never stored. The SSH host key is checked against --known-hosts, or accepted on first use and recorded; a changed host key is refused.`

  static override examples = [
    '<%= config.bin %> repo add https://github.com/acme/webapp.git',
    '<%= config.bin %> repo add git@github.com:acme/infra.git --name proxy --path stacks/proxy --branch production',
    '<%= config.bin %> repo add /srv/git/homelab.git --interval 30s',
    '<%= config.bin %> repo add file:///srv/git/homelab.git --json',
    '<%= config.bin %> repo add git@github.com:acme/infra.git --ssh-key ~/.ssh/kedge_deploy_key',
    '<%= config.bin %> repo add ssh://git@git.lan:2222/ops/stack.git --ssh-key ./deploy_key --known-hosts ./known_hosts',
    '<%= config.bin %> repo add https://github.com/acme/private.git --token-env GITHUB_TOKEN',
    'printf %s "$TOKEN" | <%= config.bin %> repo add https://gitea.lan/ops/stack.git --token-stdin',
  ]

  static override args = {
    url: Args.string({
      description: 'https://, http://, ssh://, git@host:org/repo.git, file:// or an absolute path',
      required: true,
    }),
  }

  static override flags = {
    name: Flags.string({summary: 'Name for the repository (default: derived from the URL).'}),
    branch: Flags.string({summary: 'Branch to deploy.', default: 'main'}),
    path: Flags.string({summary: 'Sub-directory that holds kedge.yaml and the compose file.'}),
    interval: Flags.string({summary: 'Poll interval, e.g. 30s or 5m (default: kedge.yaml, else 60s).'}),
    'allow-unreachable': Flags.boolean({summary: 'Register a network remote that does not answer now; serve retries it.', default: false}),
    ...engineFlags,
    'ssh-key': Flags.file({
      summary: 'Private SSH deploy key (no passphrase); stored encrypted.',
      exclusive: ['token-env', 'token-stdin'],
      helpGroup: 'AUTH',
    }),
    'known-hosts': Flags.file({
      summary: 'known_hosts file with the server\'s host key (default: accept and record it on first use).',
      dependsOn: ['ssh-key'],
      helpGroup: 'AUTH',
    }),
    'token-env': Flags.string({
      summary: 'Environment variable that holds an HTTPS token; read at run time, never stored.',
      exclusive: ['ssh-key', 'token-stdin'],
      helpGroup: 'AUTH',
    }),
    'token-stdin': Flags.boolean({
      summary: 'Read an HTTPS token from standard input; stored encrypted.',
      exclusive: ['ssh-key', 'token-env', 'webhook-secret-stdin'],
      helpGroup: 'AUTH',
    }),
    'webhook-secret-env': Flags.string({
      summary: 'Environment variable that holds the secret push webhooks are signed with; never stored.',
      exclusive: ['webhook-secret-stdin'],
      helpGroup: 'WEBHOOK',
    }),
    'webhook-secret-stdin': Flags.boolean({
      summary: 'Read the webhook secret from standard input; stored encrypted.',
      exclusive: ['webhook-secret-env', 'token-stdin'],
      helpGroup: 'WEBHOOK',
    }),
    ...telling,
  }

  async run(): Promise<AddRepositoryResult> {
    const request: AddRepositoryRequest = {
      url: this.args.url,
      name: this.flags.name,
      branch: this.flags.branch,
      path: this.flags.path,
      interval: this.flags.interval,
      auth: await this.authRequest(),
      webhookSecret: await this.webhookSecretRequest(),
      allowHooks: this.flags['allow-hooks'],
      commitStatus: this.flags['commit-status'],
      commitStatusApi: this.flags['commit-status-api'],
      allowUnreachable: this.flags['allow-unreachable'],
      engine: engineChoice(this.flags),
    }
    // Refused input creates no home: what the request says by itself is checked before the home is opened.
    checkAddRequest(request)
    const result = await addRepository(await this.context(), request)
    this.warnAll(result.warnings)
    const {repository, checkout} = result
    this.log(`${chalk.green('Added')} ${chalk.bold(repository.name)} (${repository.url}, branch ${repository.branch})`)
    if (checkout) {
      this.log(`  commit   ${checkout.commit.slice(0, 7)}`)
      if (checkout.stacks) {
        for (const stack of checkout.stacks) this.log(`  stack    ${stack.name} (${stack.path}: project ${stack.project}, ${stack.composeFiles.join(', ')})`)
      } else {
        this.log(`  project  ${checkout.projectName} (${projectNameOrigin(checkout)})`)
        this.log(`  compose  ${checkout.composeFiles.join(', ')}`)
      }
      this.log(`  mode     ${checkout.mode}`)
    }
    for (const [label, text] of authLines(repository.auth)) this.log(`  ${label.padEnd(8)} ${text}`)
    for (const line of tellingLines(repository)) this.log(`  ${line}`)
    if (repository.webhook.kind !== 'none') this.log(`  webhook  POST /hooks/${repository.name} (secret ${repository.webhook.kind === 'env' ? `from $${repository.webhook.variable}` : 'stored encrypted'})`)
    return result
  }

  private async webhookSecretRequest(): Promise<WebhookSecretRequest | undefined> {
    if (this.flags['webhook-secret-env'] !== undefined) return {kind: 'env', variable: this.flags['webhook-secret-env']}
    if (this.flags['webhook-secret-stdin']) return {kind: 'value', secret: await readStandardInput()}
    return undefined
  }

  private async authRequest(): Promise<AuthRequest | undefined> {
    const {flags} = this
    if (flags['ssh-key'] !== undefined) {
      return {kind: 'ssh_key', key: {file: flags['ssh-key']}, knownHosts: flags['known-hosts'] === undefined ? undefined : {file: flags['known-hosts']}}
    }
    if (flags['token-env'] !== undefined) return {kind: 'token_env', variable: flags['token-env']}
    if (flags['token-stdin']) return {kind: 'token', token: await readStandardInput()}
    return undefined
  }
}
