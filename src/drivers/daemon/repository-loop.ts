import {composeTimeoutSetting} from '../../model/config/compose-timeout.js'
import {formatDuration, MAX_TIMER_MS} from '../../model/config/duration.js'
import {DEFAULT_HEALTH_TIMEOUT_MS, type KedgeConfig} from '../../model/config/kedge-config.js'
import type {KedgeContext} from '../../usecases/context.js'
import {describeHolder} from '../../usecases/deploying/lock.js'
import {describeChanges} from '../../model/stack/plan.js'
import {describeDrift, type HealResult, type ParsedDeployment} from '../../usecases/drift/heal.js'
import {readCheckoutConfig, type AskedHead, type ReconcileResult, type RepositoryRound, type StackRound} from '../../usecases/deploying/reconcile.js'
import {lookBeforeLock, runRound, type LockedRound} from '../../usecases/round.js'
import {isRootStack} from '../../model/stack/stack-names.js'
import {stacksOf} from '../../usecases/stacks/stacks.js'
import {MIN_INTERVAL_MS} from '../../model/repository/repository-interval.js'
import {checkRepositoryRow, isCorruptRow} from '../../model/repository/row-checks.js'
import {errorMessage, type ExternalError} from '../../model/errors.js'
import {parseKnownHosts} from '../../model/repository/ssh-keys.js'
import type {DeploymentRow, LockRow, RepositoryRow, StackRow, StackTarget} from '../../model/rows.js'
import {DriftCheckGate, type CheckedStack, type EngineId} from './drift-check-gate.js'
import {ImageChecks} from './image-checks.js'
import {stackEngineId} from './engine-use.js'
import type {EngineChange} from './engine-watcher.js'
import {moreVerbose, type Logger} from './logger.js'
import {DEFAULT_COMPOSE_LIMIT_MS, RoundDeadline, roundDeadlineMs} from './round-deadline.js'
import {DEFAULT_HOOK_TIMEOUT_MS} from '../../model/config/hooks-config.js'

const MAX_BACKOFF_MS = 5 * 60_000
const NUDGE_SETTLE_MS = 250
/**
 * A check an engine event asked for that found nothing (or the lock taken) looks once more this much later:
 * on a busy host the engine's listing can lag its events past the settle time, and the event is not sent again.
 */
const EVENT_CONFIRM_MS = 2000
/** A poll asked for (a webhook) that found the repository locked by another deploy is tried again this soon. */
const REQUESTED_POLL_RETRY_MS = 2000

/** What the loops report as they go, for metrics. */
export interface LoopObserver {
  polled(repo: string, outcome: {success: boolean; seconds: number; head: string | null}): void
  reconciled(repo: string, outcome: {success: boolean; seconds: number}): void
  deployed(repo: string, deployment: DeploymentRow, succeeded: boolean): void
  /** The drift a check of a stack found now (empty when in sync); called after every check that could compare. */
  driftChecked(repo: string, stack: string, drift: Array<{service: string; type: string}>): void
}

