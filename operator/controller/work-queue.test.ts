/**
 * WorkQueue (and, as the operator wires them, KeyedMutex) driven step by step: every run is a gate the
 * test opens by hand, delayed adds run on node:test's mock timers. Nothing
 * waits for wall-clock time, so each assertion says what happened at one
 * precise moment (a run started, a run ended, a timer fired).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { KeyedMutex } from './keyed-mutex';
import { WorkQueue } from './work-queue';

const log = { error: () => undefined };
const latest = (_a: string, b: string): string => b;

/** The operator's own hint merge (migration-operator.ts): the strongest trigger wins. */
type Trigger = 'change' | 'retry' | 'resync';
const RANK: Record<Trigger, number> = { resync: 0, retry: 1, change: 2 };
const strongest = (a: Trigger, b: Trigger): Trigger => (RANK[a] >= RANK[b] ? a : b);

/** Lets every promise callback and I/O callback queued so far run (no time passes). */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

interface Run<H> {
  readonly key: string;
  readonly hint: H;
  finish(): void;
  fail(e: Error): void;
}

/** A process function whose runs end only when the test says so. */
function gated<H>() {
  const runs: Run<H>[] = [];
  let active = 0;
  let maxActive = 0;
  const started = (): string[] => runs.map((r) => `${r.key}:${String(r.hint)}`);
  const process = (key: string, hint: H): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      active++;
      maxActive = Math.max(maxActive, active);
      const end = (): void => void active--;
      runs.push({ key, hint, finish: () => (end(), resolve()), fail: (e) => (end(), reject(e)) });
    });
  /** The n-th run (0-based), once it has started; fails the test if it never does. */
  async function run(n: number): Promise<Run<H>> {
    for (let i = 0; i < 50 && runs[n] === undefined; i++) await settle();
    const r = runs[n];
    if (r === undefined) throw new Error(`run #${n} never started; runs: ${started().join(', ')}`);
    return r;
  }
  return { runs, started, process, run, max: () => maxActive, active: () => active };
}

