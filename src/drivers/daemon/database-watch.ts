/** What serve is given to see the database's commits (the store's watchDatabaseChanges). */
export interface DatabaseChanges {
  version(): number
  close(): void
}

/**
 * How often the database's version is read while a dashboard is open: the most a change written by
 * another process (a `kedge sync` in a terminal) waits to be shown. Reading it costs a few microseconds.
 */
const CHECK_MS = 200

/**
 * Reads the database's version while someone watches, and calls `changed` when it moved. A deploy, a
 * drift check, a hold: whatever kedge records is a commit, whichever process made it.
 */
export class DatabaseWatch {
  private timer: NodeJS.Timeout | null = null
  private changes: DatabaseChanges | null = null
  private last = -1

  constructor(
    private readonly open: () => DatabaseChanges,
    private readonly changed: () => void,
    private readonly failed: (error: unknown) => void,
  ) {}

  start(): void {
    if (this.timer) return
    try {
      this.changes ??= this.open()
      this.last = this.changes.version()
    } catch (error) {
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
      this.changed()
    } catch (error) {
      this.stop()
      this.failed(error)
    }
  }
}
