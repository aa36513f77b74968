/**
 * `wait`'s decision from a resource as read, and the version order it
 * uses for --for-version.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { versionAtLeast } from './applied-version';
import { migrationView } from './migration-view';
import { decideWait } from './wait-decision';

type Cond = { type: string; status: string; reason: string; message?: string; observedGeneration?: number };

function resource(opts: { generation?: number; observed?: number; conditions?: Cond[]; version?: string; plan?: unknown; approved?: string }) {
  const generation = opts.generation ?? 2;
  return migrationView({
    metadata: {
      name: 'myapp',
      namespace: 'apps',
      generation,
      resourceVersion: '7',
      ...(opts.approved === undefined ? {} : { annotations: { 'db.atlasgo.io/approved-plan': opts.approved } }),
    },
    status: {
      observedGeneration: opts.observed ?? generation,
      conditions: (opts.conditions ?? []).map((c) => ({ message: '', observedGeneration: opts.observed ?? generation, lastTransitionTime: '2024-01-01T00:00:00Z', ...c })),
      ...(opts.version === undefined ? {} : { lastAppliedVersion: opts.version }),
      ...(opts.plan === undefined ? {} : { plan: opts.plan }),
    },
  });
}

const ready = (status: string, reason: string, message = ''): Cond => ({ type: 'Ready', status, reason, message });
const stalledCond = (status: string, reason: string, message = ''): Cond => ({ type: 'Stalled', status, reason, message });

describe('versionAtLeast (Atlas order: byte-wise strings)', () => {
  it('orders timestamps of equal length as numbers', () => {
    assert.equal(versionAtLeast('20230316085611', '20230316085611'), true);
    assert.equal(versionAtLeast('20230316090502', '20230316085611'), true);
    assert.equal(versionAtLeast('20230316085611', '20230316090502'), false);
  });
  it('compares byte by byte, as Atlas sorts files (not numerically)', () => {
    assert.equal(versionAtLeast('9', '10'), true);
    assert.equal(versionAtLeast('1.2', '1.10'), true);
    assert.equal(versionAtLeast('2', '2.1'), false);
  });
  it('treats no applied version as below any version', () => {
    assert.equal(versionAtLeast(undefined, '1'), false);
    assert.equal(versionAtLeast('', '1'), false);
  });
});

describe('decideWait', () => {
  it('waits for a resource that does not exist yet', () => {
    assert.deepEqual(decideWait(undefined), { kind: 'waiting', summary: 'does not exist yet' });
  });

  it('is ready when Ready=True for the current generation', () => {
    const s = decideWait(resource({ conditions: [ready('True', 'Applied')], version: '3' }));
    assert.deepEqual(s, { kind: 'ready', summary: 'Ready at version 3' });
  });

  it('waits while the conditions are of an older generation, whatever they say', () => {
    for (const c of [ready('True', 'Applied'), stalledCond('True', 'InvalidSpec')]) {
      const s = decideWait(resource({ generation: 3, observed: 2, conditions: [c] }));
      assert.equal(s.kind, 'waiting');
      assert.match(s.summary, /generation 3 not reconciled yet \(last reconciled: generation 2\)/);
    }
    assert.match(decideWait(resource({ generation: 1, observed: -1 })).summary, /last reconciled: never/);
  });

  it('with --for-version, waits until lastAppliedVersion reaches it', () => {
    const below = decideWait(resource({ conditions: [ready('True', 'Applied')], version: '20230316085611' }), '20230316090502');
    assert.deepEqual(below, { kind: 'waiting', summary: 'Ready at version 20230316085611; waiting for version 20230316090502 or later' });
    assert.equal(decideWait(resource({ conditions: [ready('True', 'Applied')], version: '20230316090502' }), '20230316090502').kind, 'ready');
    assert.equal(decideWait(resource({ conditions: [ready('True', 'Applied')], version: '20240101000000' }), '20230316090502').kind, 'ready');
    assert.equal(decideWait(resource({ conditions: [ready('True', 'Applied')] }), '1').kind, 'waiting');
  });

  it('fails on Stalled=True for the current generation, with its reason and message', () => {
    const s = decideWait(resource({ conditions: [ready('False', 'Migrating', 'boom'), stalledCond('True', 'Migrating', 'statement 2 failed')] }));
    assert.deepEqual(s, { kind: 'stalled', reason: 'Migrating', message: 'statement 2 failed', summary: 'Stalled Migrating: statement 2 failed' });
  });

  it('takes the reason and message from Ready when Stalled lacks them', () => {
    const s = decideWait(resource({ conditions: [ready('False', 'ResolvingTarget', 'secret db missing'), stalledCond('True', '')] }));
    assert.equal(s.kind, 'stalled');
    assert.equal(s.summary, 'Stalled ResolvingTarget: secret db missing');
  });

  it('stops at ApprovalPending with the plan', () => {
    const plan = { hash: 'ab12', filesTotal: 1, files: [], findingsTotal: 0, findings: [], truncated: false, approved: false, destructive: 0 };
    const s = decideWait(resource({ conditions: [ready('False', 'ApprovalPending', 'plan ab12 waits for approval'), stalledCond('False', 'ApprovalPending')], plan }));
    assert.equal(s.kind, 'approval-pending');
    assert.equal(s.kind === 'approval-pending' ? s.plan?.hash : '', 'ab12');
    assert.equal(s.summary, 'Ready=False ApprovalPending: plan ab12 waits for approval');
  });

  // Mutant killed: the approved-plan check dropped (approve && wait exited 4 before the operator had acted).
  it('keeps waiting when the annotation already approves the held plan, and stops again for another plan', () => {
    const plan = { hash: 'ab12', filesTotal: 1, files: [], findingsTotal: 0, findings: [], truncated: false, approved: false, destructive: 0 };
    const held = [ready('False', 'ApprovalPending', 'plan ab12 waits for approval'), stalledCond('False', 'ApprovalPending')];
    const approved = decideWait(resource({ conditions: held, plan, approved: 'AB12' }));
    assert.deepEqual(approved, { kind: 'waiting', summary: 'plan ab12 approved; waiting for the operator to apply it' });
    assert.equal(decideWait(resource({ conditions: held, plan, approved: 'cd34' })).kind, 'approval-pending');
  });

  it('keeps waiting through progress, retries and dry runs', () => {
    for (const reason of ['Reconciling', 'Connecting', 'DryRun']) {
      const s = decideWait(resource({ conditions: [ready('False', reason, 'x'), stalledCond('False', reason)] }));
      assert.deepEqual(s, { kind: 'waiting', summary: `Ready=False ${reason}: x` });
    }
  });

  it('reads odd objects without failing', () => {
    assert.equal(decideWait(migrationView({ metadata: { name: 'x', generation: 1 } })).kind, 'waiting');
    assert.equal(decideWait(migrationView({ metadata: { name: 'x', generation: 1 }, status: { observedGeneration: 1, conditions: 'nonsense' } })).summary, 'no Ready condition yet');
    assert.equal(decideWait(migrationView(null)).kind, 'waiting');
  });
});