describe('WorkQueue', () => {
  afterEach(() => mock.timers.reset());

  it('never runs one key twice at once; an add during a run runs it once more, with the newest hint', async () => {
    const g = gated<string>();
    const q = new WorkQueue<string>(g.process, 4, latest, log);
    q.add('a', '1');
    const first = await g.run(0);
    q.add('a', '2');
    q.add('a', '3');
    await settle();
    assert.deepEqual(g.started(), ['a:1'], 'no second run while the first goes');
    first.finish();
    (await g.run(1)).finish();
    await settle();
    assert.deepEqual(g.started(), ['a:1', 'a:3']);
    assert.equal(g.max(), 1);
  });

  it('bounds concurrency across keys and coalesces queued duplicates', async () => {
    const g = gated<number>();
    const q = new WorkQueue<number>(g.process, 2, (a, b) => Math.max(a, b), log, { paused: true });
    for (const [k, n] of [['a', 0], ['b', 0], ['c', 1], ['d', 0], ['c', 5], ['d', 2], ['a', 3]] as const) q.add(k, n);
    assert.equal(q.depth, 4, 'one entry per key, however many adds');
    q.resume();
    await g.run(1);
    await settle();
    assert.deepEqual(g.started(), ['a:3', 'b:0'], 'two at once, in the order first added');
    assert.equal(q.active, 2);
    assert.equal(q.depth, 2);
    g.runs[0]?.finish();
    await g.run(2);
    await settle();
    assert.equal(g.runs.length, 3, 'a third starts only when one of two ends');
    for (const r of g.runs) r.finish();
    (await g.run(3)).finish();
    await settle();
    assert.deepEqual(g.started(), ['a:3', 'b:0', 'c:5', 'd:2'], 'each key once, with its merged hint');
    assert.equal(g.max(), 2);
    assert.equal(q.depth, 0);
    assert.equal(q.active, 0);
  });

  it('merges the hints of a waiting key: a queued retry is not lost to a later resync', async () => {
    const g = gated<Trigger>();
    const q = new WorkQueue<Trigger>(g.process, 1, strongest, log, { paused: true });
    q.add('k', 'retry');
    q.add('k', 'resync');
    q.add('j', 'resync');
    q.add('j', 'change');
    q.add('j', 'resync');
    q.resume();
    (await g.run(0)).finish();
    (await g.run(1)).finish();
    await settle();
    assert.deepEqual(g.started(), ['k:retry', 'j:change']);
  });

  it('merges hints in the order they came (earlier first), for a key waiting and a key running', async () => {
    const g = gated<string>();
    const q = new WorkQueue<string>(g.process, 1, (a, b) => `${a}+${b}`, log, { paused: true });
    q.add('a', '1');
    q.add('a', '2');
    q.resume();
    const first = await g.run(0);
    q.add('a', '3'); // while a runs: merged into the next run only
    q.add('a', '4');
    first.finish();
    (await g.run(1)).finish();
    await settle();
    assert.deepEqual(g.started(), ['a:1+2', 'a:3+4']);
  });

  it('a retry added while the key runs survives a later resync', async () => {
    const g = gated<Trigger>();
    const q = new WorkQueue<Trigger>(g.process, 1, strongest, log);
    q.add('k', 'change');
    const first = await g.run(0);
    q.add('k', 'retry');
    q.add('k', 'resync');
    first.finish();
    (await g.run(1)).finish();
    await settle();
    assert.deepEqual(g.started(), ['k:change', 'k:retry']);
  });

  it('delayed adds keep the earliest timer; a crash in processing is logged, not lost', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const errors: string[] = [];
    const runs: string[] = [];
    const q = new WorkQueue<string>(
      (key, hint) => {
        runs.push(`${key}:${hint}`);
        return key === 'boom' ? Promise.reject(new Error('bug')) : Promise.resolve();
      },
      1,
      latest,
      { error: (o) => errors.push(String((o as { err: string }).err)) },
    );
    q.addAfter('a', 30, 'late');
    q.addAfter('a', 5, 'early');
    q.addAfter('a', 50, 'later');
    q.add('boom', 'x');
    assert.equal(q.delayed, 1);
    await settle();
    assert.deepEqual(runs, ['boom:x'], 'nothing delayed runs before its time');
    mock.timers.tick(4);
    await settle();
    assert.deepEqual(runs, ['boom:x']);
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(runs, ['boom:x', 'a:early'], 'at 5 ms, with the earliest timer\'s hint');
    mock.timers.tick(100);
    await settle();
    assert.deepEqual(runs, ['boom:x', 'a:early'], 'the later timers were dropped, not left to fire');
    assert.deepEqual(errors, ['bug']);
    assert.equal(q.delayed, 0);
  });

  it('forget drops a pending delayed add (the resource is gone)', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const g = gated<string>();
    const q = new WorkQueue<string>(g.process, 1, latest, log);
    q.addAfter('gone', 10, 'retry');
    q.addAfter('kept', 10, 'retry');
    q.forget('gone');
    q.forget('never-added');
    assert.equal(q.delayed, 1);
    mock.timers.tick(10);
    (await g.run(0)).finish();
    mock.timers.tick(1000);
    await settle();
    assert.deepEqual(g.started(), ['kept:retry']);
    assert.equal(q.delayed, 0);
  });

  it('shutdown waits for work in flight and drops what waits', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const g = gated<string>();
    const q = new WorkQueue<string>(g.process, 1, latest, log);
    q.add('a', '');
    q.add('b', '');
    q.addAfter('c', 10, '');
    const running = await g.run(0);
    q.add('a', 'again'); // dirty: would run once more
    let done = false;
    const stopped = q.shutdown().then(() => (done = true));
    await settle();
    assert.equal(done, false, 'shutdown resolves only once the run in flight ends');
    assert.equal(q.depth, 0);
    assert.equal(q.delayed, 0);
    q.add('d', '');
    q.addAfter('e', 1, '');
    running.finish();
    await stopped;
    mock.timers.tick(1000);
    await settle();
    assert.deepEqual(g.started(), ['a:'], 'nothing waiting, dirty, delayed or added later runs');
    assert.equal(q.depth, 0);
    assert.equal(q.active, 0);
    assert.equal(q.delayed, 0);
  });

  it('a queue made paused collects keys and runs them once resumed', async () => {
    const runs: string[] = [];
    const q = new WorkQueue<string>((key) => Promise.resolve(void runs.push(key)), 2, latest, log, { paused: true });
    q.add('a', '');
    q.add('b', '');
    await settle();
    assert.deepEqual(runs, []);
    assert.equal(q.depth, 2);
    q.resume();
    await settle();
    assert.deepEqual(runs.sort(), ['a', 'b']);
  });

  it('a crashed run frees its key and its slot', async () => {
    const g = gated<string>();
    const errors: unknown[] = [];
    const q = new WorkQueue<string>(g.process, 1, latest, { error: (o) => errors.push(o) });
    q.add('a', '1');
    q.add('b', '1');
    const a = await g.run(0);
    q.add('a', '2');
    a.fail(new Error('bug'));
    (await g.run(1)).finish();
    (await g.run(2)).finish();
    await settle();
    assert.deepEqual(g.started(), ['a:1', 'b:1', 'a:2']);
    assert.deepEqual(errors, [{ key: 'a', err: 'bug' }]);
  });

  it('addFirst: a new key goes before every waiting one; a waiting key moves to the head once, hints merged', async () => {
    const g = gated<number>();
    const starts: number[] = [];
    const q = new WorkQueue<number>(g.process, 1, (a, b) => a + b, log, { paused: true, onStart: (s) => starts.push(s) });
    for (const k of ['a', 'b', 'c']) q.add(k, 1);
    const added = performance.now();
    while (performance.now() - added < 5); // c has waited 5 ms when it is moved
    q.addFirst('x', 1);
    q.addFirst('c', 10);
    assert.equal(q.depth, 4, 'c moved, not added twice');
    q.resume();
    for (let i = 0; i < 4; i++) (await g.run(i)).finish();
    await settle();
    assert.deepEqual(g.started(), ['c:11', 'x:1', 'a:1', 'b:1']);
    assert.equal(starts.length, 4, 'each key counted once in the latency metric');
    assert.ok((starts[0] ?? 0) >= 0.005, `c's wait counts from its first add (${starts[0]} s)`);
  });

  it('addFirst while the key runs: it runs again right after, before keys queued meanwhile; add() while it runs still goes last', async () => {
    const g = gated<string>();
    const q = new WorkQueue<string>(g.process, 1, latest, log);
    q.add('a', '1');
    const a = await g.run(0);
    q.add('b', '1');
    q.add('c', '1');
    q.addFirst('a', 'woken');
    a.finish();
    (await g.run(1)).finish();
    const b = await g.run(2);
    q.add('b', '2');
    b.finish();
    (await g.run(3)).finish();
    (await g.run(4)).finish();
    await settle();
    assert.deepEqual(g.started(), ['a:1', 'a:woken', 'b:1', 'c:1', 'b:2']);
  });

  it('addFirst after shutdown is ignored', async () => {
    const g = gated<string>();
    const q = new WorkQueue<string>(g.process, 1, latest, log);
    await q.shutdown();
    q.addFirst('a', '1');
    await settle();
    assert.equal(g.runs.length, 0);
    assert.equal(q.depth, 0);
  });

  it('a parked key gives its worker to the next key, stays in flight (no second run, counted active), and shutdown waits for it', async () => {
    const g = gated<string>();
    let wakeParked: () => void = () => undefined;
    const parkedDone: string[] = [];
    const q: WorkQueue<string> = new WorkQueue<string>(
      async (key, hint) => {
        if (key !== 'p') return g.process(key, hint);
        await q.parked(new Promise<void>((r) => (wakeParked = r)));
        parkedDone.push(hint);
      },
      1,
      latest,
      log,
    );
    q.add('p', 'first');
    q.add('a', '1');
    (await g.run(0)).finish();
    assert.deepEqual(g.started(), ['a:1'], 'a ran while p was parked, with a concurrency of 1');
    q.add('p', 'again');
    q.add('b', '1');
    const b = await g.run(1);
    assert.equal(q.active, 2, 'b runs, p is parked');
    assert.equal(q.parkedKeys, 1);
    let down = false;
    const shutdown = q.shutdown().then(() => (down = true));
    b.finish();
    await settle();
    assert.equal(down, false, 'p is still in flight');
    wakeParked();
    await shutdown;
    assert.deepEqual(parkedDone, ['first'], 'p never ran twice at once; its re-add was dropped by the shutdown');
    assert.equal(q.active, 0);
    assert.equal(q.parkedKeys, 0);
  });

  it('rejects a concurrency that is not a positive integer', () => {
    assert.throws(() => new WorkQueue<string>(() => Promise.resolve(), 0, latest, log), RangeError);
    assert.throws(() => new WorkQueue<string>(() => Promise.resolve(), 1.5, latest, log), RangeError);
  });
});

