import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionsFor, type Condition, type Outcome } from './conditions';
import { Reason } from './reasons';

const t0 = new Date('2026-01-01T00:00:00.123Z');
const t1 = new Date('2026-01-01T00:05:00Z');

function table(cs: Condition[]): string[] {
  return cs.map((c) => `${c.type}=${c.status}/${c.reason}`);
}

/** kstatus's reading of a resource's conditions (Reconciling first, then Stalled). */
function kstatus(cs: Condition[]): string {
  if (cs.some((c) => c.type === 'Reconciling' && c.status === 'True')) return 'InProgress';
  if (cs.some((c) => c.type === 'Stalled' && c.status === 'True')) return 'Failed';
  return 'Current';
}

/** Argo CD's built-in health check for AtlasMigration. */
function argo(cs: Condition[]): string {
  const ready = cs.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return 'Healthy';
  return ready?.reason === 'Reconciling' ? 'Progressing' : 'Degraded';
}

describe('conditionsFor', () => {
  const cases: [Outcome, string[], string, string][] = [
    [{ kind: 'progressing', message: 'm' }, ['Ready=False/Reconciling', 'Reconciling=True/Reconciling', 'Stalled=False/Reconciling'], 'InProgress', 'Progressing'],
    [{ kind: 'ready', message: 'm' }, ['Ready=True/Applied', 'Reconciling=False/Applied', 'Stalled=False/Applied'], 'Current', 'Healthy'],
    [{ kind: 'retrying', reason: Reason.Connecting, message: 'm', retryMessage: 'r' }, ['Ready=False/Connecting', 'Reconciling=True/Retrying', 'Stalled=False/Connecting'], 'InProgress', 'Degraded'],
    [{ kind: 'stalled', reason: Reason.ReadingMigrationData, message: 'm' }, ['Ready=False/ReadingMigrationData', 'Reconciling=False/ReadingMigrationData', 'Stalled=True/ReadingMigrationData'], 'Failed', 'Degraded'],
    [{ kind: 'dry-run', message: 'm' }, ['Ready=False/DryRun', 'Reconciling=False/DryRun', 'Stalled=False/DryRun'], 'Current', 'Degraded'],
    // As atlas-operator writes it: work outstanding, not a failure; Argo CD shows a sync waiting for a person as Degraded.
    [{ kind: 'approval-pending', message: 'm' }, ['Ready=False/ApprovalPending', 'Reconciling=True/ApprovalPending', 'Stalled=False/ApprovalPending'], 'InProgress', 'Degraded'],
  ];
  for (const [outcome, expected, ks, health] of cases) {
    it(`${outcome.kind}: ${expected.join(', ')}; kstatus ${ks}, Argo CD ${health}`, () => {
      const cs = conditionsFor(outcome, undefined, 3, t0);
      assert.deepEqual(table(cs), expected);
      assert.equal(kstatus(cs), ks);
      assert.equal(argo(cs), health);
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