export interface LoopSettings {
  defaultIntervalMs: number
  logger: Logger
  /** Set when `serve --log-format` / `--log-level` chose them for every repository, over kedge.yaml's. */
  fixedLogFormat: boolean
  fixedLogLevel: boolean
  /** Aborted when in-flight work must be abandoned (each round's own deadline aborts its work too). */
  abandon: AbortSignal
  observer?: LoopObserver
  /**
   * Whether the engine's event stream is connected now and its events reach this repository's loop;
   * without it (or while it is not), every round lists every stack on that engine.
   */
  eventsLive?: (engine: EngineId, repository: string) => boolean
  /** Whether serve watches the engine and finds it down: a drift check of its stacks waits for the others'. */
  engineDown?: (engine: EngineId) => boolean
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
  private nudged = false
  /** Set while the one extra look after an event's empty check is due (see EVENT_CONFIRM_MS). */
  private confirming = false
  private nudgeTimer: NodeJS.Timeout | null = null
  private nudgeDue = 0
  private wake: (() => void) | null = null
  private nextPollAt = 0
  private pollRequested = false
  /** A push webhook asked for a poll since the last round (see foundBy). */
  private webhookAsked = false
  /** How this round's poll came about, for a deploy's reason: a webhook's request, or the interval (or the engine's return). */
  private foundBy: 'poll' | 'webhook' = 'poll'
  /** Told if the round that serves their poll request fails; a round that found the lock taken serves none. */
  private pollFailureListeners: Array<() => void> = []
  /** Whether a round has finished since the loop started, failed or not: what /ready waits for. */
  reconciledOnce = false
  /** The engines a new commit, or one whose deploy the host cut short, waits for to answer again. */
  private waitingForEngines = new Set<EngineId>()
  /** The corrupt_row error last logged for the repository's row, so that it is logged once, not at every look. */
  private corruptMessage: string | null = null
  /** Compose's limit on its longest commands, which a round's deadline is counted from; read when the loop starts. */
  private composeLimitMs = DEFAULT_COMPOSE_LIMIT_MS
  /**
   * The clone's kedge.yaml (null when invalid), as read at the branch head it was read for: read again only
   * when a fetch moved the clone, so that a round reads it once, and an idle round not at all.
   */
  private checkout: {head: string | null; config: KedgeConfig | null} | null = null
  /** The repository's id, once a round has read its row: how its stacks are counted for a round's deadline. */
  private repositoryId: number | null = null
  /** The engine the repository is set to, as its row read last: a stack not set to one of its own runs there. */
  private repositoryEngine: EngineId = null
  /** Each stack's deployed snapshot and its settings, by stack id, parsed once per deployment rather than at every drift check. */
  private readonly deployed = new Map<number, {current: ParsedDeployment | null}>()
  /** Which stacks a round's drift check may leave unlisted, as the engine's events tell (see drift-check-gate.ts). */
  private readonly driftChecks: DriftCheckGate
  /** The registries' new images behind the stacks' tags, asked for at each stack's image_update_interval. */
  private readonly imageChecks: ImageChecks

  constructor(
    private readonly context: KedgeContext,
    readonly name: string,
    private readonly settings: LoopSettings,
  ) {
    this.driftChecks = new DriftCheckGate((engine) => settings.eventsLive?.(engine, name) ?? false)
    this.imageChecks = new ImageChecks(context, settings.observer)
    this.done = this.run().catch((error: unknown) => {
      // Only the database failing gets here; the loop ends rather than take the process down.
      settings.logger.log('error', 'loop.failed', {repo: name, error: errorMessage(error)})
    })
  }

  stop(): void {
    this.stopped.abort()
    if (this.nudgeTimer) clearTimeout(this.nudgeTimer)
    this.wake?.()
  }

  /**
   * Something happened to one of the stack's containers: check for drift shortly rather than at the next
   * interval. Shortly, because the engine sends `die` before its container listing says the container
   * exited; the delay also folds a burst of events (kill, die, stop) into one check.
   */
  nudge(delayMs = NUDGE_SETTLE_MS): void {
    const due = Date.now() + delayMs
    // A pending look as soon or sooner folds this one in; a later one (a confirmation) gives way to it.
    if (this.nudgeTimer && this.nudgeDue <= due) return
    if (this.nudgeTimer) clearTimeout(this.nudgeTimer)
    this.nudgeDue = due
    this.nudgeTimer = setTimeout(() => {
      this.nudgeTimer = null
      this.nudged = true
      this.wake?.()
    }, delayMs)
  }

  /**
   * Poll the remote now (a push webhook arrived). Requests during a round fold into one more round after
   * it: a burst of pushes causes one round in flight and one queued, never more. `onFailed` is called if
   * the round that serves this request cannot reach the remote or fails otherwise (`roundFailed`).
   */
  requestPoll(onFailed?: () => void, by: 'webhook' | 'engine' = 'webhook'): void {
    if (onFailed) this.pollFailureListeners.push(onFailed)
    if (by === 'webhook') this.webhookAsked = true
    this.pollRequested = true
    this.wake?.()
  }

  /** The engine's event stream is back after breaking: check for drift, and deploy a commit that waited for it. */
  engineReconnected(engine: EngineId): void {
    // Events were missed: every stack on it is listed again.
    this.driftChecks.forgetEngine(engine)
    if (this.waitingForEngines.has(engine)) this.requestPoll(undefined, 'engine')
    this.nudge()
  }

  /** serve no longer hears the engine's events (it stopped watching it): its stacks' last listings stand for nothing. */
  engineUnheard(engine: EngineId): void {
    this.driftChecks.forgetEngine(engine)
  }

