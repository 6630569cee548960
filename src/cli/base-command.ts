import {Command, Flags, type Interfaces} from '@oclif/core'
import chalk from 'chalk'

import type {KedgeContext} from '../core/context.js'
import {printError, type ErrorReport} from './error-output.js'
import {ExitCode, isKedgeError, type KedgeError} from '../errors.js'
import {resolveHome, type KedgeHome} from '../home.js'
import {redact, redactDeep} from '../secrets/redaction.js'
import type {KedgeDatabase} from '../store/database.js'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Owns what every command shares: the kedge home, `--json`, `--debug`, the database (opened lazily, so
 * `--help` and commands that need no state load none of it) and the mapping of errors to exit codes.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    home: Flags.string({
      summary: 'Directory where kedge keeps its state.',
      description: 'Defaults to ./.kedge in the working directory.',
      env: 'KEDGE_HOME',
      helpGroup: 'GLOBAL',
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

  protected flags!: CommandFlags<T>
  protected args!: CommandArgs<T>
  private database?: KedgeDatabase

  public override async init(): Promise<void> {
    await super.init()
    const ctor = this.ctor as typeof BaseCommand
    const {args, flags} = await this.parse({
      flags: ctor.flags,
      baseFlags: ctor.baseFlags,
      enableJsonFlag: ctor.enableJsonFlag,
      args: ctor.args,
      strict: ctor.strict,
    })
    this.flags = flags as CommandFlags<T>
    this.args = args as CommandArgs<T>
  }

  protected get home(): KedgeHome {
    return resolveHome(this.flags?.home)
  }

  protected async context(): Promise<KedgeContext> {
    if (!this.database) {
      const [{openDatabase}, {registerSecretVariables}, {requireWritableHome}] = await Promise.all([
        import('../store/database.js'),
        import('../core/credentials.js'),
        import('../store/storage-errors.js'),
      ])
      const {readsOnly} = this.ctor as typeof BaseCommand
      if (!readsOnly) requireWritableHome(this.home)
      this.database = openDatabase(this.home.databaseFile, {readCopyWhenUnwritable: readsOnly})
      registerSecretVariables({home: this.home, db: this.database})
    }
    return {home: this.home, db: this.database}
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
    for (const warning of warnings) process.stderr.write(`${chalk.yellow('Warning:')} ${redact(warning)}\n`)
  }

  protected override async catch(error: Interfaces.CommandError): Promise<void> {
    const {storageFault} = await import('../store/storage-errors.js')
    const report = toErrorReport(storageFault(this.home, error) ?? error)
    process.exitCode = report.exitCode
    if (report.message.length > 0) printError(redactDeep(report), this.jsonEnabled())
    if (this.debugEnabled() && error.stack) process.stderr.write(`${chalk.dim(redact(error.stack))}\n`)
  }

  protected override async finally(error: Error | undefined): Promise<void> {
    if (this.database) {
      const {closeDatabase} = await import('../store/database.js')
      closeDatabase(this.database)
      this.database = undefined
    }
    await super.finally(error)
  }

  private debugEnabled(): boolean {
    return Boolean(this.flags?.debug) || this.argv.includes('--debug') || process.env.KEDGE_DEBUG === '1'
  }
}

function toErrorReport(error: Interfaces.CommandError | KedgeError): ErrorReport {
  if (isKedgeError(error)) return {code: error.code, message: error.message, hint: error.hint, exitCode: error.exitCode}
  const oclifExit = (error as {oclif?: {exit?: number}}).oclif?.exit
  if (error.name === 'ExitError' && oclifExit !== undefined) return {code: 'exit', message: '', exitCode: oclifExit}
  if (oclifExit !== undefined) {
    // oclif's own parse errors: a bad flag or argument.
    const [first = 'invalid usage', second] = error.message.split('\n').map((line) => line.trim()).filter(Boolean)
    const parsing = /^Parsing (--\S+)$/.exec(first)
    const message = parsing && second
      ? `invalid ${parsing[1]}: ${second.charAt(0).toLowerCase()}${second.slice(1)}` // "Parsing --limit" is followed by what is wrong with the value
      : !second || !first.endsWith(':')
        ? first
        : /^The following errors? occurred:$/.test(first)
          ? second // oclif's flag relations (exclusive, dependsOn) say what is wrong on the next line
          : `${first} ${second.split(/\s+/)[0]}` // "Missing 1 required arg:" is followed by the argument's name and description
    return {
      code: 'invalid_usage',
      message,
      hint: 'see --help',
      exitCode: ExitCode.invalidInput,
    }
  }
  return {
    code: 'internal',
    message: `unexpected error: ${error.message}`,
    hint: 'run again with --debug for details, and report it if it persists',
    exitCode: ExitCode.internal,
  }
}
