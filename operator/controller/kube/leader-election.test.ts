/**
 * LeaderElector on a fake clock against a fake Lease API (an in-memory
 * Lease with resourceVersions, 404 and 409 answers like the API server's).
 * Time moves only when a test advances it; every timer due on the way
 * fires in order, and the promises it starts settle before the next.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from './api-client';
import { LeaderElector, microTime, timingsProblem, type ElectionClock, type Lease, type LeaseApi, type LeaseSpec } from './leader-election';

class FakeClock implements ElectionClock {
  private t = Date.UTC(2024, 4, 1, 10, 0, 0);
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves time forward without running any timer (a blocked event loop). */
  jump(ms: number): void {
    this.t += ms;
  }
  /** Moves time forward by `ms`, firing every timer due on the way (in order) and letting what it starts settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const next = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

const NS = 'ops';
const NAME = 'atlas-k8s-migrator-leader';

/** One Lease in memory, guarded by its resourceVersion, with a log of calls and switches to fail or hang. */
class FakeLeaseApi implements LeaseApi {
  lease: Lease | undefined;
  private rv = 100;
  readonly calls: string[] = [];
  /** Every call rejects (the API server is unreachable). */
  down = false;
  /** Every call never answers (until aborted). */
  hang = false;
  /** The next `n` updates answer 409 (someone else wrote first). */
  conflicts = 0;

  private async gate(what: string, signal: AbortSignal): Promise<void> {
    this.calls.push(what);
    await Promise.resolve();
    signal.throwIfAborted();
    if (this.hang) {
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    }
    if (this.down) throw new Error('connect ECONNREFUSED');
    signal.throwIfAborted();
  }

  private copy(): Lease {
    return structuredClone(this.lease as Lease);
  }

  async get(namespace: string, name: string, signal: AbortSignal): Promise<Lease | undefined> {
    await this.gate('GET', signal);
    assert.deepEqual([namespace, name], [NS, NAME]);
    return this.lease === undefined ? undefined : this.copy();
  }

  async create(lease: Lease, signal: AbortSignal): Promise<Lease> {
    await this.gate('POST', signal);
    if (this.lease !== undefined) throw new ApiError(409, 'AlreadyExists', 'leases "x" already exists');
    this.lease = { ...structuredClone(lease), metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } };
    return this.copy();
  }

  async update(lease: Lease, signal: AbortSignal): Promise<Lease> {
    await this.gate('PUT', signal);
    if (this.conflicts > 0) {
      this.conflicts--;
      this.rv++;
      if (this.lease !== undefined) this.lease.metadata.resourceVersion = String(this.rv);
      throw new ApiError(409, 'Conflict', 'the object has been modified');
    }
    if (this.lease === undefined) throw new ApiError(404, 'NotFound', 'not found');
    if (lease.metadata.resourceVersion !== this.lease.metadata.resourceVersion) throw new ApiError(409, 'Conflict', 'the object has been modified');
    this.lease = { ...structuredClone(lease), metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } };
    return this.copy();
  }

  /** Another process writes the Lease (as its holder would). */
  put(spec: LeaseSpec): void {
    this.lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: NAME, namespace: NS, resourceVersion: String(++this.rv) }, spec };
  }

  get spec(): LeaseSpec {
    return this.lease?.spec ?? {};
  }
}

interface Candidate {
  readonly elector: LeaderElector;
  readonly events: string[];
  readonly logs: string[];
  /** Fake-clock times of onStartedLeading / onStoppedLeading. */
  readonly started: number[];
  readonly stopped: number[];
}

