import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {parseInterval} from '../../../model/repository/repository-interval.js'
import {LOG_FORMATS, LOG_LEVELS} from '../../../model/config/kedge-config.js'
import type {Logger, LogFormat, LogLevel} from '../../daemon/logger.js'
import {databaseChanges, type NotifierChoices, type Showing} from '../../composition.js'
import {parseDurationFlag, parsePublicUrl} from '../notify-settings.js'
import {InvalidInputError, quoted} from '../../../model/errors.js'
import {parseListenAddress} from '../../http/listen-address.js'
import {accessTokenGrant, verifyAccessToken} from '../../../usecases/access/access-tokens.js'

/** After SIGTERM, in-flight deploys get this long to finish before they are abandoned. */
const GRACE_MS = 5000
/** After serve has stopped, how long the process may take to end on its own. */
const EXIT_GRACE_MS = 1000

export default class Serve extends BaseCommand<typeof Serve> {
  static override createsHome = true
  static override summary = 'Keep every registered stack equal to its branch.'
  static override description = `Polls each repository's remote for its branch head (every interval: repo add --interval, else kedge.yaml's reconciliation.interval, else --interval) and deploys new commits as the repository's mode says. Repositories added or removed while it runs are picked up within seconds. Logs one line per event on stdout. Serves health, readiness, Prometheus metrics, the REST API and push webhooks over HTTP on --listen (default 127.0.0.1:8080). On SIGTERM or SIGINT it lets a deploy in progress finish for up to ${GRACE_MS / 1000}s, then abandons it, and exits 0; the stacks keep running. One serve per kedge home.`

  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --interval 30s --log-format json',
    'KEDGE_HOME=/var/lib/kedge <%= config.bin %> serve --log-level debug',
  ]

  /** Its shutdown lets a deploy finish, then abandons it; the tools still running when it exits are killed then. */
  static override handlesSignals = true

  static override flags = {
    interval: Flags.string({summary: 'Poll interval for repositories that set none.', default: '60s', env: 'KEDGE_INTERVAL'}),
    'log-format': Flags.string({summary: 'Log line format (default: each kedge.yaml, else text).', options: [...LOG_FORMATS], env: 'KEDGE_LOG_FORMAT'}),
    'log-level': Flags.string({summary: 'Lowest level logged (default: each kedge.yaml, else info).', options: [...LOG_LEVELS], env: 'KEDGE_LOG_LEVEL'}),
    listen: Flags.string({
      summary: 'Address of the HTTP side (health, metrics, API, webhooks): HOST:PORT, or "off".',
      default: '127.0.0.1:8080',
      env: 'KEDGE_LISTEN',
    }),
    'public-url': Flags.string({
      summary: "The URL people reach this serve at, for the links of commit statuses (e.g. https://kedge.example.com).",
      env: 'KEDGE_PUBLIC_URL',
      helpGroup: 'NOTIFICATIONS',
    }),
    'notify-fold-window': Flags.string({
      summary: 'The same event for the same stack is sent once per this window, with a count of what it folded.',
      default: '10m',
      helpGroup: 'NOTIFICATIONS',
    }),
    'notify-error-after': Flags.string({
      summary: "A repository's error is sent once it has lasted this long (its recovery once).",
      default: '5m',
      helpGroup: 'NOTIFICATIONS',
    }),
  }

  /** serve's log, which the notifier writes to as well: made before the context is. */
  private logger?: Logger

  /** serve logs what it does, one line an event: it shows no steps, even on a terminal. */
  protected override showing(): Showing {
    return {}
  }

  protected override notifierChoices(): NotifierChoices {
    const logger = this.logger
    if (!logger) return super.notifierChoices()
    return {
      log: (level, event, fields) => logger.log(level, event, fields),
      foldWindowMs: parseDurationFlag(this.flags['notify-fold-window'], '--notify-fold-window'),
      errorAfterMs: parseDurationFlag(this.flags['notify-error-after'], '--notify-error-after'),
      publicUrl: this.flags['public-url'] ? parsePublicUrl(this.flags['public-url']) : null,
    }
  }

  async run(): Promise<void> {
    const defaultIntervalMs = parseInterval(this.flags.interval)
    const listen = this.flags.listen === 'off' ? null : parseListenAddress(this.flags.listen)
    if (listen === null && this.flags.listen !== 'off') {
      throw new InvalidInputError(`invalid --listen ${quoted(this.flags.listen)}: expected HOST:PORT, e.g. 127.0.0.1:8080, or off`, {code: 'invalid_listen'})
    }
    const [{serve}, {createLogger}] = await Promise.all([import('../../daemon/serve.js'), import('../../daemon/logger.js')])
    const format = this.jsonEnabled() ? 'json' : ((this.flags['log-format'] ?? 'text') as LogFormat)
    const level = (this.flags['log-level'] ?? 'info') as LogLevel
    const logger = createLogger({level, format})
    this.logger = logger
    const context = await this.composedContext()

    const stop = new AbortController()
    const abandon = new AbortController()
    const onSignal = (signal: NodeJS.Signals) => {
      if (stop.signal.aborted) {
        abandon.abort()
        return
      }
      logger.log('info', 'serve.signal', {signal})
      stop.abort()
      setTimeout(() => abandon.abort(), GRACE_MS).unref()
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
    // A hangup would end serve without its exit handlers, and leave its tools (in groups of their own) running.
    process.on('SIGHUP', onSignal)
    try {
      await serve(context, {
        defaultIntervalMs,
        logger,
        fixedLogFormat: this.flags['log-format'] !== undefined || this.jsonEnabled(),
        fixedLogLevel: this.flags['log-level'] !== undefined,
        stop: stop.signal,
        abandon: abandon.signal,
        http: listen ? {listen, version: this.config.version} : undefined,
        notifier: context.notifier,
        databaseChanges: () => databaseChanges(context.home),
        tokens: {verify: (presented) => verifyAccessToken(context, presented), grant: (id, fingerprint) => accessTokenGrant(context, id, fingerprint)},
      })
    } finally {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
      // A helper process of an abandoned git or Compose (git-remote-http, ssh) can hold one of our pipes
      // open until its own timeout: serve has stopped, so it does not wait for that.
      setTimeout(() => process.exit(), EXIT_GRACE_MS).unref()
    }
  }
}
