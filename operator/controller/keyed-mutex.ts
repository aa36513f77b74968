/**
 * One holder at a time per key: two AtlasMigrations naming the same
 * database never run at once in this process (the database lock would
 * serialize them too, but only after both opened connections and one
 * waited out its lock timeout).
 *
 * The operator does not wait for a busy key inside a work-queue slot: a
 * reconcile that finds its database busy leaves a wake-up (`tryRun`),
 * gives its slot back, and is added to the queue again when its turn
 * comes, so resources on one busy database never starve the others.
 * Turns are handed over in arrival order: a released key is reserved for
 * the first waiter until it runs or, having reconciled without needing it,
 * passes it on (`settle`). Nothing is ever lost: every waiter is woken in
 * turn, and a holder that fails or finds nothing to do still passes the
 * key on.
 */
export type Turn<T> = { readonly ran: true; readonly value: T } | { readonly ran: false };

/** A waiter: a resource that will be woken (queued again) when its turn comes, or a caller blocked in `run`. */
type Waiter = { readonly holder: string; wake: () => void } | { readonly holder: undefined; readonly grant: () => void };

interface Slot {
  held: boolean;
  /** The key is free but kept for this waiter, already woken, until it runs or settles. */
  reservedFor: string | undefined;
  readonly waiting: Waiter[];
}

export class KeyedMutex {
  private readonly slots = new Map<string, Slot>();
  /** holder → key it has a reservation on. */
  private readonly reservations = new Map<string, string>();

  private slot(key: string): Slot {
    let s = this.slots.get(key);
    if (s === undefined) {
      s = { held: false, reservedFor: undefined, waiting: [] };
      this.slots.set(key, s);
    }
    return s;
  }

  /** Whether `holder` (undefined: anyone) may take `key` now. */
  private free(s: Slot, holder: string | undefined): boolean {
    return !s.held && (s.reservedFor === undefined || s.reservedFor === holder);
  }

  private take(key: string, s: Slot): void {
    if (s.reservedFor !== undefined) this.reservations.delete(s.reservedFor);
    s.reservedFor = undefined;
    s.held = true;
  }

  /** The key is free: the first waiter gets it (a blocked caller at once; a resource by a reservation and a wake-up). */
  private handOff(key: string): void {
    const s = this.slots.get(key);
    if (s === undefined || s.held || s.reservedFor !== undefined) return;
    const next = s.waiting.shift();
    if (next === undefined) {
      this.slots.delete(key);
      return;
    }
    if (next.holder === undefined) {
      s.held = true;
      next.grant();
      return;
    }
    s.reservedFor = next.holder;
    this.reservations.set(next.holder, key);
    next.wake();
  }

  private release(key: string): void {
    const s = this.slots.get(key);
    if (s === undefined) return;
    s.held = false;
    this.handOff(key);
  }

  /** Runs `fn` once every earlier holder of `key` has finished (waits, holding whatever the caller holds). */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const s = this.slot(key);
    // Free and kept for no one means no one is waiting either (handOff gives a freed key to the first waiter).
    if (this.free(s, undefined)) this.take(key, s);
    else await new Promise<void>((grant) => s.waiting.push({ holder: undefined, grant }));
    try {
      return await fn();
    } finally {
      this.release(key);
    }
  }

  /**
   * Runs `fn` now if `key` is free (or kept for `holder`); otherwise runs
   * nothing, and `wake` is called once when `holder`'s turn comes (one
   * wake-up per holder and key: waiting again only updates it). The woken
   * holder is expected to come back to `tryRun`, and to call `settle` after
   * each attempt either way.
   */
  async tryRun<T>(key: string, holder: string, fn: () => Promise<T>, wake: () => void): Promise<Turn<T>> {
    const s = this.slot(key);
    if (!this.free(s, holder)) {
      const waiter = s.waiting.find((w) => w.holder === holder);
      if (waiter !== undefined && waiter.holder !== undefined) waiter.wake = wake;
      else s.waiting.push({ holder, wake });
      return { ran: false };
    }
    this.take(key, s);
    try {
      return { ran: true, value: await fn() };
    } finally {
      this.release(key);
    }
  }

  /**
   * `holder`'s attempt is over: a turn kept for it and not taken (it found
   * nothing to do, or needed another key) passes to the next waiter.
   */
  settle(holder: string): void {
    const key = this.reservations.get(holder);
    if (key === undefined) return;
    const s = this.slots.get(key);
    this.reservations.delete(holder);
    if (s === undefined || s.reservedFor !== holder) return;
    s.reservedFor = undefined;
    this.handOff(key);
  }

  /** Callers and resources waiting for a turn, over all keys. */
  get waiting(): number {
    let n = 0;
    for (const s of this.slots.values()) n += s.waiting.length;
    return n;
  }
}