  /**
   * An event of `engine`: the stacks on it that it may have changed are listed at their next check, at
   * once if kedge's containers may have drifted. Two engines' projects of the same name are not confused.
   */
  engineChanged(engine: EngineId, change: EngineChange): void {
    if (change.kind !== 'containers') return this.driftChecks.forgetEngine(engine)
    this.driftChecks.touched(engine, change.projects)
    if (change.mayDrift && change.repository === this.name) this.nudge()
  }

  private async run(): Promise<void> {
    this.composeLimitMs = composeTimeoutSetting() ?? DEFAULT_COMPOSE_LIMIT_MS
    let trigger: 'startup' | 'git' = 'startup'
    for (;;) {
      const found = this.context.store.findRepository(this.name)
      if (!found || this.stopped.signal.aborted) return
      const repository = this.checkedRow(found)
      if (!repository) {
        await this.sleepUntil(this.nextPollAt)
        continue
      }
      const logger = this.loggerFor(repository)
      const byEvent = this.nudged
      this.nudged = false
      const pollDue = this.pollRequested || Date.now() >= this.nextPollAt
      const requested = pollDue && this.pollRequested
      if (pollDue) this.pollRequested = false
      // A deploy this round makes was asked for by a push when a webhook asked since the last round: its reason says so.
      this.foundBy = pollDue && this.webhookAsked ? 'webhook' : 'poll'
      if (pollDue) this.webhookAsked = false
      // Requests made from here on are served by the next round, not this one.
      const listeners = pollDue ? this.pollFailureListeners : []
      if (pollDue) this.pollFailureListeners = []
      const {reconciled, drift} = await this.roundOnce(repository, pollDue ? trigger : null, logger)
      if (!this.stopped.signal.aborted) await this.imageRound(repository, logger)
      if (pollDue) {
        const result = reconciled ?? null
        if (result?.kind === 'busy') this.pollFailureListeners.unshift(...listeners)
        else if (result === null || roundFailed(result)) for (const onFailed of listeners) onFailed()
        // A round another process held the lock for did not reconcile anything; any other outcome did.
        if (result?.kind !== 'busy') this.reconciledOnce = true
        if (result?.kind !== 'busy') trigger = 'git'
        // A webhook's poll that found another deploy under way must not wait a whole interval.
        this.nextPollAt = Date.now() + (requested && result?.kind === 'busy' ? REQUESTED_POLL_RETRY_MS : this.nextDelay(repository))
        if (this.failures > 0) logger.log('info', 'poll.retry', {repo: this.name, in: formatDuration(this.nextPollAt - Date.now())})
      }
      if (drift !== undefined) {
        if (byEvent && !this.confirming && (drift === 'in-sync' || drift === 'busy')) {
          this.confirming = true
          // The stacks the event touched are listed again: a listing so soon after it is not trusted (drift-check-gate.ts).
          this.nudge(EVENT_CONFIRM_MS)
        } else {
          this.confirming = false
        }
      }
      if (this.nudged || this.pollRequested) continue
      await this.sleepUntil(this.nextPollAt)
    }
  }

  /**
   * The row when every column holds what kedge writes; else null, after logging why (once per cause) and
   * setting the next look a backed-off interval away: a damaged row (an interval of 0, a name that
   * would lead out of the home) neither spins the loop nor touches the host until it is corrected.
   */
  private checkedRow(row: RepositoryRow): RepositoryRow | null {
    try {
      checkRepositoryRow(row)
      this.corruptMessage = null
      return row
    } catch (error) {
      if (!isCorruptRow(error)) throw error
      this.reconciledOnce = true
      if (this.corruptMessage !== error.message) {
        this.corruptMessage = error.message
        this.settings.logger.log('error', 'repo.corrupt', {repo: this.name, error: error.message, hint: error.hint})
      }
      if (Date.now() >= this.nextPollAt) {
        this.failures++
        this.nextPollAt = Date.now() + this.backedOff(this.settings.defaultIntervalMs)
      }
      return null
    }
  }

