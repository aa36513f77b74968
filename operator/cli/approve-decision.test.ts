/**
 * `approve`'s decision from a resource as read, and the plan as printed
 * for review.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideApproval } from './approve-decision';
import { migrationView, planOf } from './migration-view';
import { formatPlan } from './plan-format';

const HASH = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

const PLAN = {
  hash: HASH,
  from: '20230316085611',
  filesTotal: 2,
  files: [
    { name: '20230316090502_add_pets.sql', version: '20230316090502', statements: 3, findings: 1 },
    { name: '20230317000000_drop.sql', version: '20230317000000', statements: 1, findings: 0 },
  ],
  findingsTotal: 1,
  findings: [{ code: 'DS103', file: '20230316090502_add_pets.sql', line: 4, statement: 2, message: 'Dropping non-virtual column "age"' }],
  truncated: false,
  approved: false,
  destructive: 1,
};

function resource(opts: { plan?: unknown; annotation?: string; generation?: number; observed?: number; ready?: { status: string; reason: string; message: string } }) {
  return migrationView({
    metadata: { name: 'myapp', namespace: 'apps', generation: opts.generation ?? 1, resourceVersion: '9', annotations: opts.annotation === undefined ? {} : { 'db.atlasgo.io/approved-plan': opts.annotation } },
    status: {
      observedGeneration: opts.observed ?? opts.generation ?? 1,
      conditions: opts.ready === undefined ? [] : [{ type: 'Ready', ...opts.ready }],
      ...(opts.plan === undefined ? {} : { plan: opts.plan }),
    },
  });
}

describe('decideApproval', () => {
  it('approves the pending plan', () => {
    const d = decideApproval(resource({ plan: PLAN }));
    assert.equal(d.kind, 'approve');
    assert.equal(d.kind === 'approve' ? d.plan.hash : '', HASH);
  });

  it('approves with --plan when the hash is the pending one (any case, spaces trimmed)', () => {
    assert.equal(decideApproval(resource({ plan: PLAN }), ` ${HASH.toUpperCase()} `).kind, 'approve');
  });

  it('refuses another plan than the one reviewed, naming the current one', () => {
    const d = decideApproval(resource({ plan: PLAN }), OTHER);
    assert.deepEqual(d.kind === 'other-plan' ? [d.plan.hash, d.wanted] : d.kind, [HASH, OTHER]);
  });

  it('says already approved (status or annotation), also with the matching --plan', () => {
    assert.equal(decideApproval(resource({ plan: { ...PLAN, approved: true } })).kind, 'already-approved');
    assert.equal(decideApproval(resource({ plan: PLAN, annotation: HASH })).kind, 'already-approved');
    assert.equal(decideApproval(resource({ plan: PLAN, annotation: HASH }), HASH).kind, 'already-approved');
  });

  it('does not count an approval of an older plan', () => {
    assert.equal(decideApproval(resource({ plan: PLAN, annotation: OTHER })).kind, 'approve');
  });

  it('refuses when nothing is pending, saying why', () => {
    const d = decideApproval(resource({ ready: { status: 'True', reason: 'Applied', message: 'at version 3' } }));
    assert.deepEqual(d, { kind: 'no-plan', why: 'nothing is pending approval (Ready=True Applied: at version 3)' });
    for (const plan of [null, {}, { hash: '' }]) assert.equal(decideApproval(resource({ plan })).kind, 'no-plan');
  });

  it('refuses before the first reconcile of the current generation', () => {
    const d = decideApproval(resource({ generation: 2, observed: 1 }));
    assert.equal(d.kind, 'no-plan');
    assert.match(d.kind === 'no-plan' ? d.why : '', /not reconciled it yet/);
  });
});

describe('formatPlan', () => {
  it('shows from, files with counts, findings at file:line, destructive count and the hash', () => {
    const text = formatPlan('apps/myapp', planOf(PLAN)!);
    assert.equal(
      text,
      [
        'Plan for apps/myapp (from version 20230316085611):',
        '  2 files to apply:',
        '    20230316090502_add_pets.sql  3 statements, 1 finding',
        '    20230317000000_drop.sql      1 statement, 0 findings',
        '  1 lint finding (1 destructive):',
        '    DS103 20230316090502_add_pets.sql:4 Dropping non-virtual column "age"',
        `  hash: ${HASH}`,
        '  approved: no',
        '',
      ].join('\n'),
    );
  });

  it('says when the lists are cut and how many more there are', () => {
    const text = formatPlan('apps/myapp', planOf({ ...PLAN, from: undefined, filesTotal: 40, findingsTotal: 25, truncated: true, approved: true })!);
    assert.match(text, /^Plan for apps\/myapp \(from an empty history\):\n {2}40 files to apply:/);
    assert.match(text, /… and 38 more\n/);
    assert.match(text, /25 lint findings \(1 destructive\):/);
    assert.match(text, /… and 24 more\n/);
    assert.match(text, /\(truncated: status lists only the first files and findings\)/);
    assert.match(text, /approved: yes/);
  });

  it('says when lint found nothing', () => {
    assert.match(formatPlan('a/b', planOf({ hash: HASH, files: [], findings: [] })!), /no lint findings/);
  });
});
