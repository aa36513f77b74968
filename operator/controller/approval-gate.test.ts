import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApprovalPolicy } from '../api/approval';
import type { Finding } from '../migrate/lint/finding';
import { decideApproval, type ApprovalDecision } from './approval-gate';
import { heldConditionMessage, heldEventMessage } from './approval-messages';
import type { PlanReview } from './plan-review';

const PLAN = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

function decide(policy: ApprovalPolicy, destructive: number, approvedPlan?: string, filesPending = 2): ApprovalDecision {
  return decideApproval({ policy, filesPending, destructive, planHash: PLAN, approvedPlan });
}

describe('decideApproval', () => {
  const cases: [ApprovalPolicy, number, string | undefined, ApprovalDecision][] = [
    ['Never', 0, undefined, { kind: 'none' }],
    ['Never', 3, undefined, { kind: 'none' }],
    ['Never', 3, OTHER, { kind: 'none' }],
    ['Destructive', 0, undefined, { kind: 'none' }],
    ['Destructive', 1, undefined, { kind: 'held', why: 'destructive' }],
    ['Destructive', 1, PLAN, { kind: 'approved' }],
    ['Destructive', 1, OTHER, { kind: 'held', why: 'destructive', staleApproval: OTHER }],
    ['Always', 0, undefined, { kind: 'held', why: 'always' }],
    ['Always', 0, PLAN, { kind: 'approved' }],
    ['Always', 2, OTHER, { kind: 'held', why: 'always', staleApproval: OTHER }],
  ];
  for (const [policy, destructive, annotation, expected] of cases) {
    it(`${policy}, ${destructive} destructive, annotation ${annotation === undefined ? 'absent' : annotation === PLAN ? 'this plan' : 'another plan'} → ${expected.kind}`, () => {
      assert.deepEqual(decide(policy, destructive, annotation), expected);
    });
  }

  it('nothing pending never waits', () => {
    assert.deepEqual(decide('Always', 0, undefined, 0), { kind: 'none' });
  });
});

describe('held plan messages', () => {
  const finding = (code: string, line: number): Finding => ({ code, file: '2_b.sql', line, statement: line, message: `msg ${code}` });
  const findings = [finding('MF103', 1), finding('DS102', 4), finding('DS103', 7), finding('DS102', 9), finding('DS101', 12)];
  const review: PlanReview = {
    hash: PLAN,
    current: '1',
    files: [{ name: '2_b.sql', version: '2', description: 'b', statements: 12, resumeAt: 0 }],
    findings,
    destructive: findings.filter((f) => f.code.startsWith('DS')),
  };
  const resource = { namespace: 'shop', name: 'orders' };

  it('the condition names the plan, the destructive findings that hold it, and how to approve', () => {
    const m = heldConditionMessage(resource, review, { kind: 'held', why: 'destructive' });
    assert.equal(
      m,
      `Plan aaaaaaaaaaaa… (1 migration file from version 1) waits for approval (policy Destructive, 4 destructive findings: DS102 2_b.sql:4; DS103 2_b.sql:7; DS102 2_b.sql:9; … (1 more)); nothing was applied. ` +
        `Approve: kubectl annotate atlasmigration -n shop orders db.atlasgo.io/approved-plan=${PLAN} --overwrite (or atlas-k8s-migrator approve orders)`,
    );
  });

  it('an approval of another plan is said first, in the condition and the event', () => {
    const held = { kind: 'held', why: 'always', staleApproval: OTHER } as const;
    assert.match(heldConditionMessage(resource, review, held), /^The approved plan bbbbbbbbbbbb… is not the current plan aaaaaaaaaaaa…; approve again\. Plan /);
    const e = heldEventMessage(resource, review, held);
    assert.match(e, /^The approved plan bbbbbbbbbbbb… is not the current plan aaaaaaaaaaaa…; approve again\. Plan a{64} /);
    assert.match(e, /policy Always, 5 findings\)\. Findings: MF103 2_b\.sql:1 msg MF103; DS102 2_b\.sql:4 msg DS102; .*DS101 2_b\.sql:12 msg DS101\. Approve: kubectl annotate/);
  });
});
