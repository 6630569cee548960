/** What serve is given to see the database's commits (the store's watchDatabaseChanges). */
export interface DatabaseChanges {
  version(): number
  repositoryVersions(): Map<string, string>
  accessVersion(): string
  close(): void
}

/**
 * How often the database's version is read while a dashboard is open: the most a change written by
 * another process (a `kedge sync` in a terminal) waits to be shown. Reading it costs a few microseconds.
 */
const CHECK_MS = 200

/**
 * Reads the database's version while someone watches, and when it moved, calls `changed` for each
 * repository whose state as shown changed (added and removed ones too). A deploy, a drift check, a hold:
 * whatever kedge records is a commit, whichever process made it; a poll that found nothing new changes
 * no repository's state, and is told to no one. `accessChanged` hears that a token was created or
 * revoked: the sessions of a revoked one end at once rather than at their stream's next keep-alive.
 */
export class DatabaseWatch {
  private timer: NodeJS.Timeout | null = null
  private changes: DatabaseChanges | null = null
  private last = -1
  private repositories = new Map<string, string>()
  private access = ''

  constructor(
    private readonly open: () => DatabaseChanges,
    private readonly changed: (repository: string) => void,
    private readonly accessChanged: () => void,
    private readonly failed: (error: unknown) => void,
  ) {}

  start(): void {
    if (this.timer) return
    try {
      this.changes ??= this.open()
      this.last = this.changes.version()
      this.repositories = this.changes.repositoryVersions()
      this.access = this.changes.accessVersion()
    } catch (error) {
      this.close()
      return this.failed(error)
    }
    this.timer = setInterval(() => this.check(), CHECK_MS)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  close(): void {
    this.stop()
    this.changes?.close()
    this.changes = null
  }

  private check(): void {
    try {
      const version = this.changes!.version()
      if (version === this.last) return
      this.last = version
      const now = this.changes!.repositoryVersions()
      const before = this.repositories
      this.repositories = now
      for (const name of new Set([...before.keys(), ...now.keys()])) if (before.get(name) !== now.get(name)) this.changed(name)
      const access = this.changes!.accessVersion()
      if (access !== this.access) this.accessChanged()
      this.access = access
    } catch (error) {
      // Closed, so that the next start opens the database afresh.
      this.close()
      this.failed(error)
    }
  }
}
