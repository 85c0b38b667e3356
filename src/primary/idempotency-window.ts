// Publish ids seen in the last `windowMs`, for the whole cluster: a client that retries a
// publish on another worker must still be recognised. Entries expire in insertion order
// (the window is the same for all), so expiry is a walk from the oldest end of the Map.
// Bounded: past `maxEntries` the oldest ids are forgotten early, which only shortens the
// window for them; it never drops a fresh message.
export interface Claim {
  fresh: boolean;
  timestamp: number;
}

export class IdempotencyWindow {
  private readonly seen = new Map<string, { expiresAt: number; timestamp: number }>();
  /** Ids forgotten before their window ended because the map was full. */
  evictedEarly = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxEntries = 200_000,
    private readonly now: () => number = Date.now,
  ) {}

  claim(key: string, timestamp: number): Claim {
    const now = this.now();
    this.expire(now);
    const existing = this.seen.get(key);
    if (existing) return { fresh: false, timestamp: existing.timestamp };
    if (this.seen.size >= this.maxEntries) {
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
      this.evictedEarly++;
    }
    this.seen.set(key, { expiresAt: now + this.windowMs, timestamp });
    return { fresh: true, timestamp };
  }

  get size(): number {
    return this.seen.size;
  }

  private expire(now: number): void {
    for (const [key, entry] of this.seen) {
      if (entry.expiresAt > now) return;
      this.seen.delete(key);
    }
  }
}