  private sleepUntil(time: number): Promise<void> {
    if (this.stopped.signal.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      // Waking early is harmless: the loop polls only once the time has come.
      const timer = setTimeout(done, Math.min(MAX_TIMER_MS, Math.max(0, time - Date.now())))
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wake = () => {
        this.wake = null
        done()
      }
    })
  }

  /**
   * One round, within one deadline (see round-deadline.ts): the poll (when `trigger` says one is due),
   * made before the lock by every round but serve's first and ending the round when it calls for nothing
   * (lookBeforeLock); else, under one take of the repository's lock, the deploy it leads to, then the
   * drift check and its heal.
   * `reconciled` is null when the poll failed, undefined when none was due; `drift` is undefined when no
   * check ran (the row was removed or damaged meanwhile, serve is stopping, the round ran past its deadline).
   */
  private async roundOnce(
    repository: RepositoryRow,
    trigger: 'startup' | 'git' | null,
    logger: Logger,
  ): Promise<{reconciled?: ReconcileResult | null; drift?: HealResult['kind'] | 'failed'}> {
    const outcome: {reconciled?: ReconcileResult | null; drift?: HealResult['kind'] | 'failed'} = {}
    this.repositoryId = repository.id
    this.repositoryEngine = repository.engineId
    const hostKeysBefore = repository.knownHosts
    const started = performance.now()
    // A round with a poll may deploy and then heal: its deadline counts both.
    const deadline = this.deadlineFor(trigger ? 2 : 1, trigger ? 'poll' : 'drift', logger)
    try {
      const onRecovered = (count: number) => logger.log('warn', 'deploy.interrupted', {repo: this.name, deployments: count})
      const purpose = `kedge serve (${trigger ?? 'drift'})`
      let polled: AskedHead | undefined
      if (trigger === 'git') {
        const look = await deadline.race(lookBeforeLock(this.context, repository, {signal: deadline.signal, onPolled: this.onPolled, needsListing: this.needsListing}))
        if (look.kind === 'quiet') {
          outcome.reconciled = this.roundReconciled({kind: 'stacks', head: look.head, results: look.results}, deadline, started, logger)
          outcome.drift = this.quietlyChecked(look.results, logger)
          return outcome
        }
        polled = look.asked
      }
      const round = await deadline.race(
        runRound(this.context, repository, {purpose, onRecovered: trigger ? onRecovered : undefined}, async (locked) => {
          const heldAtPoll = new Set<number>()
          if (trigger) outcome.reconciled = await this.reconcilePhase(locked, repository, trigger, deadline, started, logger, polled, heldAtPoll)
          if (deadline.overdue) return
          const current = this.context.store.findRepository(this.name)
          if (current && !this.stopped.signal.aborted && this.checkedRow(current)) outcome.drift = await this.healPhase(locked, current, deadline.signal, logger, heldAtPoll)
        }),
      )
      if (round.kind === 'busy') this.roundBusy(round.holder, trigger, started, logger, outcome)
    } catch (error) {
      // The lock could not be taken (a storage fault), or the round was given up past its deadline.
      if (trigger && outcome.reconciled === undefined) {
        this.settings.observer?.reconciled(this.name, {success: false, seconds: (performance.now() - started) / 1000})
        this.failures++
        outcome.reconciled = null
        if (error !== deadline.overdue) logger.log('error', 'reconcile.failed', {repo: this.name, error: errorMessage(error)})
      } else if (trigger && error !== deadline.overdue) {
        // The poll had its outcome, then the round failed (the lock's release, the drift check's reads).
        this.failures++
        logger.log('error', 'reconcile.failed', {repo: this.name, error: errorMessage(error)})
      } else if (error !== deadline.overdue) {
        logger.log('warn', 'drift.check_failed', {repo: this.name, error: errorMessage(error)})
      }
      outcome.drift ??= 'failed'
    } finally {
      deadline.end()
      if (trigger) this.reportHostKeys(repository, hostKeysBefore, logger)
      // After the work's own record of how it ended (`interrupted`, say), which would hide why.
      if (deadline.overdue) this.recordOverdue(repository, deadline.overdue, logger)
    }
    return outcome
  }

  /** The image checks that are due, after the round: within a round's deadline of their own, as a drift check's heal is. */
  private async imageRound(repository: RepositoryRow, logger: Logger): Promise<void> {
    const deadline = this.deadlineFor(1, 'images', logger)
    try {
      await deadline.race(this.imageChecks.checkDue(repository, logger, deadline.signal))
    } catch (error) {
      if (error !== deadline.overdue) logger.log('warn', 'images.check_failed', {repo: this.name, error: errorMessage(error)})
    } finally {
      deadline.end()
      if (deadline.overdue) this.recordOverdue(repository, deadline.overdue, logger)
    }
  }

  /** A failure to write it (a full disk) is logged: it must not end the repository's loop. */
  private recordOverdue(repository: RepositoryRow, overdue: Error, logger: Logger): void {
    try {
      this.context.store.recordRepositoryError(repository.id, overdue)
    } catch (error) {
      logger.log('error', 'round.overdue', {repo: this.name, error: `${overdue.message}; recording it failed: ${errorMessage(error)}`})
    }
  }

  /** Another process holds the repository: neither the poll nor the drift check could run. */
  private roundBusy(holder: LockRow, trigger: 'startup' | 'git' | null, started: number, logger: Logger, outcome: {reconciled?: ReconcileResult | null; drift?: string}): void {
    if (trigger) {
      const result: ReconcileResult = {kind: 'busy', holder}
      this.report(result, logger)
      this.settings.observer?.reconciled(this.name, {success: true, seconds: (performance.now() - started) / 1000})
      outcome.reconciled = result
    }
    outcome.drift = 'busy'
  }

  private async reconcilePhase(
    rounds: LockedRound,
    repository: RepositoryRow,
    trigger: 'startup' | 'git',
    deadline: RoundDeadline,
    started: number,
    logger: Logger,
    polled: AskedHead | undefined,
    heldAtPoll: Set<number>,
  ): Promise<ReconcileResult | null> {
    const observer = this.settings.observer
    try {
      const round = await rounds.reconcile(repository, {
        trigger,
        signal: deadline.signal,
        polled,
        onPolled: this.onPolled,
        onUnpinned: (pinned, head, target) => logger.log('info', 'rollback.unpinned', {...stackFields(target), pinned: pinned.slice(0, 12), head: head.slice(0, 12)}),
        onCheckoutConfig: (commit, config) => (this.checkout = {head: commit, config}),
        found: this.foundBy,
      })
      for (const {target, result} of round.kind === 'stacks' ? round.results : []) if (result.kind === 'stack-held') heldAtPoll.add(target.stack.id)
      return this.roundReconciled(round, deadline, started, logger)
    } catch (error) {
      observer?.reconciled(this.name, {success: false, seconds: (performance.now() - started) / 1000})
      this.failures++
      if (error !== deadline.overdue) logger.log('error', 'reconcile.failed', {repo: this.name, error: errorMessage(error)})
      return null
    }
  }

  /** What a round's poll led to, logged and counted: the round's one result, for what the loop decides from it. */
  private roundReconciled(round: RepositoryRound, deadline: RoundDeadline, started: number, logger: Logger): ReconcileResult {
    const observer = this.settings.observer
    const stacks = round.kind === 'stacks' ? round.results : []
    if (round.kind !== 'stacks') this.report(round, logger)
    for (const {target, result} of stacks) this.report(result, logger, target)
    const result = summaryOf(round)
    this.failures = roundFailed(result) ? this.failures + 1 : 0
    // A deploy the host cut short is retried as soon as its engine is back, before a drift check could
    // heal the stack back to the commit that ran before it.
    this.waitingForEngines = new Set(stacks.filter(({result: stack}) => waitsForEngine(stack)).map(({target}) => stackEngineId(target)))
    // A round stopped at its deadline backs off like any other that could not do its job.
    if (deadline.overdue && !roundFailed(result)) this.failures++
    const deployFailed = stacks.some(({result: stack}) => stack.kind === 'deployed' && stack.outcome.error)
    observer?.reconciled(this.name, {success: !roundFailed(result) && !deployFailed, seconds: (performance.now() - started) / 1000})
    for (const {result: stack} of stacks) if (stack.kind === 'deployed') observer?.deployed(this.name, stack.outcome.deployment, stack.outcome.error === null)
    return result
  }

  private readonly onPolled = (outcome: {success: boolean; seconds: number; head: string | null}) => this.settings.observer?.polled(this.name, outcome)

  /** Whether a drift check must list the stack's containers this round, rather than trust its last listing (drift-check-gate.ts). */
  private readonly needsListing = (stack: StackRow, lastGood: {id: number}): boolean => {
    const checked = this.checkedStack(stack, lastGood)
    return checked === null || this.driftChecks.needsCheck(checked)
  }

  /** The drift check of a round that needed no listing: what healPhase would have found and logged. */
  private quietlyChecked(results: readonly StackRound[], logger: Logger): HealResult['kind'] {
    for (const {target, result} of results) if (result.kind === 'stack-held') this.logHeal(result, logger, target)
    return 'in-sync'
  }

  /** Checks each stack for drift and acts on it by its mode; returns what the checks found (the first that was not in sync). */
  private async healPhase(round: LockedRound, repository: RepositoryRow, signal: AbortSignal, logger: Logger, heldAtPoll: ReadonlySet<number>): Promise<HealResult['kind'] | 'failed'> {
    const found: Array<HealResult['kind'] | 'failed'> = []
    this.repositoryEngine = repository.engineId
    for (const stack of this.upEnginesFirst(stacksOf(this.context, repository), repository)) {
      if (signal.aborted) break
      // A stack its repository no longer holds is neither deployed nor healed.
      if (stack.hold === 'gone') {
        this.driftChecks.forget(stack.id)
        continue
      }
      // Held when this round polled, and resumed (or brought up) since: the next round deploys the branch head
      // first, rather than this one healing it back to the commit it ran before its hold.
      if (heldAtPoll.has(stack.id) && !stack.hold) continue
      const target = {repository, stack}
      const summary = this.context.store.lastGoodSummary(stack.id)
      const checked = summary ? this.checkedStack(stack, summary) : null
      // Found in sync before, and nothing the engine told since could change that: no listing this round.
      if (checked && !this.driftChecks.needsCheck(checked)) {
        found.push('in-sync')
        continue
      }
      if (checked) this.driftChecks.begin(checked)
      try {
        const result = await round.heal(target, {signal, parsed: this.parsedDeployment(stack.id)})
        this.driftChecks.end(stack.id, result.kind === 'in-sync')
        this.logHeal(result, logger, target)
        found.push(result.kind)
      } catch (error) {
        this.driftChecks.end(stack.id, false)
        logger.log('warn', 'drift.check_failed', {...stackFields(target), error: errorMessage(error)})
        found.push('failed')
      }
    }
    // A held stack is not checked: it says nothing of the others, which may be in sync.
    return found.find((kind) => kind !== 'in-sync' && kind !== 'stack-held') ?? 'in-sync'
  }

  /**
   * The stacks to check, those on an engine serve finds down last: each check of one waits for its
   * engine's time limits, and the stacks on engines that answer are not kept waiting behind it.
   */
  private upEnginesFirst(stacks: StackRow[], repository: RepositoryRow): StackRow[] {
    const engineDown = this.settings.engineDown
    if (!engineDown) return stacks
    const down = (stack: StackRow) => engineDown(stackEngineId({repository, stack}))
    return [...stacks.filter((stack) => !down(stack)), ...stacks.filter(down)]
  }

  /**
   * The stack as the drift-check gate knows it: its engine, its project as its deployed snapshot names it,
   * and what else a check's verdict depends on. Null until a check has parsed the deployment it compares with.
   */
  private checkedStack(stack: StackRow, lastGood: {id: number}): CheckedStack | null {
    const parsed = this.deployed.get(stack.id)?.current
    if (parsed?.deploymentId !== lastGood.id) return null
    // The engine's container events tell nothing of a swarm stack (its services change without one, and its
    // tasks run on other nodes): it is listed every round, three requests to the manager.
    if (parsed.snapshot.target === 'swarm') return null
    const engine = stackEngineId({repository: {engineId: this.repositoryEngine}, stack})
    return {id: stack.id, engine, project: parsed.snapshot.project, stamp: `${lastGood.id}|${stack.hold ?? ''}|${stack.drift ?? ''}`}
  }

  /** Where a stack's parsed deployment is kept between checks. */
  private parsedDeployment(stackId: number): {current: ParsedDeployment | null} {
    let kept = this.deployed.get(stackId)
    if (!kept) this.deployed.set(stackId, (kept = {current: null}))
    return kept
  }

  /** The first contact with an SSH remote trusts its host key from then on: say which key that was. */
  private reportHostKeys(repository: RepositoryRow, hostKeysBefore: string | null, logger: Logger): void {
    const hostKeysAfter = hostKeysBefore?.trim() || repository.authKind !== 'ssh_key' ? null : this.context.store.findRepository(this.name)?.knownHosts
    if (!hostKeysAfter?.trim()) return
    for (const key of parseKnownHosts(hostKeysAfter)) {
      logger.log('warn', 'host_key.accepted', {repo: this.name, host: key.hosts, type: key.type, fingerprint: key.fingerprint})
    }
  }

  /**
   * The deadline of a round's work (see round-deadline.ts), for `phases` (a poll, a drift check) each
   * allowed a round's time. When it passes, the work is told to stop, and the log says so at once; the
   * error is recorded on the repository once the work has stopped.
   */
  private deadlineFor(phases: number, round: 'poll' | 'drift' | 'images', logger: Logger): RoundDeadline {
    // Asked again when the time comes: the commit the round fetched may allow more.
    // Each stack of the repository may deploy (or be checked) in the round, one after another.
    const config = () => this.checkout?.config
    const limitMs = (stacks: number) =>
      phases * stacks * roundDeadlineMs(this.composeLimitMs, config()?.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS, config()?.hooks?.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS)
    const countedLimitMs = () => limitMs(Math.max(1, this.context.store.listStacks(this.repositoryId ?? -1).length))
    const overdue = (error: ExternalError) => logger.log('error', 'round.overdue', {repo: this.name, round, error: error.message})
    // One stack's limit first: no round has less, and it is counted only by a round that outlasts it.
    return new RoundDeadline(this.settings.abandon, countedLimitMs, overdue, undefined, limitMs(1))
  }

  private logHeal(result: HealResult, logger: Logger, target: StackTarget): void {
    const repo = this.name
    const fields = stackFields(target)
    if (result.kind === 'in-sync') this.settings.observer?.driftChecked(repo, target.stack.name, [])
    if ('drift' in result) this.settings.observer?.driftChecked(repo, target.stack.name, result.drift)
    switch (result.kind) {
      case 'busy':
      case 'nothing-deployed':
        return
      case 'stack-held':
        return logger.log('debug', 'drift.not_checked', {...fields, hold: result.hold.kind, since: result.hold.since})
      case 'in-sync':
        if (result.changed) logger.log('info', 'drift.resolved', fields)
        return
      case 'recorded':
        if (result.changed) logger.log('warn', 'drift.detected', {...fields, mode: result.mode, drift: describeDrift(result.drift)})
        return
      case 'held':
        if (result.changed) logger.log('warn', 'drift.held', {...fields, drift: describeDrift(result.drift), reason: result.reason})
        return
      case 'flapping':
        if (result.changed) logger.log('warn', 'drift.detected', {...fields, mode: 'auto', drift: describeDrift(result.drift)})
        return logger.log('warn', 'drift.flapping', {...fields, drift: describeDrift(result.drift), heals: result.maxHeals, within: formatDuration(result.windowMs)})
      case 'healed': {
        const {deployment, error} = result.outcome
        const took = tookOf(deployment)
        logger.log('warn', 'drift.detected', {...fields, mode: 'auto', drift: describeDrift(result.drift)})
        if (error) return logger.log('error', 'drift.heal_failed', {...fields, commit: deployment.commit.slice(0, 12), error: error.message})
        return logger.log('info', 'drift.healed', {...fields, commit: deployment.commit.slice(0, 12), took})
      }
    }
  }

  /** Logs what a round did, for the repository or one of its stacks. */
  private report(result: ReconcileResult, logger: Logger, target?: StackTarget): void {
    const repo = this.name
    const fields = target ? stackFields(target) : {repo}
    switch (result.kind) {
      case 'busy':
        return logger.log('debug', 'poll.busy', {...fields, holder: describeHolder(result.holder)})
      case 'unreachable':
      case 'no-branch':
        return logger.log('warn', 'poll.failed', {...fields, error: result.error.message})
      case 'up-to-date':
        return logger.log('debug', 'poll.unchanged', {...fields, commit: result.commit.slice(0, 12)})
      case 'pinned':
        return logger.log('debug', 'poll.pinned', {...fields, commit: result.commit.slice(0, 12)})
      case 'already-failed':
        return logger.log('debug', 'poll.skipped', {...fields, commit: result.commit.slice(0, 12), reason: 'this commit failed to deploy; waiting for a new one'})
      case 'already-pending':
        return logger.log('debug', 'poll.pending', {...fields, commit: result.commit.slice(0, 12)})
      case 'pending':
        return logger.log('info', 'change.pending', {...fields, commit: result.commit.slice(0, 12), mode: result.mode, changes: describeChanges(result.changes)})
      case 'plan-failed':
        return logger.log('warn', 'plan.failed', {...fields, commit: result.commit.slice(0, 12), error: result.error.message})
      case 'engine-unavailable':
        return logger.log('warn', 'deploy.deferred', {...fields, commit: result.commit.slice(0, 12), error: result.error.message})
      case 'stack-held':
        return logger.log('debug', 'poll.held', {...fields, hold: result.hold.kind, since: result.hold.since})
      case 'unchanged':
        return logger.log('debug', 'poll.unchanged', {...fields, commit: result.commit.slice(0, 12), reason: 'the commit changes nothing the stack reads'})
      case 'skipped':
        return logger.log('warn', 'deploy.skipped', {...fields, commit: result.commit.slice(0, 12), reason: result.deployment.note})
      case 'gone':
        return logger.log(result.prune ? 'warn' : 'debug', 'stack.gone', {...fields, commit: result.commit.slice(0, 12), action: result.prune ? 'taken down' : 'left running (prune is off)'})
      case 'deployed': {
        const {deployment, changes, error} = result.outcome
        const took = tookOf(deployment)
        const deployed = {...fields, commit: deployment.commit.slice(0, 12), trigger: deployment.trigger, took}
        if (error) return logger.log('error', 'deploy.failed', {...deployed, error: error.message, ...(deployment.note ? {action: deployment.note} : {})})
        return logger.log('info', 'deploy.succeeded', {...deployed, changes: describeChanges(changes)})
      }
    }
  }

  /** The repository's interval (repo add --interval, else kedge.yaml, else serve's), doubled per consecutive failure up to a cap. */
  private nextDelay(repository: RepositoryRow): number {
    // The round has just read the fetched commit's kedge.yaml, if it fetched; the row it was given is older.
    const config = this.checkout ? this.checkout.config : this.checkoutConfig(repository)
    return this.backedOff(repository.intervalMs ?? config?.intervalMs ?? this.settings.defaultIntervalMs)
  }

  private backedOff(intervalMs: number): number {
    // Never below the shortest interval kedge takes, whatever the value came from.
    const interval = Math.max(MIN_INTERVAL_MS, intervalMs)
    if (this.failures === 0) return interval
    return Math.min(interval * 2 ** this.failures, Math.max(interval, MAX_BACKOFF_MS))
  }

  /** The clone's kedge.yaml: as the last round read it, or read now when someone else's fetch (kedge sync) moved the clone. */
  private checkoutConfig(repository: RepositoryRow): KedgeConfig | null {
    if (this.checkout?.head !== repository.remoteHead) this.checkout = {head: repository.remoteHead, config: readCheckoutConfig(this.context, repository)}
    return this.checkout.config
  }

  private loggerFor(repository: RepositoryRow): Logger {
    const logging = this.checkoutConfig(repository)?.logging
    if (!logging) return this.settings.logger
    return this.settings.logger.with({
      // A repository may ask for more detail, never for less: its own commit must not hide its deploys from the operator.
      level: this.settings.fixedLogLevel || !logging.level ? undefined : moreVerbose(logging.level, this.settings.logger.level),
      format: this.settings.fixedLogFormat ? undefined : logging.format,
    })
  }
}

