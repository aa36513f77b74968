/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's
 * semantics (the rules are client-go's; the code is ours, without a
 * framework):
 *
 * - A candidate takes the Lease when it is absent (create), when its
 *   holder is empty (released), when it is held by this candidate, or when
 *   it has expired. Expiry is judged by OUR clock: the Lease is valid until
 *   `leaseDurationSeconds` after the moment we last saw its record change,
 *   never by comparing its `renewTime` with our clock (clocks differ; only
 *   their rates are assumed close).
 * - Every write is a PUT carrying the resourceVersion we read (optimistic
 *   concurrency): of two candidates only one wins; a 409 is answered by
 *   reading the Lease again and deciding anew.
 * - The leader renews every retry period. A leader that has not renewed
 *   within the renew deadline (counted from the send time of its last
 *   successful renewal, which is no later than any other candidate's
 *   observation of it) stops leading at once; so does one that reads the
 *   Lease held by someone else. After that the elector is done (as
 *   client-go's Run returns): the process is expected to stop its work and
 *   exit.
 * - `leaseTransitions` counts changes of holder; `acquireTime` and
 *   `renewTime` are MicroTime (RFC 3339 with microseconds).
 * - Release (client-go's ReleaseOnCancel): the leader writes the Lease with
 *   an empty holder and `leaseDurationSeconds: 1`, so a waiting candidate
 *   takes it on its next retry instead of waiting for the lease to expire.
 *
 * Time, timers and the API are injected: unit tests run it on a fake clock
 * against a fake Lease API.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { isConflict, isNotFound, resourcePath, type KubeClient, type ResourceRef } from './api-client';
import type { WatchClock } from './list-watch';

export const LEASE_API_VERSION = 'coordination.k8s.io/v1';

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
}

export interface Lease {
  apiVersion: string;
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; [field: string]: unknown };
  spec?: LeaseSpec;
}

/** The Lease endpoints the elector uses (a fake one in tests). */
export interface LeaseApi {
  /** The Lease, or undefined when there is none. */
  get(namespace: string, name: string, signal: AbortSignal): Promise<Lease | undefined>;
  /** Creates it; rejects with a 409 ApiError when it exists. */
  create(lease: Lease, signal: AbortSignal): Promise<Lease>;
  /** Replaces it, guarded by `metadata.resourceVersion`; rejects with a 409 ApiError when that is stale. */
  update(lease: Lease, signal: AbortSignal): Promise<Lease>;
}

export type ElectionClock = WatchClock;

