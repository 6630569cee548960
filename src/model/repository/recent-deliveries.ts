import {createHash} from 'node:crypto'

export interface RecentDeliveriesLimits {
  /** At most this many keys are kept; the oldest go first. */
  entries: number
  /** A key is forgotten this long after it was remembered. */
  ttlMs: number
}

/** Enough for a busy forge's deliveries of an hour, in about a megabyte. */
export const RECENT_DELIVERIES_LIMITS: RecentDeliveriesLimits = {entries: 10_000, ttlMs: 60 * 60 * 1000}

/**
 * A short memory of the webhook deliveries that asked for a poll, so that the same delivery sent
 * again (a forge's retry, or someone replaying what they captured) asks for nothing. A delivery whose
 * poll failed is forgotten (`forget`), so that sending it again once the remote is back counts. Bounded in size
 * and in time; keys are kept as digests, so a long key costs no more than a short one.
 */
export class RecentDeliveries {
  /** Digest to when it was remembered; a Map keeps insertion order, so the oldest come first. */
  private readonly remembered = new Map<string, number>()

  constructor(
    private readonly limits: RecentDeliveriesLimits = RECENT_DELIVERIES_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether any of the keys was remembered within the time kept. */
  seen(keys: string[]): boolean {
    this.forgetExpired()
    return keys.some((key) => this.remembered.has(digest(key)))
  }

  remember(keys: string[]): void {
    this.forgetExpired()
    for (const key of keys) {
      const hashed = digest(key)
      // Re-inserted, so that it counts as new for eviction.
      this.remembered.delete(hashed)
      this.remembered.set(hashed, this.now())
    }
    for (const oldest of this.remembered.keys()) {
      if (this.remembered.size <= this.limits.entries) break
      this.remembered.delete(oldest)
    }
  }

  /** Forgets the keys, so that the same delivery counts again. */
  forget(keys: string[]): void {
    for (const key of keys) this.remembered.delete(digest(key))
  }

  get size(): number {
    return this.remembered.size
  }

  private forgetExpired(): void {
    const cutoff = this.now() - this.limits.ttlMs
    for (const [key, at] of this.remembered) {
      if (at > cutoff) break
      this.remembered.delete(key)
    }
  }
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('base64url')
}
