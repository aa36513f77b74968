/**
 * The approval gate through a whole reconcile: a real SQLite database in a
 * temporary folder behind a driver that records what it is asked, an
 * in-memory API server, a recorded event stream, and a stand-in linter
 * (DROP TABLE is DS102), so nothing here depends on the lint rules
 * (all in reconciler.test-kit.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APPROVAL_ANNOTATION } from '../api/approval';
import { valueOf } from './metrics';
import { Reconciler } from './reconciler';
import { conditions, FILES, harness, planOf, ready, useTempFolder } from './reconciler.test-kit';

const PLAN = planOf(FILES);

describe('reconciler: the approval gate', () => {
  useTempFolder('approval-');

  it('holds a destructive plan without executing anything, says so once, and applies it once approved', async () => {
    const h = harness('destructive', { approval: { policy: 'Destructive' } });
    assert.deepEqual(await h.reconcile(), {});
    assert.deepEqual(conditions(h), ['Ready=False/ApprovalPending', 'Reconciling=True/ApprovalPending', 'Stalled=False/ApprovalPending']);
    assert.ok(!h.calls.includes('session') && !h.calls.some((c) => c.startsWith('execute')), h.calls.join(', '));
    assert.equal(h.calls.at(-1), 'unlock');
    assert.deepEqual(await h.tables(), []);
    const plan = h.cluster.status.plan;
    assert.equal(plan?.hash, PLAN);
    assert.deepEqual([plan?.approved, plan?.destructive, plan?.findingsTotal, plan?.filesTotal, plan?.truncated, plan?.from], [false, 1, 1, 2, false, undefined]);
    assert.deepEqual(plan?.findings, [{ code: 'DS102', file: '2_drop.sql', line: 2, statement: 2, message: 'Dropping table' }]);
    assert.deepEqual(plan?.files?.map((f) => [f.name, f.statements, f.findings]), [['1_create.sql', 1, 0], ['2_drop.sql', 2, 1]]);
    assert.deepEqual([h.cluster.status.failed, h.cluster.status.pendingCount, h.cluster.status.pendingVersions], [0, 2, ['1', '2']]);
    assert.equal(h.events.length, 1);
    assert.equal(h.events[0]?.reason, 'ApprovalPending');
    assert.match(h.events[0]?.message ?? '', new RegExp(`Plan ${PLAN} .*DS102 2_drop\\.sql:2 Dropping table.*${APPROVAL_ANNOTATION}=${PLAN}`));
    assert.equal(await valueOf(h.metrics.reconciles, { result: 'approval_pending' }), 1);
    assert.match(await h.metrics.render(), /^atlas_migrator_pending_files\{namespace="ns",name="app"\} 2$/m);

    // A resync re-plans (the database may have moved) but says nothing new.
    h.calls.length = 0;
    await h.reconcile('resync');
    assert.ok(h.calls.includes('lock') && !h.calls.includes('session'));
    assert.equal(h.events.length, 1);
    // Any other wake-up with unchanged inputs costs nothing.
    h.calls.length = 0;
    await h.reconcile('retry');
    assert.equal(h.calls.length, 0);

    // An approval of another plan is ignored, and said so.
    h.cluster.annotate('0123456789abcdef0123');
    await h.reconcile();
    assert.match(ready(h)?.message ?? '', new RegExp(`^The approved plan 0123456789ab… is not the current plan ${PLAN.slice(0, 12)}…; approve again\\.`));
    assert.equal(h.events.length, 2);
    assert.match(h.events[1]?.message ?? '', /is not the current plan/);
    assert.deepEqual(await h.tables(), []);

    h.cluster.annotate(PLAN.toUpperCase());
    h.calls.length = 0;
    await h.reconcile();
    assert.deepEqual(conditions(h), ['Ready=True/Applied', 'Reconciling=False/Applied', 'Stalled=False/Applied']);
    assert.ok(h.calls.includes('execute DROP TABLE t;'), h.calls.join(', '));
    assert.deepEqual(await h.tables(), ['u']);
    assert.equal(h.cluster.status.plan, undefined);
    const metrics = await h.metrics.render();
    assert.doesNotMatch(metrics, /^atlas_migrator_pending_files\{/m);
    assert.match(metrics, /^atlas_migrator_migration_duration_seconds_count\{result="applied"\} 1$/m);
    // The plan had findings: it was published, approved, before the first statement.
    const published = h.cluster.patches.find((p) => p.conditions?.some((c) => c.type === 'Ready' && c.reason === 'Reconciling'));
    assert.deepEqual([published?.plan?.hash, published?.plan?.approved], [PLAN, true]);
  });

  it('a held plan is said once, even when the next attempt starts from a copy of the resource older than the hold', async () => {
    const h = harness('destructive-stale', { approval: { policy: 'Destructive' } });
    const before = structuredClone(h.cluster.object);
    let stale = false;
    h.reconciler = new Reconciler({ ...h.deps, cached: (key) => (stale ? before : h.deps.cached(key)) });
    await h.reconcile();
    assert.equal(h.events.length, 1);
    // The watch has not delivered the ApprovalPending status yet when the resync comes.
    stale = true;
    await h.reconcile('resync');
    assert.equal(ready(h)?.reason, 'ApprovalPending');
    assert.equal(h.events.length, 1, 'said once');
  });

  it('policy Always holds any pending plan; Never (the default) applies without asking', async () => {
    const always = harness('always', { approval: { policy: 'Always', destructiveCodes: [] } });
    await always.reconcile();
    assert.equal(ready(always)?.reason, 'ApprovalPending');
    assert.match(ready(always)?.message ?? '', /policy Always/);
    const never = harness('never', {});
    await never.reconcile();
    assert.equal(ready(never)?.reason, 'Applied');
    assert.deepEqual(await never.tables(), ['u']);
    assert.equal(never.events.filter((e) => e.reason === 'ApprovalPending').length, 0);
  });

  it('a dry run reports the plan with its findings and is never held', async () => {
    const h = harness('dry', { dryRun: true, approval: { policy: 'Always' } });
    await h.reconcile();
    assert.equal(ready(h)?.reason, 'DryRun');
    assert.deepEqual([h.cluster.status.plan?.hash, h.cluster.status.plan?.findingsTotal], [PLAN, 1]);
    assert.ok(!h.calls.some((c) => c.startsWith('execute')), h.calls.join(', '));
    assert.deepEqual(await h.tables(), []);
  });

  it('a destructive set without a match does not hold', async () => {
    const h = harness('other-codes', { approval: { policy: 'Destructive', destructiveCodes: ['MF*'] } });
    await h.reconcile();
    assert.equal(ready(h)?.reason, 'Applied');
  });
});