function candidate(api: LeaseApi, clock: FakeClock, identity: string, timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }): Candidate {
  const events: string[] = [];
  const logs: string[] = [];
  const started: number[] = [];
  const stopped: number[] = [];
  const log = (level: string) => (obj: object, msg: string) => logs.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  const elector = new LeaderElector({
    api,
    clock,
    namespace: NS,
    name: NAME,
    identity,
    ...timings,
    log: { info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug') },
    callbacks: {
      onStartedLeading: () => {
        events.push('started');
        started.push(clock.now());
      },
      onStoppedLeading: () => {
        events.push('stopped');
        stopped.push(clock.now());
      },
      onNewLeader: (id) => events.push(`leader ${id}`),
    },
  });
  return { elector, events, logs, started, stopped };
}

const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

describe('LeaderElector', () => {
  it('creates the Lease when there is none, and leads', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const a = candidate(api, clock, 'pod-a_1');
    a.elector.start();
    await clock.advance(0);
    assert.deepEqual(api.calls, ['GET', 'POST']);
    assert.deepEqual(a.events, ['leader pod-a_1', 'started']);
    assert.equal(a.elector.isLeader, true);
    const spec = api.spec;
    assert.deepEqual([spec.holderIdentity, spec.leaseDurationSeconds, spec.leaseTransitions], ['pod-a_1', 15, 0]);
    assert.equal(spec.acquireTime, microTime(clock.now()));
    assert.equal(spec.renewTime, spec.acquireTime);
    assert.match(spec.renewTime ?? '', MICRO);
    assert.ok(a.logs.some((l) => l.startsWith('info leader election: acquired the lease')));
    await a.elector.stop();
  });

  it('renews every retry period with a PUT on the Lease it holds (no read), keeping acquireTime and transitions', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const a = candidate(api, clock, 'pod-a_1');
    a.elector.start();
    await clock.advance(0);
    const acquired = api.spec.acquireTime;
    const rv = api.lease?.metadata.resourceVersion;
    api.calls.length = 0;
    await clock.advance(2_000);
    assert.deepEqual(api.calls, ['PUT']);
    assert.equal(api.spec.renewTime, microTime(clock.now()));
    assert.equal(api.spec.acquireTime, acquired);
    assert.equal(api.spec.leaseTransitions, 0);
    assert.notEqual(api.lease?.metadata.resourceVersion, rv);
    await clock.advance(60_000);
    assert.equal(api.calls.length, 31, 'one PUT per retry period');
    assert.ok(api.calls.every((c) => c === 'PUT'));
    assert.deepEqual(a.events, ['leader pod-a_1', 'started']);
    await a.elector.stop();
  });

  it('waits while another holder renews, however old its renewTime looks', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    // The holder's clock is an hour behind ours: its renewTime looks long expired, but it changes.
    const behind = (): string => microTime(clock.now() - 3_600_000);
    api.put({ holderIdentity: 'pod-b_2', leaseDurationSeconds: 15, acquireTime: behind(), renewTime: behind(), leaseTransitions: 3 });
    const a = candidate(api, clock, 'pod-a_1');
    a.elector.start();
    for (let i = 0; i < 30; i++) {
      await clock.advance(2_000);
      api.put({ ...api.spec, renewTime: behind() });
    }
    assert.deepEqual(a.events, ['leader pod-b_2']);
    assert.equal(a.elector.isLeader, false);
    assert.equal(a.elector.leader, 'pod-b_2');
    assert.equal(api.spec.holderIdentity, 'pod-b_2');
    assert.ok(api.calls.every((c) => c === 'GET'), 'a follower only reads');
    assert.equal(a.logs.filter((l) => l.includes('new leader observed')).length, 1);
    await a.elector.stop();
    assert.equal(api.spec.holderIdentity, 'pod-b_2', 'a follower releases nothing');
  });

  it('takes over leaseDuration after it last saw the record change (by its clock), counting the transition', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    // renewTime an hour in the future (the holder's clock is ahead): irrelevant, only the observed change counts.
    const ahead = microTime(clock.now() + 3_600_000);
    api.put({ holderIdentity: 'pod-b_2', leaseDurationSeconds: 15, acquireTime: ahead, renewTime: ahead, leaseTransitions: 4 });
    const a = candidate(api, clock, 'pod-a_1');
    const firstSeen = clock.now();
    a.elector.start();
    await clock.advance(14_000);
    assert.deepEqual(a.events, ['leader pod-b_2'], 'still valid 14 s after it was first seen');
    await clock.advance(4_000);
    assert.deepEqual(a.events, ['leader pod-b_2', 'leader pod-a_1', 'started']);
    const tookOver = a.started[0] ?? 0;
    assert.ok(tookOver > firstSeen + 15_000 && tookOver <= firstSeen + 15_000 + 2_000, `took over ${tookOver - firstSeen} ms after first seeing it`);
    assert.deepEqual([api.spec.holderIdentity, api.spec.leaseTransitions, api.spec.leaseDurationSeconds], ['pod-a_1', 5, 15]);
    assert.equal(api.spec.acquireTime, microTime(tookOver));
    await a.elector.stop();
  });

  it('a holder that stops renewing is replaced: its last change restarts the count', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    api.put({ holderIdentity: 'pod-b_2', leaseDurationSeconds: 15, renewTime: microTime(clock.now()), leaseTransitions: 0 });
    const a = candidate(api, clock, 'pod-a_1');
    a.elector.start();
    await clock.advance(10_000);
    api.put({ ...api.spec, renewTime: microTime(clock.now()) }); // its last renewal
    const lastChange = clock.now();
    await clock.advance(30_000);
    const tookOver = a.started[0] ?? 0;
    // Seen on the next read at most a retry period later; valid for 15 s from then; taken on the read after.
    assert.ok(tookOver >= lastChange + 15_000 && tookOver <= lastChange + 15_000 + 2 * 2_000, `took over ${tookOver - lastChange} ms after the last renewal`);
    assert.equal(api.spec.leaseTransitions, 1);
    await a.elector.stop();
  });

  it('takes a released Lease (empty holder) on its next retry', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    api.put({ holderIdentity: 'pod-b_2', leaseDurationSeconds: 15, renewTime: microTime(clock.now()), leaseTransitions: 7 });
    const a = candidate(api, clock, 'pod-a_1');
    a.elector.start();
    await clock.advance(3_000);
    api.put({ holderIdentity: '', leaseDurationSeconds: 1, acquireTime: microTime(clock.now()), renewTime: microTime(clock.now()), leaseTransitions: 7 });
    const released = clock.now();
    await clock.advance(2_000);
    assert.equal(a.elector.isLeader, true);
    assert.ok((a.started[0] ?? 0) - released <= 2_000);
    assert.equal(api.spec.leaseTransitions, 8);
    await a.elector.stop();
  });

  it('releases on stop: holder cleared, leaseDurationSeconds 1, transitions kept; a waiting candidate takes over within a retry period', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const a = candidate(api, clock, 'pod-a_1');
    a.elector.start();
    await clock.advance(0);
    const b = candidate(api, clock, 'pod-b_2');
    b.elector.start();
    await clock.advance(5_000);
    assert.equal(b.elector.isLeader, false);
    await a.elector.stop();
    const released = clock.now();
    assert.deepEqual([api.spec.holderIdentity, api.spec.leaseDurationSeconds, api.spec.leaseTransitions], ['', 1, 0]);
    assert.equal(api.spec.renewTime, microTime(released));
    assert.ok(a.logs.some((l) => l.startsWith('info leader election: released the lease')));
    assert.deepEqual(a.events, ['leader pod-a_1', 'started'], 'a release is not a loss');
    await clock.advance(2_000);
    assert.equal(b.elector.isLeader, true);
    assert.ok((b.started[0] ?? 0) - released <= 2_000, `taken ${(b.started[0] ?? 0) - released} ms after the release`);
    assert.deepEqual([api.spec.holderIdentity, api.spec.leaseTransitions, api.spec.leaseDurationSeconds], ['pod-b_2', 1, 15]);
    await b.elector.stop();
  });

  it('loses leadership at the renew deadline when the API fails, and starts nothing after', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const a = candidate(api, clock, 'pod-a_1');
    a.elector.start();
    await clock.advance(4_000);
    const lastRenewal = clock.now(); // renewals at 0, 2 s, 4 s succeeded
    api.down = true;
    await clock.advance(9_999);
    assert.equal(a.elector.isLeader, true, 'still within the renew deadline');
    assert.deepEqual(a.events, ['leader pod-a_1', 'started']);
    await clock.advance(1);
    assert.deepEqual(a.events, ['leader pod-a_1', 'started', 'stopped']);
    const lost = a.stopped[0] ?? 0;
    assert.ok(lost - lastRenewal <= 10_000 + 2_000, `lost ${lost - lastRenewal} ms after the last renewal`);
    assert.equal(lost - lastRenewal, 10_000);
    assert.equal(a.elector.isLeader, false);
    assert.ok(a.logs.some((l) => l.startsWith('error leader election: lost the lease')));
    // Done: no more attempts, no release (the Lease is not ours to write any more).
    api.down = false;
    const calls = api.calls.length;
    await clock.advance(30_000);
    assert.equal(api.calls.length, calls);
    await a.elector.stop();
    assert.equal(api.calls.length, calls);
    assert.equal(api.spec.holderIdentity, 'pod-a_1');
  });

  it('loses at the deadline even while a renewal hangs (the request is aborted)', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const a = candidate(api, clock, 'pod-a_1');
    a.elector.start();
    await clock.advance(0);
    api.hang = true;
    await clock.advance(10_000);
    assert.deepEqual(a.events, ['leader pod-a_1', 'started', 'stopped']);
    assert.equal(a.stopped[0], (a.started[0] ?? 0) + 10_000);
    await a.elector.stop();
  });

  it('isLeader turns false at the deadline, before its timer has run', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const a = candidate(api, clock, 'pod-a_1');
    a.elector.start();
    await clock.advance(0);
    api.hang = true;
    // A blocked event loop: time passes, timers have not run yet.
    clock.jump(10_000);
    assert.equal(a.elector.isLeader, false);
    await clock.advance(0);
    assert.deepEqual(a.events.at(-1), 'stopped');
  });

  it('a leader that reads the Lease held by someone else stops leading at once', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const a = candidate(api, clock, 'pod-a_1');
    a.elector.start();
    await clock.advance(0);
    // Someone else took it (their write changed the resourceVersion: our fast-path PUT gets 409, the read shows them).
    api.put({ holderIdentity: 'pod-b_2', leaseDurationSeconds: 15, renewTime: microTime(clock.now()), leaseTransitions: 1 });
    await clock.advance(2_000);
    assert.deepEqual(a.events, ['leader pod-a_1', 'started', 'leader pod-b_2', 'stopped']);
    assert.equal(a.stopped[0], (a.started[0] ?? 0) + 2_000);
    assert.deepEqual(api.calls.slice(-2), ['PUT', 'GET']);
  });

  it('a 409 on renewal is answered by reading again and renewing (still leader)', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const a = candidate(api, clock, 'pod-a_1');
    a.elector.start();
    await clock.advance(0);
    api.calls.length = 0;
    api.conflicts = 1;
    await clock.advance(2_000);
    assert.deepEqual(api.calls, ['PUT', 'GET', 'PUT']);
    assert.equal(a.elector.isLeader, true);
    assert.equal(api.spec.renewTime, microTime(clock.now()));
    assert.equal(api.spec.leaseTransitions, 0);
    await a.elector.stop();
  });

  it('two candidates racing for a free Lease: one wins, the other reads again after its 409 and follows', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    api.put({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 2 });
    const a = candidate(api, clock, 'pod-a_1');
    const b = candidate(api, clock, 'pod-b_2');
    a.elector.start();
    b.elector.start();
    await clock.advance(0);
    assert.deepEqual(api.calls.slice(0, 4), ['GET', 'GET', 'PUT', 'PUT'], 'both read the same resourceVersion and write');
    const leaders = [a, b].filter((c) => c.elector.isLeader);
    assert.equal(leaders.length, 1);
    const [winner, loser] = a.elector.isLeader ? [a, b] : [b, a];
    assert.equal(api.spec.holderIdentity, winner.elector.identity);
    assert.equal(api.spec.leaseTransitions, 3);
    assert.deepEqual(loser.events, [`leader ${winner.elector.identity}`]);
    await clock.advance(30_000);
    assert.equal(loser.elector.isLeader, false, 'the winner renews; the loser keeps following');
    await a.elector.stop();
    await b.elector.stop();
  });

  it('counts transitions across holders', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const names = ['pod-a_1', 'pod-b_2', 'pod-c_3'];
    const transitions: number[] = [];
    for (const name of names) {
      const c = candidate(api, clock, name);
      c.elector.start();
      await clock.advance(2_000);
      assert.equal(c.elector.isLeader, true);
      transitions.push(api.spec.leaseTransitions ?? -1);
      await c.elector.stop();
    }
    assert.deepEqual(transitions, [0, 1, 2]);
  });

  it('writes MicroTime: RFC 3339, UTC, six fractional digits', () => {
    assert.equal(microTime(Date.UTC(2024, 0, 2, 3, 4, 5, 123)), '2024-01-02T03:04:05.123000Z');
    assert.equal(microTime(Date.UTC(2024, 0, 2, 3, 4, 5, 0) + 7.25), '2024-01-02T03:04:05.007250Z');
    assert.equal(microTime(Date.UTC(1999, 11, 31, 23, 59, 59, 999) + 0.999), '1999-12-31T23:59:59.999999Z');
  });

  it('refuses timings client-go refuses', () => {
    assert.equal(timingsProblem({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }), undefined);
    assert.match(timingsProblem({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }) ?? '', /renew deadline must be shorter than the lease duration/);
    assert.match(timingsProblem({ leaseDurationMs: 15_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }) ?? '', /retry period must be shorter than the renew deadline/);
    assert.match(timingsProblem({ leaseDurationMs: 2_500, renewDeadlineMs: 2_000, retryPeriodMs: 500 }) ?? '', /whole number of seconds/);
    assert.match(timingsProblem({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 0 }) ?? '', /greater than 0/);
    assert.throws(() => candidate(new FakeLeaseApi(), new FakeClock(), 'x', { leaseDurationMs: 1_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 }), RangeError);
  });
});
