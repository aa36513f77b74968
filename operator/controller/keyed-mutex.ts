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
 *
 * Turns are handed over in arrival order, and the next one is known before
 * the run ahead ends: the first waiter is "on deck" (woken as soon as a run
 * starts). It does what needs no turn (reading its inputs, logging in)
 * while that run goes on, then waits without a worker (`park`) and takes
 * the key the moment it is released. On a database shared by many
 * resources (schema per tenant) the database never sits idle between two
 * runs while the next one connects. Nothing is ever lost: every waiter is
 * woken in turn, and a resource on deck that reconciled without needing
 * the key passes it on (`settle`).
 */
export type Turn<T> = { readonly ran: true; readonly value: T } | { readonly ran: false };

export interface TurnRequest<P, T> {
  /** Who asks (a resource's key): one place in line per holder and key. */
  readonly holder: string;
  /** Called once when the holder's turn comes while it is not here: queue it again. */
  readonly wake: () => void;
  /**
   * Work that needs no turn (connecting), done while the run ahead
   * finishes when the holder is on deck; its result goes to `run`. If it
   * fails, the holder gives up its place and the error is thrown.
   */
  readonly prepare: () => Promise<P>;
  /** The work under the key. */
  readonly run: (prepared: P) => Promise<T>;
  /** How a prepared holder waits for the run ahead (the work queue frees its worker meanwhile); default: in place. */
  readonly park?: <X>(wait: Promise<X>) => Promise<X>;
}

interface Waiter {
  /** A resource: queued again when its turn comes. */
  wake?: () => void;
  /** A caller blocked in `run`: given the key at once when its turn comes. */
  readonly grant?: () => void;
}

interface Slot {
  held: boolean;
  /** On deck: the waiter whose turn is next (woken, or here waiting for the release). */
  next: string | undefined;
  /** Set while `next` waits here: gives it the key. */
  arrived: (() => void) | undefined;
  /** When `next` was put on deck (a count of promotions): see `settle`. */
  nextSince: number;
  /** In arrival order (a Map keeps insertion order; a holder's place is found without a scan). */
  readonly waiting: Map<string, Waiter>;
}

export class KeyedMutex {
  private readonly slots = new Map<string, Slot>();
  /** holder → key it is on deck for. */
  private readonly onDeck = new Map<string, string>();
  private promotions = 0;
  private blockingCallers = 0;

  private slot(key: string): Slot {
    let s = this.slots.get(key);
    if (s === undefined) {
      s = { held: false, next: undefined, arrived: undefined, nextSince: 0, waiting: new Map() };
      this.slots.set(key, s);
    }
    return s;
  }

  /** The key is taken (it was free, or kept for the taker, so the deck is empty or the taker's); the first waiter goes on deck. */
  private take(key: string, s: Slot): void {
    this.clearDeck(s);
    s.held = true;
    this.promote(key, s);
  }

  private clearDeck(s: Slot): void {
    if (s.next !== undefined) this.onDeck.delete(s.next);
    s.next = undefined;
    s.arrived = undefined;
  }

  /** The deck is empty: the first waiter goes there (a resource is woken, a blocked caller waits for the release here). */
  private promote(key: string, s: Slot): void {
    const first = s.waiting.entries().next();
    if (first.done === true) {
      if (!s.held) this.slots.delete(key);
      return;
    }
    const [holder, waiter] = first.value;
    s.waiting.delete(holder);
    s.next = holder;
    s.nextSince = ++this.promotions;
    this.onDeck.set(holder, key);
    if (waiter.grant !== undefined) {
      s.arrived = waiter.grant;
      if (!s.held) this.give(key, s);
      return;
    }
    waiter.wake?.();
  }

  /** The key is free and its holder on deck is here: it has the key now. */
  private give(key: string, s: Slot): void {
    const grant = s.arrived;
    this.take(key, s);
    grant?.();
  }