export interface ElectionLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface LeaderCallbacks {
  /** This candidate became the leader. */
  onStartedLeading(): void;
  /** It stopped being the leader without releasing (renew deadline passed, or the Lease was taken): stop all work now. */
  onStoppedLeading(): void;
  /** The Lease names a new holder (another candidate, or this one). */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectionTimings {
  /** How long a candidate waits after last seeing the record change before it takes the Lease. Whole seconds. Default 15 s. */
  readonly leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it gives up leading. Default 10 s. */
  readonly renewDeadlineMs: number;
  /** Time between two attempts, to acquire or to renew. Default 2 s. */
  readonly retryPeriodMs: number;
}

export const DEFAULT_LEADER_ELECTION: LeaderElectionTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

export interface LeaderElectorOptions extends LeaderElectionTimings {
  readonly api: LeaseApi;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly callbacks: LeaderCallbacks;
  readonly log: ElectionLogger;
  readonly clock?: ElectionClock;
}

/** Why the timings cannot work, or undefined (client-go's rules: renew deadline < lease duration, retry period < renew deadline). */
export function timingsProblem(t: LeaderElectionTimings): string | undefined {
  if (!(t.retryPeriodMs > 0 && t.renewDeadlineMs > 0 && t.leaseDurationMs > 0)) return 'lease duration, renew deadline and retry period must be greater than 0';
  if (t.leaseDurationMs % 1000 !== 0) return 'the lease duration must be a whole number of seconds (the Lease records seconds)';
  if (t.renewDeadlineMs >= t.leaseDurationMs) return 'the renew deadline must be shorter than the lease duration';
  if (t.retryPeriodMs >= t.renewDeadlineMs) return 'the retry period must be shorter than the renew deadline';
  return undefined;
}

/** Kubernetes MicroTime: RFC 3339 in UTC with exactly six fractional digits (`2024-05-01T10:00:00.123456Z`). */
export function microTime(ms: number): string {
  const micros = Math.floor(ms * 1000);
  const wholeMs = Math.floor(micros / 1000);
  const seconds = new Date(wholeMs).toISOString().slice(0, 19);
  const fraction = String(((micros % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0');
  return `${seconds}.${fraction}Z`;
}

/** client-go's identity: the pod's name (POD_NAME, else HOSTNAME, else the host name), `_`, a random suffix. */
export function candidateIdentity(env: NodeJS.ProcessEnv = process.env): string {
  const pod = env.POD_NAME ?? env.HOSTNAME ?? hostname();
  return `${pod === '' ? hostname() : pod}_${randomUUID()}`;
}

/** The record fields whose change means "the holder is alive" (client-go compares the whole record). */
function recordOf(spec: LeaseSpec | undefined): string {
  const s = spec ?? {};
  return JSON.stringify([s.holderIdentity ?? '', s.leaseDurationSeconds ?? 0, s.acquireTime ?? '', s.renewTime ?? '', s.leaseTransitions ?? 0]);
}

const realClock: ElectionClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

type Attempt = { readonly ok: true } | { readonly ok: false; readonly heldBy?: string; readonly error?: string };

export class LeaderElector {
  private readonly clock: ElectionClock;
  private readonly leaseDurationSeconds: number;
  /** The Lease as last read or written (its resourceVersion guards our next write). */
  private lease: Lease | undefined;
  /** The record last seen, and when (our clock) it last changed. */
  private observedRecord = '';
  private observedTime = 0;
  private observedHolder = '';
  private leading = false;
  /** The leader must have renewed before this (our clock); set while leading. */
  private deadline = 0;
  private deadlineTimer: unknown;
  private sleepTimer: unknown;
  private wake: (() => void) | undefined;
  /** Aborts the request in flight (stop, or the renew deadline). */
  private inFlight: AbortController | undefined;
  /** When the attempt in flight began (our clock), for the message of a loss. */
  private inFlightSince = 0;
  private stopped = false;
  private finished = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: LeaderElectorOptions) {
    const problem = timingsProblem(opts);
    if (problem !== undefined) throw new RangeError(problem);
    this.clock = opts.clock ?? realClock;
    this.leaseDurationSeconds = opts.leaseDurationMs / 1000;
  }

  get identity(): string {
    return this.opts.identity;
  }

  /** Leading now: acquired, not lost or released, and the renew deadline not passed (whether or not its timer has fired yet). */
  get isLeader(): boolean {
    return this.leading && this.clock.now() < this.deadline;
  }

  /** The holder named by the Lease when last read ('' for none). */
  get leader(): string {
    return this.observedHolder;
  }

  /** Starts campaigning (once). */
  start(): void {
    this.loop ??= this.run();
  }

  private get where(): object {
    return { lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity };
  }

  private async run(): Promise<void> {
    this.opts.log.info(this.where, 'leader election: waiting to acquire the lease');
    while (!this.stopped && !this.finished) {
      const attempt = await this.tryAcquireOrRenew();
      if (this.stopped || this.finished) break;
      this.conclude(attempt);
      if (this.finished) break;
      await this.sleep(this.opts.retryPeriodMs);
    }
  }

  /** What one round's outcome means: leadership begins, ends (the Lease is someone else's), or nothing changes. */
  private conclude(attempt: Attempt): void {
    if (attempt.ok) {
      if (this.leading) return;
      this.leading = true;
      this.opts.log.info({ ...this.where, transitions: this.lease?.spec?.leaseTransitions ?? 0 }, 'leader election: acquired the lease');
      this.opts.callbacks.onStartedLeading();
    } else if (this.leading && attempt.heldBy !== undefined) {
      // Someone else holds it: we are not the leader, whatever our deadline says.
      this.lose(`the lease is held by ${attempt.heldBy}`);
    } else if (attempt.error !== undefined) {
      if (this.leading) this.opts.log.warn({ ...this.where, err: attempt.error }, 'leader election: renewal failed; retrying');
      else this.opts.log.debug({ ...this.where, err: attempt.error }, 'leader election: attempt failed; retrying');
    }
  }

  /** One round, client-go's tryAcquireOrRenew: read (unless renewing a lease we know is ours), decide, write. */
  private async tryAcquireOrRenew(): Promise<Attempt> {
    const abort = new AbortController();
    this.inFlight = abort;
    this.inFlightSince = this.clock.now();
    // A candidate's request may take at most a renew deadline; a leader's ends at its deadline.
    const limit = this.leading ? Math.max(0, this.deadline - this.clock.now()) : this.opts.renewDeadlineMs;
    const timer = this.clock.setTimeout(() => abort.abort(new Error('leader election request timed out')), limit);
    try {
      const sentAt = this.clock.now();
      if (this.leading && this.lease !== undefined) {
        // client-go's fast path: the lease is ours and valid, write the renewal straight away.
        const fast = await this.write(this.lease, sentAt, abort.signal).then(
          () => true,
          () => false,
        );
        if (fast) return this.renewed(sentAt);
        abort.signal.throwIfAborted();
      }
      for (let round = 0; round < 2; round++) {
        const result = await this.readAndWrite(sentAt, abort.signal);
        // A 409: someone wrote in between; read again at once and decide anew (once per attempt).
        if (result !== 'conflict') return result === true ? this.renewed(sentAt) : result;
      }
      return { ok: false, error: 'conflicting writes' };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    } finally {
      this.clock.clearTimeout(timer);
      if (this.inFlight === abort) this.inFlight = undefined;
    }
  }

  private renewed(sentAt: number): Attempt {
    if (this.finished || this.stopped) return { ok: false };
    this.deadline = sentAt + this.opts.renewDeadlineMs;
    this.armDeadline();
    return { ok: true };
  }

  private async readAndWrite(sentAt: number, signal: AbortSignal): Promise<true | 'conflict' | Attempt> {
    const { namespace, name } = this.opts;
    const now = this.clock.now();
    const current = await this.opts.api.get(namespace, name, signal);
    if (current === undefined) {
      const created = await this.create(sentAt, signal);
      return created ? true : 'conflict';
    }
    this.observe(current);
    const holder = current.spec?.holderIdentity ?? '';
    const duration = (current.spec?.leaseDurationSeconds ?? this.leaseDurationSeconds) * 1000;
    const valid = this.observedTime + duration > now;
    if (holder !== '' && holder !== this.opts.identity && valid) return { ok: false, heldBy: holder };
    try {
      await this.write(current, sentAt, signal);
      return true;
    } catch (e) {
      if (isConflict(e)) return 'conflict';
      throw e;
    }
  }

  /** Notes the Lease as read; a change of its record restarts the expiry count (our clock). */
  private observe(lease: Lease): void {
    this.lease = lease;
    const record = recordOf(lease.spec);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedTime = this.clock.now();
    }
    this.noteHolder(lease.spec?.holderIdentity ?? '');
  }

  private noteHolder(holder: string): void {
    if (holder === this.observedHolder) return;
    this.observedHolder = holder;
    if (holder === '') return;
    if (holder !== this.opts.identity) this.opts.log.info({ ...this.where, leader: holder }, 'leader election: new leader observed');
    this.opts.callbacks.onNewLeader?.(holder);
  }

  private async create(at: number, signal: AbortSignal): Promise<boolean> {
    const { namespace, name, identity } = this.opts;
    const time = microTime(at);
    const spec: LeaseSpec = { holderIdentity: identity, leaseDurationSeconds: this.leaseDurationSeconds, acquireTime: time, renewTime: time, leaseTransitions: 0 };
    try {
      const created = await this.opts.api.create({ apiVersion: LEASE_API_VERSION, kind: 'Lease', metadata: { name, namespace }, spec }, signal);
      this.accept(created, spec);
      return true;
    } catch (e) {
      if (isConflict(e)) return false; // created by another candidate meanwhile: read it
      throw e;
    }
  }

  /** PUT our record over `base` (guarded by its resourceVersion): a renewal when we hold it, else a takeover. */
  private async write(base: Lease, at: number, signal: AbortSignal): Promise<void> {
    const old = base.spec ?? {};
    const ours = (old.holderIdentity ?? '') === this.opts.identity;
    const time = microTime(at);
    const spec: LeaseSpec = {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      acquireTime: ours ? (old.acquireTime ?? time) : time,
      renewTime: time,
      leaseTransitions: (old.leaseTransitions ?? 0) + (ours ? 0 : 1),
    };
    const updated = await this.opts.api.update({ ...base, spec: { ...old, ...spec } }, signal);
    this.accept(updated, spec);
  }

  /** Our own write succeeded: that is the record now observed. */
  private accept(lease: Lease, spec: LeaseSpec): void {
    this.lease = lease;
    this.observedRecord = recordOf(lease.spec ?? spec);
    this.observedTime = this.clock.now();
    this.noteHolder(this.opts.identity);
  }

  private armDeadline(): void {
    if (this.deadlineTimer !== undefined) this.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = this.clock.setTimeout(() => {
      this.deadlineTimer = undefined;
      if (!this.leading || this.stopped || this.finished || this.clock.now() < this.deadline) return;
      const pending = this.inFlight === undefined ? '' : `; the attempt begun ${this.clock.now() - this.inFlightSince} ms ago is unanswered`;
      this.lose(`not renewed within the renew deadline (${this.opts.renewDeadlineMs} ms)${pending}`);
    }, Math.max(0, this.deadline - this.clock.now()));
  }

  /** Leadership is gone without a release: say so at once, stop campaigning. */
  private lose(why: string): void {
    if (!this.leading || this.finished) return;
    this.leading = false;
    this.finished = true;
    this.inFlight?.abort(new Error('leadership lost'));
    this.cancelTimers();
    this.opts.log.error({ ...this.where, reason: why }, 'leader election: lost the lease');
    this.opts.callbacks.onStoppedLeading();
  }

  private cancelTimers(): void {
    if (this.deadlineTimer !== undefined) this.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    if (this.sleepTimer !== undefined) this.clock.clearTimeout(this.sleepTimer);
    this.sleepTimer = undefined;
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
      this.sleepTimer = this.clock.setTimeout(() => {
        this.sleepTimer = undefined;
        this.wake?.();
      }, ms);
    });
  }

