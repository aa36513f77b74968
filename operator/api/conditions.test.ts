import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionsFor, type Condition, type Outcome } from './conditions';
import { Reason } from './reasons';

const t0 = new Date('2026-01-01T00:00:00.123Z');
const t1 = new Date('2026-01-01T00:05:00Z');

function table(cs: Condition[]): string[] {
  return cs.map((c) => `${c.type}=${c.status}/${c.reason}`);
}

describe('conditionsFor', () => {
  // How kstatus and Argo CD read these: e2e/conditions-readers.e2e.test.ts, with the real readers.
  const cases: [Outcome, string[]][] = [
    [{ kind: 'progressing', message: 'm' }, ['Ready=False/Reconciling', 'Reconciling=True/Reconciling', 'Stalled=False/Reconciling']],
    [{ kind: 'ready', message: 'm' }, ['Ready=True/Applied', 'Reconciling=False/Applied', 'Stalled=False/Applied']],
    [{ kind: 'retrying', reason: Reason.Connecting, message: 'm', retryMessage: 'r' }, ['Ready=False/Connecting', 'Reconciling=True/Retrying', 'Stalled=False/Connecting']],
    [{ kind: 'stalled', reason: Reason.ReadingMigrationData, message: 'm' }, ['Ready=False/ReadingMigrationData', 'Reconciling=False/ReadingMigrationData', 'Stalled=True/ReadingMigrationData']],
    [{ kind: 'dry-run', message: 'm' }, ['Ready=False/DryRun', 'Reconciling=False/DryRun', 'Stalled=False/DryRun']],
    // As atlas-operator writes it: work outstanding, not a failure.
    [{ kind: 'approval-pending', message: 'm' }, ['Ready=False/ApprovalPending', 'Reconciling=True/ApprovalPending', 'Stalled=False/ApprovalPending']],
  ];
  for (const [outcome, expected] of cases) {
    it(`${outcome.kind}: ${expected.join(', ')}`, () => {
      const cs = conditionsFor(outcome, undefined, 3, t0);
      assert.deepEqual(table(cs), expected);
      assert.ok(cs.every((c) => c.observedGeneration === 3 && c.lastTransitionTime === '2026-01-01T00:00:00Z'));
    });
  }

  it('approval-pending carries its message on Ready and Reconciling', () => {
    const cs = conditionsFor({ kind: 'approval-pending', message: 'Plan abc waits for approval' }, undefined, 1, t0);
    assert.deepEqual(cs.map((c) => c.message), ['Plan abc waits for approval', 'Plan abc waits for approval', 'Plan abc waits for approval']);
  });

  it('keeps lastTransitionTime of conditions whose status did not change', () => {
    const before = conditionsFor({ kind: 'ready', message: 'a' }, undefined, 1, t0);
    const again = conditionsFor({ kind: 'ready', message: 'b' }, before, 2, t1);
    assert.ok(again.every((c) => c.lastTransitionTime === '2026-01-01T00:00:00Z'));
    const failing = conditionsFor({ kind: 'stalled', reason: Reason.Migrating, message: 'x' }, again, 2, t1);
    const times = Object.fromEntries(failing.map((c) => [c.type, c.lastTransitionTime]));
    assert.deepEqual(times, { Ready: '2026-01-01T00:05:00Z', Reconciling: '2026-01-01T00:00:00Z', Stalled: '2026-01-01T00:05:00Z' });
  });
});
