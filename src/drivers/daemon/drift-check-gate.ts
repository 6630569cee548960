/**
 * How long a stack found in sync goes without a listing of its containers, however quiet the engine's
 * events: the backstop for anything the event stream could not tell (an event the engine dropped, an
 * image a build moved without an event). Ten minutes, Flux's usual interval for its own drift checks: a
 * listing costs serve about 3 ms of CPU (three engine requests and a write), and 1,000 quiet stacks listed
 * every five minutes cost 1% of a core by themselves (bench/stack-scale.ts).
 */
export const FULL_CHECK_MS = 10 * 60_000

/**
 * A listing this soon after an event about the stack's project is not trusted to stand for the
 * following rounds: on a busy host the engine's listing lags its events (a `die` before the container
 * reads as exited), by up to about the two seconds serve's confirming look waits.
 */
export const SETTLED_AFTER_MS = 5000

/** A registered engine's id; null is the local engine. */
export type EngineId = number | null

/** What a check was of: a stack, by id, the engine it runs on, and the Compose project its containers are in there. */
export interface CheckedStack {
  id: number
  /** Two engines may each run a project of the same name: an event of one says nothing of the other's. */
  engine: EngineId
  project: string
  /**
   * Whatever else the check's verdict depends on (the deployment it compares with, the stack's hold and
   * recorded drift): a stack whose stamp changed is checked again, events or not.
   */
  stamp: string
}

interface Entry {
  engine: EngineId
  project: string
  stamp: string
  /** When the check that found the stack in sync began; null while no such check stands. */
  inSyncSince: number | null
  /** When its check began, while it runs. */
  checkingSince: number | null
  /** Set when an event arrived while its check ran: its outcome is stale. */
  touchedWhileChecking: boolean
  /** When an event last touched its project. */
  lastTouch: number
}

/**
 * Which of a repository's stacks a drift check must list. A stack found in sync needs no listing until
 * an event of its engine touches its project, its stamp changes, its engine's event stream breaks, or
 * FULL_CHECK_MS passes. Without it, serve lists every stack's containers every round: bench/stack-scale.ts (1,000
 * stacks idle, --compare) and bench/many-stacks.ts (idle round) measure what skipping the quiet ones
 * saves (docs/performance.md, "Idle cost at scale").
 */
export class DriftCheckGate {
  private readonly entries = new Map<number, Entry>()

  constructor(
    /** Whether the engine's event stream is connected now (and its events reach this gate): while it is not, every stack on it is listed. */
    private readonly eventsLive: (engine: EngineId) => boolean,
    private readonly now: () => number = Date.now,
    private readonly fullCheckMs = FULL_CHECK_MS,
  ) {}

  /** Whether the stack must be listed this round. */
  needsCheck(stack: CheckedStack): boolean {
    const entry = this.entries.get(stack.id)
    if (!entry || entry.inSyncSince === null || !this.eventsLive(stack.engine)) return true
    return entry.engine !== stack.engine || entry.project !== stack.project || entry.stamp !== stack.stamp || this.now() - entry.inSyncSince >= this.fullCheckMs
  }

  /** A check of the stack begins: until it ends, an event about its project makes its outcome stale. */
  begin(stack: CheckedStack): void {
    const previous = this.entries.get(stack.id)
    const lastTouch = previous?.engine === stack.engine && previous.project === stack.project ? previous.lastTouch : -Infinity
    this.entries.set(stack.id, {
      engine: stack.engine,
      project: stack.project,
      stamp: stack.stamp,
      inSyncSince: null,
      checkingSince: this.now(),
      touchedWhileChecking: !this.eventsLive(stack.engine),
      lastTouch,
    })
  }

  /**
   * The check ended. A stack found in sync may skip the next ones when no event came during the check,
   * the stream was live throughout, and its last event was long enough before the check for the
   * listing to show it.
   */
  end(stackId: number, inSync: boolean): void {
    const entry = this.entries.get(stackId)
    if (entry?.checkingSince == null) return
    const settled = entry.checkingSince - entry.lastTouch >= SETTLED_AFTER_MS
    entry.inSyncSince = inSync && settled && !entry.touchedWhileChecking && this.eventsLive(entry.engine) ? entry.checkingSince : null
    entry.checkingSince = null
  }

  /** An event of `engine` about one of these projects' containers. */
  touched(engine: EngineId, projects: readonly string[]): void {
    const now = this.now()
    for (const entry of this.entries.values()) {
      if (entry.engine !== engine || !projects.includes(entry.project)) continue
      entry.lastTouch = now
      entry.inSyncSince = null
      if (entry.checkingSince !== null) entry.touchedWhileChecking = true
    }
  }

  /**
   * Every stack on `engine` is listed at its next check: an image moved there, or its events were missed
   * (its stream broke, a line was unreadable, serve stopped watching it).
   */
  forgetEngine(engine: EngineId): void {
    for (const entry of this.entries.values()) {
      if (entry.engine !== engine) continue
      entry.inSyncSince = null
      if (entry.checkingSince !== null) entry.touchedWhileChecking = true
    }
  }

  /** A stack the repository no longer holds. */
  forget(stackId: number): void {
    this.entries.delete(stackId)
  }
}
