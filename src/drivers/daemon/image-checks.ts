import {MIN_IMAGE_UPDATE_INTERVAL_MS, type KedgeConfig} from '../../model/config/kedge-config.js'
import {errorMessage} from '../../model/errors.js'
import type {DeploymentRow, RepositoryRow, StackRow, StackTarget} from '../../model/rows.js'
import {isRootStack} from '../../model/stack/stack-names.js'
import {snapshotConfig} from '../../model/stack/snapshot-config.js'
import {parseSnapshot} from '../../model/stack/stored-snapshot.js'
import type {KedgeContext} from '../../usecases/context.js'
import type {ImageCheck} from '../../usecases/images/image-updates.js'
import {runRound} from '../../usecases/round.js'
import type {Logger} from './logger.js'

/** What image checks tell the loop: a deployment they made, for metrics. */
export interface ImageCheckObserver {
  deployed(repo: string, deployment: DeploymentRow, succeeded: boolean): void
}

/**
 * serve's image checks (kedge.yaml `reconciliation.image_updates`): each stack that asks for them is
 * checked once its `image_update_interval` has passed since its last check, under the repository's lock,
 * after the round of its commits. Its settings are those of the deployment that runs (its snapshot's
 * kedge.yaml), read once per deployment.
 */
export class ImageChecks {
  private readonly settings = new Map<number, {deploymentId: number; config: KedgeConfig | null}>()
  /**
   * When the repository's stacks are next looked at: the earliest check due, and at least once a minute
   * (the shortest interval), for a deployment that turns checks on. An idle round costs no query before
   * then: serve's rounds are mostly idle ones, whose cost at scale bench/stack-scale.ts measures.
   */
  private nextLookAt = 0

  constructor(
    private readonly context: KedgeContext,
    private readonly observer?: ImageCheckObserver,
  ) {}

  /** Checks the stacks of `repository` whose check is due; a repository another process holds is looked at next round. */
  async checkDue(repository: RepositoryRow, logger: Logger, signal: AbortSignal): Promise<void> {
    const now = this.context.clock.now().getTime()
    if (now < this.nextLookAt) return
    const stacks = this.context.store.listStacks(repository.id)
    const dueAt = stacks.map((stack) => this.dueAt(stack)).filter((at): at is number => at !== null)
    this.nextLookAt = Math.min(now + MIN_IMAGE_UPDATE_INTERVAL_MS, ...dueAt.filter((at) => at > now))
    const due = stacks.filter((stack) => {
      const at = this.dueAt(stack)
      return at !== null && at <= now
    })
    if (due.length === 0) return
    try {
      await runRound(this.context, repository, {purpose: 'kedge serve (images)'}, async (round) => {
        for (const stack of due) {
          if (signal.aborted) return
          const target = {repository, stack}
          try {
            this.report(await round.checkImages(target, {signal}), target, logger)
          } catch (error) {
            if (signal.aborted) return
            logger.log('warn', 'images.check_failed', {...fieldsOf(target), error: errorMessage(error)})
          }
        }
      })
    } catch (error) {
      logger.log('warn', 'images.check_failed', {repo: repository.name, error: errorMessage(error)})
    }
  }

  /** When the stack's next check is due (its last check and its interval); null when it asks for none. */
  private dueAt(stack: StackRow): number | null {
    if (stack.hold) return null
    const config = this.configOf(stack)
    if (!config?.imageUpdates) return null
    return stack.imagesCheckedAt === null ? 0 : stack.imagesCheckedAt.getTime() + config.imageUpdateIntervalMs
  }

  private configOf(stack: StackRow): KedgeConfig | null {
    const summary = this.context.store.lastGoodSummary(stack.id)
    if (!summary) return null
    const known = this.settings.get(stack.id)
    if (known?.deploymentId === summary.id) return known.config
    const snapshot = parseSnapshot(this.context.store.lastGoodDeployment(stack.id)?.snapshot ?? null)
    const config = snapshot && snapshot.target !== 'swarm' ? snapshotConfig(snapshot) : null
    this.settings.set(stack.id, {deploymentId: summary.id, config})
    return config
  }

  private report(check: ImageCheck, target: StackTarget, logger: Logger): void {
    const fields = fieldsOf(target)
    const listed = (updates: ReadonlyArray<{image: string; to: string}>) => updates.map((update) => `${update.image}@${update.to.replace(/^sha256:/, '').slice(0, 12)}`).join(', ')
    switch (check.kind) {
      case 'off':
      case 'current':
        return
      case 'failed':
        return logger.log('warn', 'images.check_failed', {...fields, error: check.error.message})
      case 'pending':
        return logger.log('info', 'images.pending', {...fields, images: listed(check.updates)})
      case 'unchanged':
        return logger.log('debug', 'images.unchanged', {...fields, images: listed(check.updates)})
      case 'already-failed':
        return logger.log('debug', 'images.already_failed', {...fields, images: listed(check.updates)})
      case 'deployed': {
        const {deployment, error} = check.outcome
        this.observer?.deployed(target.repository.name, deployment, error === null)
        if (error) return logger.log('error', 'images.update_failed', {...fields, images: listed(check.updates), error: error.message, note: deployment.note ?? undefined})
        return logger.log('info', 'images.updated', {...fields, images: listed(check.updates), services: check.outcome.changes.map((change) => change.service).join(', ')})
      }
    }
  }
}

function fieldsOf(target: StackTarget): {repo: string; stack?: string} {
  return isRootStack(target) ? {repo: target.repository.name} : {repo: target.repository.name, stack: target.stack.name}
}
