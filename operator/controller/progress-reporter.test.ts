import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatusPatch } from './kube/resources';
import { ProgressReporter } from './progress-reporter';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const file = (version: string, statements: number) => ({ name: `${version}.sql`, version, description: '', statements, resumeAt: 0 });

describe('ProgressReporter', () => {
  it('writes at most once per interval, the latest state last, never two writes at once', async () => {
    const patches: StatusPatch[] = [];
    let inFlight = 0;
    let overlap = false;
    const r = new ProgressReporter(
      async (p) => {
        inFlight++;
        overlap ||= inFlight > 1;
        await sleep(15);
        patches.push(p);
        inFlight--;
      },
      40,
      new Date('2026-01-01T00:00:00Z'),
      () => undefined,
    );
    const files = [file('1', 100), file('2', 1)];
    const started = performance.now();
    r.onEvent({ type: 'plan', current: undefined, target: '2', files });
    r.onEvent({ type: 'file-start', file: files[0] as never, index: 0, count: 2 });
    for (let i = 0; i < 100; i++) {
      r.onEvent({ type: 'statement-start', file: '1.sql', index: i, total: 100, line: i + 1, sql: '' });
      await sleep(1);
    }
    r.onEvent({ type: 'file-done', file: '1.sql', version: '1', durationMs: 1 });
    r.onEvent({ type: 'file-start', file: files[1] as never, index: 1, count: 2 });
    await sleep(60);
    await r.close();
    const elapsed = performance.now() - started;
    assert.ok(!overlap);
    // At most one write per 40 ms interval, however long the 100 short sleeps took on a loaded machine
    // (CI: 13 writes once they took about 500 ms); far fewer than one per statement.
    const most = Math.ceil(elapsed / 40) + 1;
    assert.ok(r.writes >= 2 && r.writes <= Math.min(most, 50), `${r.writes} writes for 100+ statements in ${Math.round(elapsed)} ms (at most ${most})`);
    assert.deepEqual(patches.at(-1), {
      progress: { file: '2.sql', version: '2', statement: 1, statements: 1, filesDone: 1, filesTotal: 2, startedAt: '2026-01-01T00:00:00Z' },
      pendingVersions: ['2'],
      pendingCount: 1,
    });
  });

  it('a failing write is reported and does not stop later ones', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const r = new ProgressReporter(() => (++calls === 1 ? Promise.reject(new Error('409')) : Promise.resolve()), 5, new Date(), (e) => errors.push(e));
    r.onEvent({ type: 'statement-start', file: 'a', index: 0, total: 2, line: 1, sql: '' });
    await sleep(20);
    r.onEvent({ type: 'statement-start', file: 'a', index: 1, total: 2, line: 2, sql: '' });
    await sleep(20);
    await r.close();
    assert.equal(calls, 2);
    assert.equal(errors.length, 1);
  });
});