describe('a reconcile waiting for a busy database holds no worker slot', () => {
  /**
   * The operator's wiring (reconciler.ts, migration-operator.ts): a reconcile
   * tries its database; busy, it leaves a wake-up that adds its key again
   * at the head of the queue, and its worker is free; every reconcile ends
   * with settle().
   */
  function operatorLike(concurrency: number, databaseOf: Record<string, string>) {
    const m = new KeyedMutex();
    const log: string[] = [];
    const gates = new Map<string, () => void>();
    const q: WorkQueue<string> = new WorkQueue<string>(
      async (key) => {
        const since = m.mark();
        try {
          const turn = await m.tryRun(databaseOf[key] as string, {
            holder: key,
            wake: () => q.addFirst(key, 'wake'),
            prepare: () => Promise.resolve(void log.push(`${key} connects`)),
            run: async () => {
              log.push(`${key}+`);
              await new Promise<void>((r) => gates.set(key, r));
              log.push(`${key}-`);
            },
            park: (wait) => q.parked(wait),
          });
          if (!turn.ran) log.push(`${key} waits`);
        } finally {
          m.settle(key, since);
        }
      },
      concurrency,
      latest,
      { error: () => undefined },
    );
    const open = async (key: string): Promise<void> => {
      for (let i = 0; i < 50 && !gates.has(key); i++) await settle();
      const g = gates.get(key);
      if (g === undefined) throw new Error(`${key} never ran; log: ${log.join(', ')}`);
      gates.delete(key);
      g();
      await settle();
    };
    const until = async (entry: string): Promise<void> => {
      for (let i = 0; i < 50 && !log.includes(entry); i++) await settle();
      assert.ok(log.includes(entry), `${entry} never happened; log: ${log.join(', ')}`);
    };
    return { m, q, log, open, until };
  }

  it('concurrency 2, two resources on database A and one on B: the second on A connects and parks, and B runs beside A’s first run', async () => {
    const o = operatorLike(2, { 'ns/a1': 'A', 'ns/a2': 'A', 'ns/b': 'B' });
    o.q.add('ns/a1', 'change');
    o.q.add('ns/a2', 'change');
    o.q.add('ns/b', 'change');
    await o.until('ns/b+');
    await o.open('ns/b');
    await o.until('ns/b-');
    assert.deepEqual([...o.log].sort(), ['ns/a1 connects', 'ns/a1+', 'ns/a2 connects', 'ns/b connects', 'ns/b+', 'ns/b-'].sort(), 'B ran and finished while A was busy');
    assert.ok(!o.log.includes('ns/a2+'), 'a2 has not run');
    assert.equal(o.q.active, 2, 'a1 runs; a2 is in flight, parked');
    assert.equal(o.q.parkedKeys, 1);
    await o.open('ns/a1');
    await o.until('ns/a2+');
    await o.open('ns/a2');
    await o.q.shutdown();
    assert.deepEqual(o.log.slice(6), ['ns/a1-', 'ns/a2+', 'ns/a2-'], 'a2 ran as a1 released A, without a new attempt');
    assert.equal(o.m.waiting, 0);
  });

  it('the next waiter is woken to the head of the queue: it connects before the keys queued behind it', async () => {
    const o = operatorLike(2, { 'ns/a1': 'A', 'ns/a2': 'A', 'ns/a3': 'A', 'ns/c1': 'C1', 'ns/c2': 'C2' });
    for (const k of ['ns/a1', 'ns/a2', 'ns/a3']) o.q.add(k, 'change');
    await o.until('ns/a3 waits');
    o.q.add('ns/c1', 'change');
    o.q.add('ns/c2', 'change');
    await o.until('ns/c1+');
    await o.open('ns/a1'); // a2 takes A at once; a3 is woken, at the head of the queue (both workers are taken)
    await o.until('ns/a2+');
    await o.open('ns/c1'); // a worker frees: a3 takes it before c2
    await o.until('ns/c2+');
    const at = (e: string): number => o.log.indexOf(e);
    assert.ok(at('ns/a3 connects') > 0 && at('ns/a3 connects') < at('ns/c2 connects'), o.log.join(', '));
    for (const k of ['ns/a2', 'ns/a3', 'ns/c2']) await o.open(k);
    await o.q.shutdown();
    assert.deepEqual(o.log.filter((e) => e.startsWith('ns/a') && e.endsWith('+')), ['ns/a1+', 'ns/a2+', 'ns/a3+']);
  });

  it('one run per database at a time; waiters run in arrival order, each woken once, none lost', async () => {
    const o = operatorLike(2, { 'ns/a1': 'A', 'ns/a2': 'A', 'ns/a3': 'A', 'ns/a4': 'A' });
    for (const k of ['ns/a1', 'ns/a2', 'ns/a3', 'ns/a4']) o.q.add(k, 'change');
    await o.until('ns/a4 waits');
    // An event for a waiting resource: it tries again, finds A busy, and keeps its place.
    o.q.add('ns/a3', 'change');
    await o.until('ns/a3 waits');
    for (const k of ['ns/a1', 'ns/a2', 'ns/a3', 'ns/a4']) await o.open(k);
    await o.q.shutdown();
    const runs = o.log.filter((e) => e.endsWith('+') || e.endsWith('-'));
    assert.deepEqual(runs, ['ns/a1+', 'ns/a1-', 'ns/a2+', 'ns/a2-', 'ns/a3+', 'ns/a3-', 'ns/a4+', 'ns/a4-']);
    assert.equal(o.m.waiting, 0);
  });
});
