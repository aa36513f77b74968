import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextStep, retryDelayMs } from './requeue-policy';

const settings = { baseMs: 1000, maxMs: 60_000 };
const mid = (): number => 0.5;

describe('requeue policy', () => {
  it('transient failures back off exponentially up to the cap', () => {
    assert.deepEqual([1, 2, 3, 4, 7, 8, 50].map((n) => retryDelayMs(n, settings, mid)), [1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
    const jittered = retryDelayMs(3, settings, () => 0);
    assert.equal(jittered, 3600);
  });

  it('permanent failures wait for a change; past backoffLimit transient ones give up; 0 retries forever', () => {
    assert.deepEqual(nextStep('permanent', 1, 20, settings), { action: 'wait-for-change' });
    assert.deepEqual(nextStep('transient', 20, 20, settings, mid), { action: 'retry', afterMs: 60_000 });
    assert.deepEqual(nextStep('transient', 21, 20, settings), { action: 'give-up' });
    assert.equal(nextStep('transient', 1000, 0, settings).action, 'retry');
  });
});
