/**
 * Logged-in database sessions kept idle for a few seconds after a run, for
 * the next run with the same credentials on the same server and database.
 *
 * Why: on PostgreSQL a new session costs more than a small migration run.
 * Measured (one server, a new tenant schema per run, 400 runs): 16.5 ms of
 * server CPU per run with a login each, 6.6 ms on a kept session; the
 * client's SCRAM key derivation and TCP set-up come on top. An operator
 * serving thousands of tenant schemas on one server logs in once per burst
 * of runs instead of once per tenant.
 *
 * A session is kept only while another driver of the same key is open (a
 * run going on, or the next one connecting): sessions last as long as a
 * burst of runs and no longer. A lone run, or a resync check, ends its
 * session as before: nobody finds the operator holding an idle session (a
 * DROP DATABASE right after a run would be refused while one is open).
 *
 * What keeps tenants apart is the driver's business (it resets a session
 * before keeping it, as PgBouncer's `server_reset_query` does, and binds
 * it to the next URL's schema); this file only keeps, bounds and expires.
 * A key must hold everything that decides who the session is: server,
 * port, database, user, password, TLS settings, startup parameters.
 */
export interface SessionCacheOptions {
  /** How long a session stays idle at most before it is closed. Default 5 s. */
  readonly idleMs?: number;
  /** Sessions kept idle per key; more are closed. Default 2 (a run and the next one connecting). */
  readonly perKey?: number;
  /** Sessions kept idle over all keys. Default 8. */
  readonly total?: number;
}

interface Idle<C> {
  readonly key: string;
  readonly session: C;
  readonly close: (session: C) => void;
  readonly timer: NodeJS.Timeout;
}

export class SessionCache<C> {
  private readonly idleMs: number;
  private readonly perKey: number;
  private readonly total: number;
  /** Oldest first (a Set keeps insertion order): the oldest is closed first when over a bound. */
  private readonly idle = new Set<Idle<C>>();
  /** Drivers open per key (see `opened`). */
  private readonly open = new Map<string, number>();
  private closed = false;
  /** Sessions handed out again (for tests and metrics). */
  reused = 0;

  constructor(options: SessionCacheOptions = {}) {
    this.idleMs = options.idleMs ?? 5000;
    this.perKey = options.perKey ?? 2;
    this.total = options.total ?? 8;
  }

  /** The most recently kept idle session of `key`, if any (it is no longer kept). */
  take(key: string): C | undefined {
    let found: Idle<C> | undefined;
    for (const entry of this.idle) if (entry.key === key) found = entry;
    if (found === undefined) return undefined;
    this.forget(found);
    this.reused++;
    return found.session;
  }

  /**
   * A driver of `key` opens; the returned function says it closed. When the
   * last open driver of a key closes, that key's idle sessions are ended.
   */
  opened(key: string): () => void {
    this.open.set(key, (this.open.get(key) ?? 0) + 1);
    let once = false;
    return () => {
      if (once) return;
      once = true;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) {
        this.open.set(key, left);
        return;
      }
      this.open.delete(key);
      for (const entry of [...this.idle]) if (entry.key === key) this.expire(entry);
    };
  }

  /** Whether a session of `key` is worth keeping: another driver of the key is open to take it. */
  wanted(key: string): boolean {
    return !this.closed && (this.open.get(key) ?? 0) > 1;
  }

  /** Keeps `session` (already reset by its driver) for the next run of `key`; `close` ends it when it is not wanted. */
  keep(key: string, session: C, close: (session: C) => void): void {
    if (this.closed) {
      close(session);
      return;
    }
    const entry: Idle<C> = {
      key,
      session,
      close,
      timer: setTimeout(() => this.expire(entry), this.idleMs).unref(),
    };
    this.idle.add(entry);
    const ofKey = [...this.idle].filter((e) => e.key === key);
    if (ofKey.length > this.perKey) this.expire(ofKey[0] as Idle<C>);
    if (this.idle.size > this.total) this.expire(this.idle.values().next().value as Idle<C>);
  }

  /** Sessions kept idle now. */
  get size(): number {
    return this.idle.size;
  }

  /** Closes every idle session and keeps none from now on (the operator is stopping). */
  closeAll(): void {
    this.closed = true;
    for (const entry of [...this.idle]) this.expire(entry);
  }

  private forget(entry: Idle<C>): void {
    clearTimeout(entry.timer);
    this.idle.delete(entry);
  }

  private expire(entry: Idle<C>): void {
    if (!this.idle.has(entry)) return;
    this.forget(entry);
    entry.close(entry.session);
  }
}
