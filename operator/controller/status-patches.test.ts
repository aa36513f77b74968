import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Reason } from '../api/reasons';
import type { ApplyResult } from '../migrate/apply';
import { makeRevision } from '../migrate/dialects/revision';
import type { Finding } from '../migrate/lint/finding';
import type { PlanReview } from './plan-review';
import { planStatus } from './plan-status';
import { approvalPendingPatch, dryRunPatch, failurePatch, progressingPatch, readyPatch } from './status-patches';
import { StepError } from './steps/step-error';

const base = { generation: 2, previous: undefined, now: new Date('2026-03-01T10:00:00Z'), scrub: (t: string) => t.replaceAll('hunter2', 'xxxxx') };
const file = (version: string) => ({ name: `${version}.sql`, version, description: '', statements: 1, resumeAt: 0 });
const result = (over: Partial<ApplyResult>): ApplyResult => ({ current: undefined, target: undefined, files: [], baseline: undefined, dryRun: false, lastRevision: undefined, appliedBefore: 0, ...over });

function ready(patch: ReturnType<typeof readyPatch>): { status: string; reason: string; message: string } | undefined {
  return patch.conditions?.find((c) => c.type === 'Ready');
}

describe('status patches', () => {
  it('ready after applying: version, time, counters cleared, progress removed', () => {
    const p = readyPatch(base, result({ current: '1', target: '3', files: [file('2'), file('3')] }), 'h', []);
    assert.equal(ready(p)?.message, 'Applied 2 migrations, now at 3');
    assert.deepEqual([p.lastAppliedVersion, p.lastApplied, p.failed, p.pendingCount, p.progress, p.observed_hash, p.observedGeneration], ['3', 1772359200, 0, 0, null, 'h', 2]);
  });

  it('ready with nothing to apply dates the version by its revision, and names unused fields', () => {
    const lastRevision = makeRevision({ version: '5', executedAt: new Date('2025-01-01T00:00:00Z') });
    const p = readyPatch(base, result({ current: '5', lastRevision }), 'h', ['spec.devURL']);
    assert.equal(ready(p)?.message, 'The database is at version 5; nothing to apply (not used by this operator: spec.devURL)');
    assert.equal(p.lastApplied, 1735689600);
    assert.equal(ready(readyPatch(base, result({}), 'h', []))?.message, 'No migration files to execute');
  });

  it('progressing lists the pending versions', () => {
    const p = progressingPatch(base, { current: undefined, files: [file('1'), file('2')] }, 'h', 0);
    assert.equal(ready(p)?.reason, Reason.Reconciling);
    assert.equal(ready(p)?.message, 'Applying 2 migration files from an empty history: 1, 2');
    assert.deepEqual(p.pendingVersions, ['1', '2']);
  });

  it('dry run: Ready=False/DryRun with the plan', () => {
    const p = dryRunPatch(base, result({ current: '1', files: [file('2')], dryRun: true }), 'h');
    assert.equal(ready(p)?.reason, Reason.DryRun);
    assert.deepEqual([p.pendingCount, p.pendingVersions], [1, ['2']]);
  });

  it('failures: the step\'s reason, the next attempt, secrets scrubbed', () => {
    const error = new StepError(Reason.Connecting, 'transient', 'connecting to mysql://u:hunter2@h/db: refused');
    const p = failurePatch(base, { error, failed: 3, next: { action: 'retry', afterMs: 4200 }, backoffLimit: 20, hash: undefined });
    assert.equal(ready(p)?.message, 'connecting to mysql://u:xxxxx@h/db: refused');
    assert.equal(p.conditions?.find((c) => c.type === 'Reconciling')?.message, 'Attempt 3 failed (Connecting); retrying in 5s (backoffLimit 20)');
    assert.equal(p.failed, 3);
    const gaveUp = failurePatch(base, { error, failed: 21, next: { action: 'give-up' }, backoffLimit: 20, hash: 'h' });
    assert.match(ready(gaveUp)?.message ?? '', /gave up after 21 attempts, backoffLimit 20/);
    assert.equal(gaveUp.conditions?.find((c) => c.type === 'Stalled')?.status, 'True');
  });

  it('ready clears the plan; failures keep it', () => {
    assert.equal(readyPatch(base, result({}), 'h', []).plan, null);
    const error = new StepError(Reason.Migrating, 'transient', 'x');
    assert.ok(!('plan' in failurePatch(base, { error, failed: 1, next: { action: 'retry', afterMs: 1000 }, backoffLimit: 20, hash: 'h' })));
  });
});

