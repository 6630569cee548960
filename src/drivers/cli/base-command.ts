import {Command, Flags, type Interfaces} from '@oclif/core'
import {chalkStderr} from 'chalk'

import {stopOnSignals} from '../../adapters/process/child-process.js'
import {composeTimeoutSetting} from '../../model/config/compose-timeout.js'
import type {KedgeContext} from '../../usecases/context.js'
import {redact, redactDeep} from '../../model/secrets/redaction.js'
import type {CommandIO} from './command-io.js'
import {reportCommandError} from './command-error.js'
import type {CommandState} from './command-state.js'
import type {ComposedContext, NotifierChoices, Showing} from '../composition.js'
import {showingOn} from './progress-lines.js'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Owns what every command shares: the kedge home, `--json`, `--debug`, the database (opened on first use)
 * and the mapping of errors to exit codes.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command implements CommandIO {
  static override enableJsonFlag = true

  static override baseFlags = {
    home: Flags.string({
      summary: 'Directory where kedge keeps its state.',
      description: 'Defaults to /var/lib/kedge for root, else $XDG_STATE_HOME/kedge (~/.local/state/kedge); a ./.kedge that holds a kedge database is still used.',
      env: 'KEDGE_HOME',
      helpGroup: 'GLOBAL',
    }),
    // Read by bin/run.cjs before anything prints (with NO_COLOR); declared so that oclif accepts it.
    'no-color': Flags.boolean({
      summary: 'Print no colours (also NO_COLOR=1; colour is off anyway when the output is not a terminal).',
      helpGroup: 'GLOBAL',
      default: false,
    }),
    debug: Flags.boolean({
      summary: 'Show stack traces and internal detail on errors.',
      helpGroup: 'GLOBAL',
      default: false,
    }),
  }

  /**
   * Commands that only read the home. They still run when it cannot be written (a read-only mount, a full
   * disk), from a copy of its database; every other command refuses a read-only home before it starts.
   */
  static readsOnly = false

  /** Commands that may create the home (they register something, or serve); the others need an existing one. */
  static createsHome = false

  /**
   * Commands with a shutdown of their own on SIGINT and SIGTERM (serve). Every other command stops the
   * tools it runs (Compose, git) on those signals and exits: no tool outlives it.
   */
  static handlesSignals = false

  /** Aborted when a signal stops the command (see stopOnSignals): the work under way is interrupted, not failed. */
  protected interrupted?: AbortSignal
  protected flags!: CommandFlags<T>
  protected args!: CommandArgs<T>
  private state?: CommandState
  private composed?: ComposedContext

  public override async init(): Promise<void> {
    await super.init()
    const ctor = this.ctor as typeof BaseCommand
    if (!ctor.handlesSignals) this.interrupted = stopOnSignals()
    const {args, flags} = await this.parse({
      flags: ctor.flags,
      baseFlags: ctor.baseFlags,
      enableJsonFlag: ctor.enableJsonFlag,
      args: ctor.args,
      strict: ctor.strict,
    })
    this.flags = flags as CommandFlags<T>
    this.args = args as CommandArgs<T>
    // Refused before a command that changes things does anything, not once a deploy is under way.
    if (!ctor.readsOnly) composeTimeoutSetting()
  }

  /** The adapters are loaded here, not with the command, so that `--help` and commands that need no state load none of them. */
  public async context(): Promise<KedgeContext> {
    return this.composedContext()
  }

  /** The context with the notifier behind its announcer, for the commands that use it themselves (notify test). */
  protected async composedContext(): Promise<ComposedContext> {
    if (this.composed) return this.composed
    if (!this.state) {
      const {CommandState} = await import('./command-state.js')
      const ctor = this.ctor as typeof BaseCommand
      this.state ??= new CommandState(this.flags?.home, ctor.readsOnly, ctor.createsHome)
    }
    const connection = this.state.openedConnection()
    const {kedgeContext} = await import('../composition.js')
    this.composed = kedgeContext(this.state.home, connection, this.notifierChoices(), this.showing())
    return this.composed
  }

  /** What the command shows while it works (src/drivers/cli/progress-lines.ts); serve shows none of it, it logs. */
  protected showing(): Showing {
    // --verbose of the commands that apply stacks: Compose's own output (history's --verbose runs no Compose).
    const verbose = (this.flags as {verbose?: unknown} | undefined)?.verbose === true
    return showingOn(process.stderr, {json: this.jsonEnabled(), verbose})
  }

  /** How the notifier logs, and its settings: a command warns on stderr of a notification it could not deliver; serve logs it. */
  protected notifierChoices(): NotifierChoices {
    return {
      // On stderr whatever the output mode: under --json too, where warnAll stays silent, it must not go unseen.
      log: (_level, _event, fields) => this.warnAlways(`notification not delivered (${fields.channel ?? fields.about}): ${fields.error}`),
      // One retry: a command waits at most one delivery's timeout for its notifications (see finally).
      retryDelaysMs: [1000],
    }
  }

  /** Everything a command prints passes through redaction: a secret kedge knows never reaches the terminal. */
  public override log(message = '', ...args: unknown[]): void {
    super.log(redact(message), ...args.map((arg) => (typeof arg === 'string' ? redact(arg) : arg)))
  }

  public override logJson(json: unknown): void {
    super.logJson(redactDeep(json))
  }

  /** Warnings go to stderr in text mode; in JSON mode they travel inside the result. */
  protected warnAll(warnings: readonly string[]): void {
    if (this.jsonEnabled()) return
    for (const warning of warnings) process.stderr.write(`${chalkStderr.yellow('Warning:')} ${redact(warning)}\n`)
  }

  /** A warning on stderr in every output mode: of what happened beside the command's result (a notification not delivered). */
  protected warnAlways(warning: string): void {
    process.stderr.write(`${chalkStderr.yellow('Warning:')} ${redact(warning)}\n`)
  }

  protected override async catch(error: Interfaces.CommandError): Promise<void> {
    // Before the state exists nothing has touched the home: no error can be its storage's.
    reportCommandError(error, {json: this.jsonEnabled(), debug: this.debugEnabled(), storageFault: (cause) => this.state?.storageFault(cause) ?? null})
  }

  protected override async finally(error: Error | undefined): Promise<void> {
    // What the command announced is delivered before it exits, within one delivery's timeout: never longer.
    const undelivered = await this.composed?.notifier.drain(this.composed.notifier.sendTimeoutMs)
    if (undelivered) this.warnAlways(`${undelivered} notification${undelivered === 1 ? ' was' : 's were'} not delivered before kedge exited: the receiver did not answer in time`)
    // An ssh tunnel to an engine ends with the command, and the TLS files in memory with it.
    this.composed?.engines.closeAll()
    this.state?.close()
    await super.finally(error)
  }

  private debugEnabled(): boolean {
    return Boolean(this.flags?.debug) || this.argv.includes('--debug') || process.env.KEDGE_DEBUG === '1'
  }
}
