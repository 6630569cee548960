/** What the dashboard's event stream carries. */
export type LiveEvent =
  /** Something a view shows may have changed: the repository's, or anything (null). */
  | {kind: 'change'; repo: string | null}
  /** A step of an action started from the API with an `X-Kedge-Action` id. */
  | {kind: 'progress'; action: string; address: string; step: string; at: string}
  /** A token was created or revoked: each stream checks that its own still stands. */
  | {kind: 'access'}
  /** serve is stopping: the streams end. */
  | {kind: 'closing'}

/** Changes close together are told once: a deploy writes several rows and the engine sends several events in the same instant. */
const FOLD_MS = 100

/**
 * Tells the open event streams what changed, pushed by serve's own sources (the engine's events, the
 * database's commits, actions' steps). `onWatching` hears when the first stream opens and the last one
 * closes, so that a source with a cost runs only while someone watches.
 */
export class ChangeFeed {
  private readonly listeners = new Set<(event: LiveEvent) => void>()
  /** The repositories changed since the last telling; null in it means anything. */
  private readonly changed = new Set<string | null>()
  private foldTimer: NodeJS.Timeout | null = null

  constructor(private readonly onWatching: (watching: boolean) => void = () => {}) {}

  get watching(): boolean {
    return this.listeners.size > 0
  }

  get streams(): number {
    return this.listeners.size
  }

  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener)
    if (this.listeners.size === 1) this.onWatching(true)
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0) this.onWatching(false)
    }
  }

  /** Folded: within FOLD_MS, each repository is told once, and anything (null) once for all. */
  change(repo: string | null): void {
    if (!this.watching) return
    this.changed.add(repo)
    this.foldTimer ??= setTimeout(() => this.flush(), FOLD_MS)
  }

  progress(action: string, address: string, step: string, at: Date): void {
    this.tell({kind: 'progress', action, address, step, at: at.toISOString()})
  }

  accessChanged(): void {
    this.tell({kind: 'access'})
  }

  /** serve stops: every stream is ended. */
  close(): void {
    if (this.foldTimer) clearTimeout(this.foldTimer)
    this.foldTimer = null
    this.tell({kind: 'closing'})
  }

  private flush(): void {
    this.foldTimer = null
    const repos = this.changed.has(null) ? [null] : [...this.changed]
    this.changed.clear()
    for (const repo of repos) this.tell({kind: 'change', repo})
  }

  private tell(event: LiveEvent): void {
    for (const listener of [...this.listeners]) listener(event)
  }
}