describe('status.plan', () => {
  const finding = (i: number): Finding => ({ code: i % 2 === 0 ? 'DS102' : 'MF103', file: `${(i % 3) + 1}.sql`, line: i + 1, statement: i + 1, message: `m${i}`, subject: { kind: 'table', table: 't' } });
  const review = (files: number, findings: number): PlanReview => {
    const all = Array.from({ length: findings }, (_, i) => finding(i));
    return { hash: 'abc', current: '1', files: Array.from({ length: files }, (_, i) => file(String(i + 1))), findings: all, destructive: all.filter((f) => f.code === 'DS102') };
  };

  it('lists files with their finding counts and findings without their subjects', () => {
    const p = planStatus(review(3, 4), true);
    assert.deepEqual(p, {
      hash: 'abc',
      from: '1',
      filesTotal: 3,
      files: [
        { name: '1.sql', version: '1', statements: 1, findings: 2 },
        { name: '2.sql', version: '2', statements: 1, findings: 1 },
        { name: '3.sql', version: '3', statements: 1, findings: 1 },
      ],
      findingsTotal: 4,
      findings: [0, 1, 2, 3].map((i) => ({ code: i % 2 === 0 ? 'DS102' : 'MF103', file: `${(i % 3) + 1}.sql`, line: i + 1, statement: i + 1, message: `m${i}` })),
      truncated: false,
      approved: true,
      destructive: 2,
    });
  });

  it('caps each list at 20 and says so; the totals count everything', () => {
    for (const [files, findings, truncated] of [[20, 20, false], [21, 0, true], [1, 21, true]] as const) {
      const p = planStatus(review(files, findings), false);
      assert.deepEqual([p.files?.length, p.findings?.length, p.filesTotal, p.findingsTotal, p.truncated], [Math.min(files, 20), Math.min(findings, 20), files, findings, truncated]);
    }
  });

  it('has no `from` on an empty history', () => {
    assert.ok(!('from' in planStatus({ ...review(1, 0), current: undefined }, false)));
  });

  it('approval pending: Ready=False/ApprovalPending, the unapproved plan, the pending versions, failed unchanged', () => {
    const p = approvalPendingPatch(base, { message: 'Plan abc waits (hunter2)', review: review(2, 1), hash: 'h', failed: 2 });
    assert.deepEqual(p.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`), ['Ready=False/ApprovalPending', 'Reconciling=True/ApprovalPending', 'Stalled=False/ApprovalPending']);
    assert.equal(ready(p)?.message, 'Plan abc waits (xxxxx)');
    assert.deepEqual([p.plan?.approved, p.plan?.hash, p.pendingVersions, p.pendingCount, p.failed, p.lastAppliedVersion, p.progress], [false, 'abc', ['1', '2'], 2, 2, '1', null]);
  });

  it('progressing and dry run publish the plan they are given', () => {
    const shown = planStatus(review(1, 1), true);
    assert.equal(progressingPatch(base, { current: undefined, files: [file('1')] }, 'h', 0, shown).plan, shown);
    assert.equal(dryRunPatch(base, result({ files: [file('1')], dryRun: true }), 'h', shown).plan, shown);
  });
});

describe('status patches: messages and fields, case by case', () => {
  const conditionMessage = (p: ReturnType<typeof readyPatch>, type: string): string | undefined => p.conditions?.find((c) => c.type === type)?.message;

  it('counts in the singular for one file, and says from which version', () => {
    const p = progressingPatch(base, { current: '3', files: [file('4')] }, 'h', 1);
    assert.equal(ready(p)?.message, 'Applying 1 migration file from version 3: 4');
    assert.equal(ready(readyPatch(base, result({ target: '4', files: [file('4')] }), 'h', []))?.message, 'Applied 1 migration, now at 4');
  });

  it('lists the first five versions and counts the rest', () => {
    const files = ['1', '2', '3', '4', '5', '6', '7'].map(file);
    assert.equal(ready(progressingPatch(base, { current: undefined, files }, 'h', 0))?.message, 'Applying 7 migration files from an empty history: 1, 2, 3, 4, 5, … (2 more)');
    assert.equal(ready(progressingPatch(base, { current: undefined, files: files.slice(0, 5) }, 'h', 0))?.message, 'Applying 5 migration files from an empty history: 1, 2, 3, 4, 5');
  });

  it('cuts a message longer than 4,000 characters to 4,000, the last one an ellipsis; 4,000 exactly is kept whole', () => {
    const error = (n: number): StepError => new StepError(Reason.Migrating, 'permanent', 'e'.repeat(n));
    const message = (n: number): string | undefined => ready(failurePatch(base, { error: error(n), failed: 1, next: { action: 'wait-for-change' }, backoffLimit: 20, hash: 'h' }))?.message;
    assert.equal(message(4000), 'e'.repeat(4000));
    assert.equal(message(4001), `${'e'.repeat(3999)}…`);
    assert.equal(message(9000), `${'e'.repeat(3999)}…`);
  });

  it('the retry message is scrubbed too (a Secret value can equal any word, even a reason)', () => {
    const scrubReason = { ...base, scrub: (t: string) => t.replaceAll('Connecting', 'xxxxx') };
    const error = new StepError(Reason.Connecting, 'transient', 'refused');
    const p = failurePatch(scrubReason, { error, failed: 2, next: { action: 'retry', afterMs: 1000 }, backoffLimit: 20, hash: 'h' });
    assert.equal(conditionMessage(p, 'Reconciling'), 'Attempt 2 failed (xxxxx); retrying in 1s (backoffLimit 20)');
  });

  it('a retry without a backoff limit (0: forever) does not mention one', () => {
    const error = new StepError(Reason.Connecting, 'transient', 'refused');
    const p = failurePatch(base, { error, failed: 3, next: { action: 'retry', afterMs: 4200 }, backoffLimit: 0, hash: 'h' });
    assert.equal(conditionMessage(p, 'Reconciling'), 'Attempt 3 failed (Connecting); retrying in 5s');
  });

  it('a failure records the inputs hash when it has one, and leaves the old one when it has none', () => {
    const error = new StepError(Reason.Migrating, 'transient', 'x');
    const failure = { error, failed: 1, next: { action: 'retry', afterMs: 1000 }, backoffLimit: 20 } as const;
    assert.equal(failurePatch(base, { ...failure, hash: 'h2' }).observed_hash, 'h2');
    assert.ok(!('observed_hash' in failurePatch(base, { ...failure, hash: undefined })));
  });

  it('ready: several unused fields, no version at all, or applied files with no version to name', () => {
    assert.equal(ready(readyPatch(base, result({ current: '5' }), 'h', ['spec.devURL', 'spec.envName']))?.message, 'The database is at version 5; nothing to apply (not used by this operator: spec.devURL, spec.envName)');
    const empty = readyPatch(base, result({}), 'h', []);
    assert.ok(!('lastAppliedVersion' in empty) && !('lastApplied' in empty), JSON.stringify(empty));
    assert.deepEqual(empty.pendingVersions, []);
    assert.equal(ready(readyPatch(base, result({ files: [file('1')] }), 'h', []))?.message, 'Applied 1 migration, now at ?');
  });

  it('dry run: the whole message, from a version or from an empty history; lastAppliedVersion only with a version', () => {
    const fromOne = dryRunPatch(base, result({ current: '1', files: [file('2')], dryRun: true }), 'h');
    assert.equal(ready(fromOne)?.message, 'Dry run: 1 migration file would be applied from 1: 2; nothing was changed');
    assert.equal(fromOne.lastAppliedVersion, '1');
    const fromNothing = dryRunPatch(base, result({ files: [file('1'), file('2')], dryRun: true }), 'h');
    assert.equal(ready(fromNothing)?.message, 'Dry run: 2 migration files would be applied from an empty history: 1, 2; nothing was changed');
    assert.ok(!('lastAppliedVersion' in fromNothing));
  });

  it('without a reviewed plan, progressing and dry run leave status.plan alone; approval pending on an empty history names no version', () => {
    assert.ok(!('plan' in progressingPatch(base, { current: undefined, files: [file('1')] }, 'h', 0)));
    assert.ok(!('plan' in dryRunPatch(base, result({ files: [file('1')], dryRun: true }), 'h')));
    const review: PlanReview = { hash: 'abc', current: undefined, files: [file('1')], findings: [], destructive: [] };
    assert.ok(!('lastAppliedVersion' in approvalPendingPatch(base, { message: 'm', review, hash: 'h', failed: 0 })));
  });
});