  /**
   * Stops campaigning and, if leading, releases the Lease (holder cleared,
   * `leaseDurationSeconds: 1`) so a waiting candidate takes it on its next
   * retry. Call it after the work has stopped. Never rejects.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.inFlight?.abort(new Error('stopping'));
    this.cancelTimers();
    await this.loop;
    const wasLeading = this.isLeader;
    this.leading = false;
    if (!wasLeading || this.finished) return;
    this.finished = true;
    try {
      if (await this.release()) this.opts.log.info(this.where, 'leader election: released the lease');
    } catch (e) {
      this.opts.log.warn({ ...this.where, err: (e as Error).message }, 'leader election: release failed; the lease expires instead');
    }
  }

  /** client-go's release: our Lease rewritten with no holder and a one-second duration; a 409 is re-read once. */
  private async release(): Promise<boolean> {
    const signal = AbortSignal.timeout(Math.max(1000, this.opts.renewDeadlineMs));
    let base = this.lease;
    for (let round = 0; round < 2 && base !== undefined; round++) {
      if ((base.spec?.holderIdentity ?? '') !== this.opts.identity) return false; // not ours any more: nothing to release
      const time = microTime(this.clock.now());
      const spec: LeaseSpec = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: time, renewTime: time, leaseTransitions: base.spec?.leaseTransitions ?? 0 };
      try {
        this.lease = await this.opts.api.update({ ...base, spec: { ...base.spec, ...spec } }, signal);
        return true;
      } catch (e) {
        if (!isConflict(e)) throw e;
        base = await this.opts.api.get(this.opts.namespace, this.opts.name, signal);
      }
    }
    return false;
  }
}

/** The Lease endpoints on the API server. */
export function kubeLeaseApi(client: KubeClient): LeaseApi {
  const ref = (namespace: string, name?: string): ResourceRef => ({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace, ...(name === undefined ? {} : { name }) });
  return {
    get: async (namespace, name, signal) => {
      try {
        return await client.json<Lease>({ method: 'GET', path: resourcePath(ref(namespace, name)), signal });
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    create: (lease, signal) => client.json<Lease>({ method: 'POST', path: resourcePath(ref(lease.metadata.namespace)), body: lease, signal }),
    update: (lease, signal) => client.json<Lease>({ method: 'PUT', path: resourcePath(ref(lease.metadata.namespace, lease.metadata.name)), body: lease, signal }),
  };
}
