/**
 * The operator's own work queue, keyed by `namespace/name`. Events only add
 * keys; workers take them in order with bounded concurrency. A key is
 * never processed twice at once: added while in flight, it runs once more
 * afterwards (the latest state wins, however many events came). Each add
 * carries a hint (why the key was added); hints of one pending key are
 * merged. Delayed adds (retries) keep one timer per key, the earliest.
 */
export type ProcessKey<H> = (key: string, hint: H) => Promise<void>;

export interface QueueLogger {
  error(obj: object, msg: string): void;
}

export interface QueueOptions {
  /** Created paused: keys are collected until `resume()`. */
  readonly paused?: boolean;
  /** Called as a key's processing starts, with the seconds since it entered the queue (the queue latency metric). */
  readonly onStart?: (waitedSeconds: number) => void;
}

export class WorkQueue<H> {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly dirty = new Set<string>();
  /** Dirty keys that go back at the head of the queue (added with addFirst while in flight). */
  private readonly urgent = new Set<string>();
  private readonly hints = new Map<string, H>();
  /** When each queued key entered the queue (performance.now()). */
  private readonly since = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly idleWaiters: (() => void)[] = [];
  private running = 0;
  /** In-flight keys waiting without a worker (see `parked`). */
  private parkedCount = 0;
  private closed = false;
  private paused: boolean;

  constructor(
    private readonly process: ProcessKey<H>,
    private readonly concurrency: number,
    private readonly merge: (a: H, b: H) => H,
    private readonly log: QueueLogger,
    private readonly options: QueueOptions = {},
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    this.paused = options.paused === true;
  }

  /** Starts processing (a queue made paused collects keys until then). */
  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Keys waiting (not counting delayed ones). */
  get depth(): number {
    return this.queue.length;
  }

  /** In-flight keys parked (waiting without a worker). */
  get parkedKeys(): number {
    return this.parkedCount;
  }

  /** Keys being processed, parked ones included. */
  get active(): number {
    return this.running + this.parkedCount;
  }

  /**
   * Awaits `wait` for a key in flight without holding a worker: the slot
   * goes to the next key meanwhile, and comes back (above the limit for a
   * moment, if every slot is taken) when `wait` settles. For a reconcile
   * whose database turn is next: it has connected and waits for the run
   * ahead to end, which needs no worker, and must start the moment it does.
   * The key stays in flight (never processed twice at once).
   */
  async parked<T>(wait: Promise<T>): Promise<T> {
    this.running--;
    this.parkedCount++;
    this.pump();
    try {
      return await wait;
    } finally {
      this.parkedCount--;
      this.running++;
    }
  }

  add(key: string, hint: H): void {
    this.put(key, hint, false);
  }

  /**
   * Adds `key` at the head of the queue (moved there if already waiting):
   * for a resource whose turn on a database has come (KeyedMutex keeps the
   * database for it), so that the database does not sit idle behind every
   * key queued meanwhile. A key in flight runs again afterwards, as `add`.
   */
  addFirst(key: string, hint: H): void {
    this.put(key, hint, true);
  }

  private put(key: string, hint: H, first: boolean): void {
    if (this.closed) return;
    const before = this.hints.get(key);
    this.hints.set(key, before === undefined ? hint : this.merge(before, hint));
    if (this.inFlight.has(key)) {
      this.dirty.add(key);
      if (first) this.urgent.add(key);
      return;
    }
    if (this.queued.has(key)) {
      if (!first) return;
      this.queue.splice(this.queue.indexOf(key), 1);
    }
    this.enqueue(key, first);
    this.pump();
  }

  /** Adds `key` after `ms`; an earlier pending delayed add of the same key is kept. */
  addAfter(key: string, ms: number, hint: H): void {
    if (this.closed) return;
    const at = Date.now() + ms;
    const existing = this.timers.get(key);
    if (existing !== undefined && existing.at <= at) return;
    this.cancelTimer(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key, hint);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Forgets pending delayed adds of a key (the resource is gone). */
  forget(key: string): void {
    this.cancelTimer(key);
  }

  /** Keys with a pending delayed add. */
  get delayed(): number {
    return this.timers.size;
  }

  private cancelTimer(key: string): void {
    const t = this.timers.get(key);
    if (t !== undefined) {
      clearTimeout(t.timer);
      this.timers.delete(key);
    }
  }

  private pump(): void {
    while (!this.paused && this.running < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift() as string;
      this.queued.delete(key);
      this.options.onStart?.((performance.now() - (this.since.get(key) ?? performance.now())) / 1000);
      this.since.delete(key);
      this.inFlight.add(key);
      this.running++;
      const hint = this.hints.get(key) as H;
      this.hints.delete(key);
      void this.work(key, hint);
    }
    if (this.running === 0 && this.parkedCount === 0 && this.queue.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private async work(key: string, hint: H): Promise<void> {
    try {
      await this.process(key, hint);
    } catch (e) {
      // The reconciler handles its own errors; anything reaching here is a bug, logged, never lost silently.
      this.log.error({ key, err: e instanceof Error ? e.message : String(e) }, 'reconcile crashed');
    } finally {
      this.inFlight.delete(key);
      this.running--;
      if (this.dirty.delete(key)) this.requeueDirty(key);
      this.pump();
    }
  }

  private requeueDirty(key: string): void {
    const first = this.urgent.delete(key);
    if (this.closed || this.queued.has(key)) return;
    this.enqueue(key, first);
  }

  private enqueue(key: string, first = false): void {
    this.queued.add(key);
    if (first) this.queue.unshift(key);
    else this.queue.push(key);
    // A key moved to the head keeps the time it first entered (the latency metric counts all of its wait).
    if (!this.since.has(key)) this.since.set(key, performance.now());
  }

  /** Stops taking keys and timers; resolves when in-flight work has finished. */
  async shutdown(): Promise<void> {
    this.closed = true;
    for (const key of [...this.timers.keys()]) this.cancelTimer(key);
    this.queue.length = 0;
    this.queued.clear();
    this.since.clear();
    this.dirty.clear();
    this.urgent.clear();
    this.hints.clear();
    if (this.running === 0 && this.parkedCount === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
