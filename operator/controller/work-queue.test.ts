import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedMutex } from './keyed-mutex';
import { WorkQueue } from './work-queue';

const log = { error: () => undefined };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const latest = (_a: string, b: string): string => b;

describe('WorkQueue', () => {
  it('never runs one key twice at once; an add during a run runs it once more, with the newest hint', async () => {
    const runs: string[] = [];
    let active = 0;
    let maxActive = 0;
    const q = new WorkQueue<string>(
      async (key, hint) => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs.push(`${key}:${hint}`);
        await sleep(20);
        active--;
      },
      4,
      latest,
      log,
    );
    q.add('a', '1');
    await sleep(5);
    q.add('a', '2');
    q.add('a', '3');
    await sleep(80);
    assert.deepEqual(runs, ['a:1', 'a:3']);
    assert.equal(maxActive, 1);
  });

  it('bounds concurrency across keys and coalesces queued duplicates', async () => {
    let active = 0;
    let maxActive = 0;
    const seen: string[] = [];
    const q = new WorkQueue<number>(
      async (key) => {
        seen.push(key);
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(10);
        active--;
      },
      2,
      (a, b) => Math.max(a, b),
      log,
    );
    for (const k of ['a', 'b', 'c', 'd', 'c', 'd']) q.add(k, 0);
    await q.shutdown();
    await sleep(60);
    assert.equal(maxActive, 2);
    assert.deepEqual(seen.sort(), ['a', 'b']);
  });

  it('delayed adds keep the earliest timer; a crash in processing is logged, not lost', async () => {
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
    await sleep(80);
    assert.deepEqual(runs, ['boom:x', 'a:early']);
    assert.deepEqual(errors, ['bug']);
    assert.equal(q.delayed, 0);
  });

  it('shutdown waits for work in flight and drops what waits', async () => {
    let finished = false;
    const q = new WorkQueue<string>(
      async () => {
        await sleep(30);
        finished = true;
      },
      1,
      latest,
      log,
    );
    q.add('a', '');
    q.add('b', '');
    await sleep(1);
    await q.shutdown();
    assert.ok(finished);
    assert.equal(q.depth, 0);
  });

  it('a queue made paused collects keys and runs them once resumed', async () => {
    const runs: string[] = [];
    const q = new WorkQueue<string>((key) => Promise.resolve(void runs.push(key)), 2, latest, log, { paused: true });
    q.add('a', '');
    q.add('b', '');
    await sleep(10);
    assert.deepEqual(runs, []);
    q.resume();
    await sleep(10);
    assert.deepEqual(runs.sort(), ['a', 'b']);
  });

  it('rejects a concurrency that is not a positive integer', () => {
    assert.throws(() => new WorkQueue<string>(() => Promise.resolve(), 0, latest, log), RangeError);
  });
});

describe('KeyedMutex', () => {
  it('runs holders of one key one after another, other keys in parallel', async () => {
    const m = new KeyedMutex();
    const order: string[] = [];
    const job = (key: string, name: string, ms: number) =>
      m.run(key, async () => {
        order.push(`${name}+`);
        await sleep(ms);
        order.push(`${name}-`);
      });
    await Promise.all([job('db1', 'a', 20), job('db1', 'b', 1), job('db2', 'c', 1)]);
    assert.deepEqual(order, ['a+', 'c+', 'c-', 'a-', 'b+', 'b-']);
  });

  it('a failing holder releases the key', async () => {
    const m = new KeyedMutex();
    await assert.rejects(m.run('k', () => Promise.reject(new Error('x'))));
    assert.equal(await m.run('k', () => Promise.resolve(7)), 7);
  });
});
