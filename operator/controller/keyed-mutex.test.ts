/**
 * KeyedMutex on its own, step by step: every run and every preparation is a
 * gate the test opens by hand, so each assertion says what happened at one
 * precise moment (a run started, a turn was handed on, a holder was woken).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedMutex, type TurnRequest } from './keyed-mutex';

/** Lets every promise callback queued so far run (no time passes). */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A gate: a promise the test resolves or rejects by hand. */
function gate<T = void>(): { promise: Promise<T>; open(value: T): void; fail(e: Error): void } {
  let open: (value: T) => void = () => undefined;
  let fail: (e: Error) => void = () => undefined;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

/** Holders whose preparation and run each wait for the test; what happened, in order, in `log`. */
function scene() {
  const m = new KeyedMutex();
  const log: string[] = [];
  const runGates = new Map<string, ReturnType<typeof gate<void>>>();
  const prepGates = new Map<string, ReturnType<typeof gate<string>>>();
  const parked: string[] = [];
  const request = (holder: string, opts: { gatedPrepare?: boolean; park?: boolean } = {}): TurnRequest<string, string> => ({
    holder,
    wake: () => log.push(`${holder} woken`),
    prepare: async () => {
      log.push(`${holder} prepares`);
      if (opts.gatedPrepare !== true) return `${holder}'s connection`;
      const g = gate<string>();
      prepGates.set(holder, g);
      return g.promise;
    },
    run: async (prepared) => {
      log.push(`${holder}+ (${prepared})`);
      const g = gate<void>();
      runGates.set(holder, g);
      await g.promise;
      log.push(`${holder}-`);
      return `${holder} done`;
    },
    ...(opts.park === false
      ? {}
      : {
          park: async <X>(wait: Promise<X>): Promise<X> => {
            parked.push(holder);
            return wait;
          },
        }),
  });
  const finish = async (holder: string): Promise<void> => {
    for (let i = 0; i < 20 && !runGates.has(holder); i++) await settle();
    const g = runGates.get(holder);
    if (g === undefined) throw new Error(`${holder} is not running; log: ${log.join(', ')}`);
    runGates.delete(holder);
    g.open();
    await settle();
  };
  return { m, log, parked, request, finish, prepGates };
}

/** `a` holds key A; `b` came next: it prepared and is parked on deck. */
async function aRunsBOnDeck() {
  const s = scene();
  void s.m.tryRun('A', s.request('a'));
  await settle();
  void s.m.tryRun('A', s.request('b'));
  await settle();
  return s;
}

describe('KeyedMutex: run', () => {
  it('runs holders of one key one after another, other keys in parallel', async () => {
    const m = new KeyedMutex();
    const order: string[] = [];
    const release = new Map<string, () => void>();
    const job = (key: string, name: string) =>
      m.run(key, async () => {
        order.push(`${name}+`);
        await new Promise<void>((r) => release.set(name, r));
        order.push(`${name}-`);
      });
    const all = Promise.all([job('db1', 'a'), job('db1', 'b'), job('db2', 'c')]);
    await settle();
    assert.deepEqual(order, ['a+', 'c+'], 'b waits for a; c does not');
    release.get('c')?.();
    await settle();
    release.get('a')?.();
    await settle();
    release.get('b')?.();
    await all;
    assert.deepEqual(order, ['a+', 'c+', 'c-', 'a-', 'b+', 'b-']);
  });

  it('a failing holder releases the key', async () => {
    const m = new KeyedMutex();
    await assert.rejects(m.run('k', () => Promise.reject(new Error('x'))));
    assert.equal(await m.run('k', () => Promise.resolve(7)), 7);
    assert.equal(m.waiting, 0);
  });
});

describe('KeyedMutex: tryRun and the holder on deck', () => {
  it('a free key: prepare, then run under the key, and the value comes back', async () => {
    const s = scene();
    const turn = s.m.tryRun('A', s.request('a'));
    await s.finish('a');
    assert.deepEqual(await turn, { ran: true, value: 'a done' });
    assert.deepEqual(s.log, ['a prepares', "a+ (a's connection)", 'a-']);
    assert.deepEqual(s.parked, [], 'nothing to wait for');
  });

  it('the first to come while a run holds the key prepares at once, parks, and runs the moment the key is released', async () => {
    const s = scene();
    const a = s.m.tryRun('A', s.request('a'));
    await settle();
    const b = s.m.tryRun('A', s.request('b'));
    await settle();
    assert.deepEqual(s.log, ['a prepares', "a+ (a's connection)", 'b prepares'], 'b connects while a runs; b does not run yet');
    assert.deepEqual(s.parked, ['b'], 'b waits without a worker');
    await s.finish('a');
    assert.deepEqual(s.log.slice(3), ['a-', "b+ (b's connection)"], 'b runs on the connection it prepared, no wake-up through the queue');
    await s.finish('b');
    assert.deepEqual(await a, { ran: true, value: 'a done' });
    assert.deepEqual(await b, { ran: true, value: 'b done' });
    assert.equal(s.m.waiting, 0);
  });

  it('later holders wait in line without preparing; the next one is woken when a run starts, while it goes', async () => {
    const s = await aRunsBOnDeck();
    assert.deepEqual(await s.m.tryRun('A', s.request('c')), { ran: false });
    assert.deepEqual(await s.m.tryRun('A', s.request('d')), { ran: false });
    assert.ok(!s.log.includes('c prepares') && !s.log.includes('c woken'), 'c only waits');
    assert.equal(s.m.waiting, 3, 'b on deck, c and d in line');
    await s.finish('a');
    assert.deepEqual(s.log.slice(-3).sort(), ['a-', "b+ (b's connection)", 'c woken'], 'b took the key and c went on deck, before b’s run ends');
    assert.ok(!s.log.includes('d woken'), 'one on deck at a time');
    // c comes back (its wake-up queued it again): it prepares while b runs and parks.
    const c = s.m.tryRun('A', s.request('c'));
    await settle();
    assert.equal(s.log.at(-1), 'c prepares');
    await s.finish('b');
    assert.deepEqual(s.log.slice(-3).sort(), ['b-', "c+ (c's connection)", 'd woken']);
    await s.finish('c');
    assert.deepEqual(await c, { ran: true, value: 'c done' });
  });

  it('a holder on deck that comes back after the release takes the kept key at once, without parking', async () => {
    const s = await aRunsBOnDeck();
    assert.deepEqual(await s.m.tryRun('A', s.request('c')), { ran: false });
    await s.finish('a');
    assert.ok(s.log.includes('c woken'));
    await s.finish('b');
    assert.deepEqual(await s.m.tryRun('A', s.request('newcomer')), { ran: false }, 'the free key is kept for c');
    const c = s.m.tryRun('A', s.request('c'));
    await s.finish('c');
    assert.deepEqual(await c, { ran: true, value: 'c done' });
    assert.ok(!s.parked.includes('c'), 'nothing to wait for');
    assert.ok(s.log.indexOf('c prepares') < s.log.indexOf("c+ (c's connection)"));
    assert.ok(s.log.includes('newcomer woken'), 'the newcomer is next');
  });

  it('the key is released while the holder on deck prepares: it takes it when ready, without parking', async () => {
    const s = scene();
    void s.m.tryRun('A', s.request('a'));
    await settle();
    const b = s.m.tryRun('A', s.request('b', { gatedPrepare: true }));
    await settle();
    await s.finish('a');
    assert.deepEqual(await s.m.tryRun('A', s.request('c')), { ran: false }, 'kept for b');
    s.prepGates.get('b')?.open('slow connection');
    await s.finish('b');
    assert.deepEqual(await b, { ran: true, value: 'b done' });
    assert.ok(s.log.includes("b+ (slow connection)"));
    assert.deepEqual(s.parked, []);
  });

  it('a holder on deck whose preparation fails gives up its place: the error is thrown and the next in line is woken', async () => {
    const s = scene();
    void s.m.tryRun('A', s.request('a'));
    await settle();
    const b = s.m.tryRun('A', s.request('b', { gatedPrepare: true }));
    await settle();
    assert.deepEqual(await s.m.tryRun('A', s.request('c')), { ran: false });
    s.prepGates.get('b')?.fail(new Error('connection refused'));
    await assert.rejects(b, /connection refused/);
    assert.equal(s.log.at(-1), 'c woken', 'c is on deck now');
    await s.finish('a');
    const c = s.m.tryRun('A', s.request('c'));
    await s.finish('c');
    assert.deepEqual(await c, { ran: true, value: 'c done' });
    assert.ok(!s.log.includes('b+ (undefined)'), 'b never ran');
    assert.equal(s.m.waiting, 0);
  });

  it('a failing run releases the key and the holder on deck runs', async () => {
    const m = new KeyedMutex();
    let failA: (e: Error) => void = () => undefined;
    const a = m.tryRun('A', { holder: 'a', wake: () => undefined, prepare: () => Promise.resolve(0), run: () => new Promise<number>((_, reject) => (failA = reject)) });
    await settle();
    const b = m.tryRun('A', { holder: 'b', wake: () => undefined, prepare: () => Promise.resolve(1), run: (n) => Promise.resolve(n + 1) });
    await settle();
    failA(new Error('boom'));
    await assert.rejects(a, /boom/);
    assert.deepEqual(await b, { ran: true, value: 2 });
  });

  it('without park, a holder on deck waits in place', async () => {
    const s = scene();
    void s.m.tryRun('A', s.request('a'));
    await settle();
    const b = s.m.tryRun('A', s.request('b', { park: false }));
    await settle();
    await s.finish('a');
    await s.finish('b');
    assert.deepEqual(await b, { ran: true, value: 'b done' });
    assert.deepEqual(s.parked, []);
  });

  it('waiters keep their place when they try again, are woken once each in arrival order; other keys are not held up', async () => {
    const s = await aRunsBOnDeck();
    for (const h of ['c', 'd', 'c', 'e', 'd']) assert.deepEqual(await s.m.tryRun('A', s.request(h)), { ran: false });
    const other = s.m.tryRun('B', s.request('x'));
    await s.finish('x');
    assert.deepEqual(await other, { ran: true, value: 'x done' });
    await s.finish('a');
    for (const [running, next] of [['b', 'c'], ['c', 'd'], ['d', 'e']] as const) {
      void s.m.tryRun('A', s.request(next)); // woken: it comes back, prepares and parks
      await settle();
      await s.finish(running);
    }
    await s.finish('e');
    const woken = s.log.filter((l) => l.endsWith('woken')).map((l) => l.split(' ')[0]);
    assert.deepEqual(woken, ['c', 'd', 'e']);
    const runs = s.log.filter((l) => l.includes('+ (')).map((l) => l.split('+')[0]);
    assert.deepEqual(runs, ['a', 'x', 'b', 'c', 'd', 'e']);
    assert.equal(s.m.waiting, 0);
  });
});

describe('KeyedMutex: blocking callers and bookkeeping', () => {
  it('a blocking caller put on deck while another run holds the key waits for that run', async () => {
    const s = await aRunsBOnDeck();
    const ran: string[] = [];
    const blocked = s.m.run('A', () => Promise.resolve(void ran.push('blocked')));
    await settle();
    await s.finish('a'); // b takes the key; the blocking caller goes on deck
    assert.deepEqual(ran, [], 'not while b runs');
    await s.finish('b');
    await blocked;
    assert.deepEqual(ran, ['blocked']);
  });

  it('a blocking caller does not take a free key kept for the resource on deck', async () => {
    const s = await aRunsBOnDeck();
    assert.deepEqual(await s.m.tryRun('A', s.request('c')), { ran: false });
    await s.finish('a');
    await s.finish('b'); // A is free, kept for c (woken, not back yet)
    const ran: string[] = [];
    const blocked = s.m.run('A', () => Promise.resolve(void ran.push('blocked')));
    await settle();
    assert.deepEqual(ran, [], 'c’s turn first');
    const c = s.m.tryRun('A', s.request('c'));
    await s.finish('c');
    assert.deepEqual(await c, { ran: true, value: 'c done' });
    await blocked;
    assert.deepEqual(ran, ['blocked']);
  });

  it('blocking callers waiting at once each get their turn, none lost', async () => {
    const m = new KeyedMutex();
    let release: () => void = () => undefined;
    const first = m.run('A', () => new Promise<void>((r) => (release = r)));
    const order: number[] = [];
    const rest = [1, 2, 3].map((n) => m.run('A', () => Promise.resolve(void order.push(n))));
    await settle();
    release();
    await Promise.all([first, ...rest]);
    assert.deepEqual(order, [1, 2, 3]);
  });

  it('counts a key held by one run with no one waiting as no waiter, and forgets keys nobody holds or waits for', async () => {
    const s = scene();
    void s.m.tryRun('A', s.request('a'));
    void s.m.tryRun('B', s.request('x'));
    await settle();
    assert.equal(s.m.waiting, 0);
    assert.equal(s.m.keys, 2);
    await s.finish('a');
    await s.finish('x');
    assert.equal(s.m.keys, 0);
    const b = await aRunsBOnDeck();
    await b.finish('a');
    await b.finish('b');
    assert.deepEqual([b.m.keys, b.m.waiting], [0, 0]);
  });
});

describe('KeyedMutex: settle', () => {
  /** a runs, b on deck (parked), c in line: c is woken when b takes the key. */
  async function cOnDeck() {
    const s = await aRunsBOnDeck();
    assert.deepEqual(await s.m.tryRun('A', s.request('c')), { ran: false });
    assert.deepEqual(await s.m.tryRun('A', s.request('d')), { ran: false });
    return s;
  }

  it('a holder on deck since before its attempt, which ended without the key (nothing to do, deleted), passes its turn on', async () => {
    const s = await cOnDeck();
    await s.finish('a');
    assert.ok(s.log.includes('c woken'));
    const since = s.m.mark();
    s.m.settle('c', since); // c's attempt found nothing to do
    assert.equal(s.log.at(-1), 'd woken');
    await s.finish('b');
    assert.deepEqual(await s.m.tryRun('A', s.request('c')), { ran: false }, 'c waits in line again, behind d');
    const d = s.m.tryRun('A', s.request('d'));
    await s.finish('d');
    assert.deepEqual(await d, { ran: true, value: 'd done' });
  });

  it('a holder put on deck during its attempt keeps the turn: its wake-up queued it again', async () => {
    const s = await cOnDeck();
    const since = s.m.mark(); // c's attempt begins (it will find the database busy, or not need it)
    await s.finish('a'); // meanwhile b takes the key and c goes on deck
    assert.ok(s.log.includes('c woken'));
    s.m.settle('c', since);
    assert.ok(!s.log.includes('d woken'), 'the turn stays with c');
    const c = s.m.tryRun('A', s.request('c'));
    await settle();
    await s.finish('b');
    await s.finish('c');
    assert.deepEqual(await c, { ran: true, value: 'c done' });
  });

  it('settle for a holder with no turn, or one that took its turn, changes nothing', async () => {
    const s = await cOnDeck();
    s.m.settle('d');
    s.m.settle('nobody');
    s.m.settle('a');
    assert.ok(!s.log.some((l) => l.endsWith('woken')));
    assert.equal(s.m.waiting, 3, 'b on deck; c and d in line');
  });

  it('blocking run() callers and tryRun() share the turns in arrival order', async () => {
    const s = scene();
    void s.m.tryRun('A', s.request('a'));
    await settle();
    const blocked = s.m.run('A', () => Promise.resolve(void s.log.push('blocked ran')));
    await settle();
    assert.deepEqual(await s.m.tryRun('A', s.request('c')), { ran: false }, 'the blocked caller is on deck');
    await s.finish('a');
    await blocked;
    assert.deepEqual(s.log.slice(-2).sort(), ['blocked ran', 'c woken']);
  });
});
