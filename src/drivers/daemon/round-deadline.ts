import {formatDuration, MAX_TIMER_MS} from '../../model/config/duration.js'
import {ExternalError} from '../../model/errors.js'

/** Compose commands a round may run one after another, each up to its limit: a deploy's build, pull and up, and its automatic rollback's up. */
const LONG_COMPOSE_COMMANDS = 4
/** Compose's own limit on a pull or an up when KEDGE_COMPOSE_TIMEOUT sets none (src/adapters/compose/compose.ts). */
export const DEFAULT_COMPOSE_LIMIT_MS = 15 * 60_000
/** The rest of a round at its limits: git's fetch (5 min) and queries, `compose config` (1 min), the engine's requests. */
const ROUND_MARGIN_MS = 15 * 60_000
/** After its deadline, how long a round's work gets to stop on its signal (a tool's SIGTERM grace is 10 s) before the loop goes on without it. */
export const OVERDUE_GRACE_MS = 30_000

/**
 * How long one round of serve (a poll and the deploy it leads to, or a drift check and its heal) may
 * take: more than a real round takes with every step at its own limit (a deploy's health gate and its
 * rollback's, its hooks'), so that only a round stuck where nothing else bounds it reaches it. About an
 * hour with the default limits.
 */
export function roundDeadlineMs(composeLimitMs: number, healthTimeoutMs: number, hookTimeoutMs = 0): number {
  // A deploy runs at most two hooks (pre, then success or failure), each within its own timeout.
  return LONG_COMPOSE_COMMANDS * composeLimitMs + 2 * healthTimeoutMs + 2 * hookTimeoutMs + ROUND_MARGIN_MS
}

/** How early a timer may fire by Date.now's reckoning. */
const TIMER_SLACK_MS = 2

/**
 * One round's deadline. Its signal aborts when `abandon` does, or once the round has run for `limitMs()`;
 * the limit is asked again when that time comes, as the commit the round fetched may allow more (a
 * longer health_timeout). Then `onOverdue` is told, and the work is stopped through the signal: Compose
 * and git are stopped, the health gate gives up, the repository's lock is let go as the work unwinds.
 */
export class RoundDeadline {
  /** The error the round ends with, once its deadline has passed; null until then. */
  overdue: ExternalError | null = null
  private readonly controller = new AbortController()
  private readonly started = Date.now()
  private timer: NodeJS.Timeout | undefined
  private graceTimer: NodeJS.Timeout | undefined
  private readonly forwardAbandon = () => this.controller.abort(this.abandon.reason)

  constructor(
    private readonly abandon: AbortSignal,
    private readonly limitMs: () => number,
    private readonly onOverdue: (error: ExternalError) => void,
    private readonly graceMs = OVERDUE_GRACE_MS,
    /**
     * No more than the limit can be, taken for it at first so that starting a round asks nothing (the limit
     * counts the repository's stacks, a query at every round: bench/stack-scale.ts); `limitMs` is asked once it passes.
     */
    firstLimitMs?: number,
  ) {
    if (abandon.aborted) this.forwardAbandon()
    else abandon.addEventListener('abort', this.forwardAbandon, {once: true})
    this.arm(firstLimitMs)
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  /**
   * What `work` comes to; or, should it not have ended `graceMs` after the deadline, the overdue error:
   * the loop goes on, and the lock is let go whenever the stuck step ends.
   */
  race<T>(work: Promise<T>): Promise<T> {
    const givenUp = new Promise<never>((_, reject) => {
      const giveUp = () => {
        this.graceTimer = setTimeout(() => reject(this.overdue), this.graceMs)
      }
      if (this.overdue) giveUp()
      else this.controller.signal.addEventListener('abort', () => this.overdue && giveUp(), {once: true})
    })
    return Promise.race([work, givenUp])
  }

  /** The round is over: no deadline is left pending. */
  end(): void {
    clearTimeout(this.timer)
    clearTimeout(this.graceTimer)
    this.abandon.removeEventListener('abort', this.forwardAbandon)
  }

  private arm(knownLimit?: number): void {
    if (this.controller.signal.aborted) return
    const limit = knownLimit ?? this.limitMs()
    const left = this.started + limit - Date.now()
    // A timer may fire a millisecond before Date.now says its time has come: that is its time.
    if (left > TIMER_SLACK_MS) {
      this.timer = setTimeout(() => this.arm(), Math.min(left, MAX_TIMER_MS))
      return
    }
    if (knownLimit !== undefined) return this.arm()
    this.overdue = new ExternalError(`the round ran past its deadline of ${formatDuration(limit)} and was stopped`, {
      code: 'round_overdue',
      hint: "serve's log says what the round was doing; it is tried again after the usual backoff",
    })
    this.onOverdue(this.overdue)
    this.controller.abort(this.overdue)
  }
}
