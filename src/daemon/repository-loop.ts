import {setTimeout as sleep} from 'node:timers/promises'

import {formatDuration} from '../config/duration.js'
import type {KedgeContext} from '../core/context.js'
import {describeHolder} from '../core/lock.js'
import {describeChanges} from '../core/plan.js'
import {readCheckoutConfig, reconcileRepository, type ReconcileResult} from '../core/reconcile.js'
import {errorMessage} from '../errors.js'
import {findRepository} from '../store/repositories.js'
import type {RepositoryRow} from '../store/schema.js'
import type {Logger} from './logger.js'

const MAX_BACKOFF_MS = 5 * 60_000

export interface LoopSettings {
  defaultIntervalMs: number
  logger: Logger
  /** Set when `serve --log-format` / `--log-level` chose them for every repository, over kedge.yaml's. */
  fixedLogFormat: boolean
  fixedLogLevel: boolean
  /** Aborted when in-flight work must be abandoned. */
  abandon: AbortSignal
}

/**
 * Watches one repository: reconciles it, waits its interval, and again, until stopped. Its own failures
 * (an unreachable remote, a broken commit) are logged and retried with a growing delay; they never reach
 * the other repositories' loops.
 */
export class RepositoryLoop {
  readonly done: Promise<void>
  private readonly stopped = new AbortController()
  private failures = 0

  constructor(
    private readonly context: KedgeContext,
    readonly name: string,
    private readonly settings: LoopSettings,
  ) {
    this.done = this.run()
  }

  stop(): void {
    this.stopped.abort()
  }

  private async run(): Promise<void> {
    let trigger: 'startup' | 'git' = 'startup'
    for (;;) {
      const repository = findRepository(this.context.db, this.name)
      if (!repository || this.stopped.signal.aborted) return
      const logger = this.loggerFor(repository)
      const result = await this.reconcileOnce(repository, trigger, logger)
      if (result?.kind !== 'busy') trigger = 'git'
      const delay = this.nextDelay(repository)
      if (this.failures > 0) logger.log('info', 'poll.retry', {repo: this.name, in: formatDuration(delay)})
      try {
        await sleep(delay, undefined, {signal: this.stopped.signal})
      } catch {
        return
      }
    }
  }

  private async reconcileOnce(repository: RepositoryRow, trigger: 'startup' | 'git', logger: Logger): Promise<ReconcileResult | null> {
    try {
      const result = await reconcileRepository(this.context, repository, {
        trigger,
        signal: this.settings.abandon,
        onRecovered: (count) => logger.log('warn', 'deploy.interrupted', {repo: this.name, deployments: count}),
      })
      this.report(result, logger)
      return result
    } catch (error) {
      this.failures++
      logger.log('error', 'reconcile.failed', {repo: this.name, error: errorMessage(error)})
      return null
    }
  }

  private report(result: ReconcileResult, logger: Logger): void {
    const repo = this.name
    const failed = result.kind === 'unreachable' || result.kind === 'no-branch' || result.kind === 'plan-failed'
    this.failures = failed ? this.failures + 1 : 0
    switch (result.kind) {
      case 'busy':
        return logger.log('debug', 'poll.busy', {repo, holder: describeHolder(result.holder)})
      case 'unreachable':
      case 'no-branch':
        return logger.log('warn', 'poll.failed', {repo, error: result.error.message})
      case 'up-to-date':
        return logger.log('debug', 'poll.unchanged', {repo, commit: result.commit.slice(0, 12)})
      case 'pinned':
        return logger.log('debug', 'poll.pinned', {repo, commit: result.commit.slice(0, 12)})
      case 'already-failed':
        return logger.log('debug', 'poll.skipped', {repo, commit: result.commit.slice(0, 12), reason: 'this commit failed to deploy; waiting for a new one'})
      case 'already-pending':
        return logger.log('debug', 'poll.pending', {repo, commit: result.commit.slice(0, 12)})
      case 'pending':
        return logger.log('info', 'change.pending', {repo, commit: result.commit.slice(0, 12), mode: result.mode, changes: describeChanges(result.changes)})
      case 'plan-failed':
        return logger.log('warn', 'plan.failed', {repo, commit: result.commit.slice(0, 12), error: result.error.message})
      case 'deployed': {
        const {deployment, changes, error} = result.outcome
        const took = deployment.finishedAt ? formatDuration(Math.max(1, deployment.finishedAt.getTime() - deployment.startedAt.getTime())) : undefined
        const fields = {repo, commit: deployment.commit.slice(0, 12), trigger: deployment.trigger, took}
        if (error) return logger.log('error', 'deploy.failed', {...fields, error: error.message})
        return logger.log('info', 'deploy.succeeded', {...fields, changes: describeChanges(changes)})
      }
    }
  }

  /** The repository's interval (repo add --interval, else kedge.yaml, else serve's), doubled per consecutive failure up to a cap. */
  private nextDelay(repository: RepositoryRow): number {
    const interval = repository.intervalMs ?? readCheckoutConfig(this.context, repository)?.intervalMs ?? this.settings.defaultIntervalMs
    if (this.failures === 0) return interval
    return Math.min(interval * 2 ** this.failures, Math.max(interval, MAX_BACKOFF_MS))
  }

  private loggerFor(repository: RepositoryRow): Logger {
    const logging = readCheckoutConfig(this.context, repository)?.logging
    if (!logging) return this.settings.logger
    return this.settings.logger.with({
      level: this.settings.fixedLogLevel ? undefined : logging.level,
      format: this.settings.fixedLogFormat ? undefined : logging.format,
    })
  }
}
