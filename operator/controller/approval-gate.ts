/**
 * The approval decision, as a pure function of the policy, the plan and the
 * annotation: no gate, approved, or held. An approval names one plan hash;
 * an annotation holding another hash (an earlier plan) approves nothing and
 * is reported as such, so a reviewer never approves a plan they did not see.
 */
import type { ApprovalPolicy } from '../api/approval';

export interface ApprovalQuestion {
  readonly policy: ApprovalPolicy;
  readonly filesPending: number;
  /** Findings whose code is in the destructive set. */
  readonly destructive: number;
  readonly planHash: string;
  /** The annotation's value, if set. */
  readonly approvedPlan: string | undefined;
}

export type ApprovalDecision =
  /** The policy asks for no approval of this plan. */
  | { readonly kind: 'none' }
  /** The policy asks for an approval and the annotation holds this plan's hash. */
  | { readonly kind: 'approved' }
  /** Waiting for a person; `staleApproval` is an annotation naming another plan. */
  | { readonly kind: 'held'; readonly why: 'always' | 'destructive'; readonly staleApproval?: string };

function gateReason(q: ApprovalQuestion): 'always' | 'destructive' | undefined {
  if (q.filesPending === 0) return undefined;
  if (q.policy === 'Always') return 'always';
  if (q.policy === 'Destructive' && q.destructive > 0) return 'destructive';
  return undefined;
}

export function decideApproval(q: ApprovalQuestion): ApprovalDecision {
  const why = gateReason(q);
  if (why === undefined) return { kind: 'none' };
  if (q.approvedPlan === q.planHash) return { kind: 'approved' };
  return { kind: 'held', why, ...(q.approvedPlan === undefined ? {} : { staleApproval: q.approvedPlan }) };
}