  private release(key: string): void {
    const s = this.slots.get(key);
    if (s === undefined) return;
    s.held = false;
    if (s.next === undefined) this.promote(key, s);
    else if (s.arrived !== undefined) this.give(key, s);
    // Otherwise the key is kept for the holder on deck until it comes or settles.
  }

  /** Leaves the deck of `key` (the holder will not take it now): the next waiter moves up. */
  private leaveDeck(key: string, holder: string): void {
    const s = this.slots.get(key);
    if (s?.next !== holder) return;
    this.clearDeck(s);
    this.promote(key, s);
  }

  /** Runs `fn` once every earlier holder of `key` has finished (waits, holding whatever the caller holds). */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const s = this.slot(key);
    if (!s.held && s.next === undefined) this.take(key, s);
    else await new Promise<void>((grant) => s.waiting.set(`\0run ${++this.blockingCallers}`, { grant }));
    try {
      return await fn();
    } finally {
      this.release(key);
    }
  }

  /**
   * `run` now if `key` is free (or kept for `holder`), `prepare` first. If
   * another run holds it and no one is on deck, `holder` goes on deck:
   * `prepare` runs at once, then it parks until the release and runs.
   * Otherwise it runs nothing: it waits in line and `wake` is called once
   * when its turn comes (waiting again only updates the wake-up). The
   * woken holder is expected to come back to `tryRun`, and each attempt to
   * end with `settle`.
   */
  async tryRun<P, T>(key: string, r: TurnRequest<P, T>): Promise<Turn<T>> {
    const s = this.slot(key);
    const { holder } = r;
    if (!s.held && (s.next === undefined || s.next === holder)) {
      this.take(key, s);
      return this.runHeld(key, r, () => r.prepare());
    }
    if (s.next === undefined && s.waiting.size === 0) {
      s.next = holder;
      s.nextSince = ++this.promotions;
      this.onDeck.set(holder, key);
    }
    if (s.next !== holder) {
      const waiter = s.waiting.get(holder);
      if (waiter === undefined) s.waiting.set(holder, { wake: r.wake });
      else waiter.wake = r.wake;
      return { ran: false };
    }
    let prepared: P;
    try {
      prepared = await r.prepare();
    } catch (e) {
      this.leaveDeck(key, holder);
      throw e;
    }
    if (s.held) {
      const released = new Promise<void>((resolve) => (s.arrived = resolve));
      await (r.park === undefined ? released : r.park(released));
    } else this.take(key, s);
    return this.runHeld(key, r, () => Promise.resolve(prepared));
  }

  private async runHeld<P, T>(key: string, r: TurnRequest<P, T>, prepared: () => Promise<P>): Promise<Turn<T>> {
    try {
      return { ran: true, value: await r.run(await prepared()) };
    } finally {
      this.release(key);
    }
  }

  /** A mark to pass to `settle`: taken as an attempt starts. */
  mark(): number {
    return this.promotions;
  }

  /**
   * `holder`'s attempt (begun at `since`, from `mark`) is over: a turn it
   * was on deck for before the attempt began and did not take (it found
   * nothing to do, or needed another key) passes to the next waiter. A
   * turn that came during the attempt is kept: its wake-up queued the
   * holder again, and the next attempt takes it or passes it on.
   */
  settle(holder: string, since = Number.POSITIVE_INFINITY): void {
    const key = this.onDeck.get(holder);
    if (key === undefined) return;
    const s = this.slots.get(key);
    // (A holder parked here is inside tryRun: its attempt is not over, so it never settles meanwhile.)
    if (s === undefined || s.nextSince > since) return;
    this.leaveDeck(key, holder);
  }

  /** Keys held or waited for (the others are forgotten). */
  get keys(): number {
    return this.slots.size;
  }

  /** Callers and resources waiting for a turn (in line or on deck), over all keys. */
  get waiting(): number {
    let n = 0;
    for (const s of this.slots.values()) n += s.waiting.size + (s.next === undefined ? 0 : 1);
    return n;
  }
}