/** A round that could not do its job (the remote, the branch, the plan or the host failed): it backs off. A failed deploy is the commit's fault, not the round's. */
function roundFailed(result: ReconcileResult): boolean {
  return (
    result.kind === 'unreachable' ||
    result.kind === 'no-branch' ||
    result.kind === 'plan-failed' ||
    result.kind === 'engine-unavailable' ||
    // Retried rather than held against the commit, so it backs off like the others.
    (result.kind === 'deployed' && result.outcome.deployment.interrupted)
  )
}

/** How long a finished deployment took, as logged. */
function tookOf(deployment: DeploymentRow): string | undefined {
  return deployment.finishedAt ? formatDuration(Math.max(1, deployment.finishedAt.getTime() - deployment.startedAt.getTime())) : undefined
}

/** A stack as logs name it: the repository, and the stack's own name when it is one of several. */
function stackFields(target: StackTarget): {repo: string; stack?: string} {
  return isRootStack(target) ? {repo: target.repository.name} : {repo: target.repository.name, stack: target.stack.name}
}

/** Whether a stack's round leaves a commit waiting for the Docker engine. */
function waitsForEngine(result: ReconcileResult): boolean {
  return result.kind === 'engine-unavailable' || (result.kind === 'deployed' && result.outcome.deployment.interrupted)
}

/**
 * One result for the whole round, for what the loop decides from it (backing off, telling webhooks
 * their poll failed): the repository's own failure, else the first stack's round that failed, else the
 * first deploy, else the first stack's result.
 */
function summaryOf(round: RepositoryRound): ReconcileResult {
  if (round.kind !== 'stacks') return round
  const results = round.results.map((entry) => entry.result)
  return results.find(roundFailed) ?? results.find((result) => result.kind === 'deployed') ?? results[0] ?? {kind: 'up-to-date', commit: round.head}
}
