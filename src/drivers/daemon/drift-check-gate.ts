/**
 * How long a stack found in sync goes without a listing of its containers, however quiet the engine's
 * events: the backstop for anything the event stream could not tell (an event the engine dropped).
 */
export const FULL_CHECK_MS = 5 * 60_000

/** What a check was of: a stack, by id, and the Compose project its containers are in. */
export interface CheckedStack {
  id: number
  project: string
  /**
   * Whatever else the check's verdict depends on (the deployment it compares with, the stack's hold and
   * recorded drift): a stack whose stamp changed is checked again, events or not.
   */
  stamp: string
}

interface Entry {
  project: string
  stamp: string
  /** When the check that found the stack in sync began. */
  since: number
  /** Set while its check runs: an event then makes its outcome stale. */
  checking: boolean
  touched: boolean
}

/**
 * Which of a repository's stacks a drift check must list. A stack found in sync needs no listing until
 * an engine event touches its project, its stamp changes, the event stream breaks, or FULL_CHECK_MS
 * passes. Without it, serve lists every stack's containers every round: bench/many-stacks.ts (idle)
 * measures what skipping the quiet ones saves (docs/performance.md, "Many stacks in one repository").
 */
export class DriftCheckGate {
  private readonly entries = new Map<number, Entry>()

  constructor(
    /** Whether the engine's event stream is connected now: while it is not, every stack is listed. */
    private readonly eventsLive: () => boolean,
    private readonly now: () => number = Date.now,
    private readonly fullCheckMs = FULL_CHECK_MS,
  ) {}

  /** Whether the stack must be listed this round. */
  needsCheck(stack: CheckedStack): boolean {
    const entry = this.entries.get(stack.id)
    if (!entry || entry.checking || !this.eventsLive()) return true
    return entry.project !== stack.project || entry.stamp !== stack.stamp || this.now() - entry.since >= this.fullCheckMs
  }

  /** A check of the stack begins: until it ends, an event about its project makes its outcome stale. */
  begin(stack: CheckedStack): void {
    this.entries.set(stack.id, {project: stack.project, stamp: stack.stamp, since: this.now(), checking: true, touched: !this.eventsLive()})
  }

  /** The check ended: a stack found in sync, with no event meanwhile and the stream live throughout, may skip the next ones. */
  end(stackId: number, inSync: boolean): void {
    const entry = this.entries.get(stackId)
    if (!entry?.checking) return
    if (!inSync || entry.touched || !this.eventsLive()) this.entries.delete(stackId)
    else entry.checking = false
  }

  /** An engine event about one of these projects' containers. */
  touched(projects: readonly string[]): void {
    for (const [id, entry] of this.entries) {
      if (!projects.includes(entry.project)) continue
      if (entry.checking) entry.touched = true
      else this.entries.delete(id)
    }
  }

  /** Every stack is listed at its next check: an image moved, the event stream broke, or a check must be confirmed. */
  forgetAll(): void {
    for (const [id, entry] of this.entries) {
      if (entry.checking) entry.touched = true
      else this.entries.delete(id)
    }
  }

  /** A stack the repository no longer holds. */
  forget(stackId: number): void {
    this.entries.delete(stackId)
  }
}
