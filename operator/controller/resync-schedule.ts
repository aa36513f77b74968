/**
 * The resync, spread over its period instead of all at once. Each key has
 * a fixed phase inside the period, from a hash of the key (FNV-1a and
 * MurmurHash3's finalizer, so the same key always lands at the same offset): it is enqueued once per
 * period at that offset, so the time between two resyncs of one resource
 * is the period itself, and 10,000 resources arrive as a steady trickle
 * (about N/period per second), never as a burst that fills the queue and
 * opens as many database connections as there are workers at once.
 *
 * Each period takes a snapshot of the keys known at its start, sorted by
 * phase, and walks it with one timer (never sooner than `minTickMs` after
 * the last, so keys a few ms apart go out together). A key created during
 * a period was just reconciled by its ADDED event and joins the next one;
 * a key deleted meanwhile is dropped by the reconcile it gets (the
 * reconciler reads the watch's cache first). The first period starts one
 * period after `start()`, as the old `setInterval` did: the initial list
 * reconciles everything anyway.
 */

/** FNV-1a over the UTF-16 code units of `text`, as an unsigned 32-bit integer. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * MurmurHash3's finalizer: FNV-1a alone leaves names that differ only in
 * their last characters (`m-1`, `m-2`…) close together in the high bits,
 * which decide the phase (measured: 33 of 100 such keys in one second of 20).
 */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Offset of `key`'s resync inside a period of `periodMs`, in [0, periodMs). */
export function resyncPhase(key: string, periodMs: number): number {
  return Math.floor((mix32(fnv1a(key)) / 0x1_0000_0000) * periodMs);
}

export interface ResyncClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: ResyncClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ResyncScheduleOptions {
  readonly periodMs: number;
  /** The keys to resync, read at the start of each period. */
  readonly keys: () => readonly string[];
  readonly enqueue: (key: string) => void;
  /** Least time between two timer firings (default 100 ms, at most a 60th of the period). */
  readonly minTickMs?: number;
  readonly clock?: ResyncClock;
}

export class ResyncSchedule {
  private readonly clock: ResyncClock;
  private readonly minTickMs: number;
  private timer: unknown;
  /** Start of the current period (clock ms). */
  private periodStart = 0;
  /** This period's keys sorted by phase, and how many have gone out. */
  private pending: { readonly key: string; readonly at: number }[] = [];
  private next = 0;
  private stopped = true;

  constructor(private readonly opts: ResyncScheduleOptions) {
    if (!(opts.periodMs > 0)) throw new RangeError(`resync period must be positive, got ${opts.periodMs}`);
    this.clock = opts.clock ?? realClock;
    this.minTickMs = Math.min(opts.minTickMs ?? 100, opts.periodMs / 60);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.periodStart = this.clock.now() + this.opts.periodMs;
    this.pending = [];
    this.next = 0;
    this.arm(this.opts.periodMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }

  /** Keys still to go out in the current period. */
  get remaining(): number {
    return this.pending.length - this.next;
  }

  private arm(ms: number): void {
    this.timer = this.clock.setTimeout(() => this.tick(), Math.max(0, ms));
  }

  private beginPeriod(): void {
    const period = this.opts.periodMs;
    this.pending = this.opts
      .keys()
      .map((key) => ({ key, at: resyncPhase(key, period) }))
      .sort((a, b) => a.at - b.at);
    this.next = 0;
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.clock.now();
    // Every period that has begun by now (a clock that jumped, a stalled event loop) starts in turn.
    while (now >= this.periodStart + this.opts.periodMs) {
      this.flush(Number.POSITIVE_INFINITY);
      this.periodStart += this.opts.periodMs;
      // The new period begins from its first key (without this, a period whose last timer fired late was skipped whole).
      this.pending = [];
      this.next = 0;
    }
    if (this.pending.length === 0 && this.next === 0) this.beginPeriod();
    this.flush(now - this.periodStart);
    const upcoming = this.pending[this.next];
    if (upcoming === undefined) {
      // This period is done: the next one begins at its start.
      this.periodStart += this.opts.periodMs;
      this.pending = [];
      this.next = 0;
      this.arm(this.periodStart - now);
      return;
    }
    this.arm(Math.max(this.minTickMs, this.periodStart + upcoming.at - now));
  }

  /** Enqueues this period's keys whose phase is at or before `elapsed`. */
  private flush(elapsed: number): void {
    for (let p = this.pending[this.next]; p !== undefined && p.at <= elapsed; p = this.pending[this.next]) {
      this.next++;
      this.opts.enqueue(p.key);
    }
  }
}
