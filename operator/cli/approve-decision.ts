/**
 * What `approve` does with a resource as read: approve its plan, report
 * that the plan is already approved, or refuse (nothing pending, or the
 * plan is not the one the caller reviewed). Pure, so every case is tested
 * without a cluster.
 */
import { conditionOfType, type MigrationView, type PendingPlan } from './migration-view';

export type ApprovalDecision =
  | { readonly kind: 'approve'; readonly plan: PendingPlan }
  | { readonly kind: 'already-approved'; readonly plan: PendingPlan }
  | { readonly kind: 'no-plan'; readonly why: string }
  | { readonly kind: 'other-plan'; readonly plan: PendingPlan; readonly wanted: string };

/** Hashes are hex: compared without case or surrounding spaces. */
export function sameHash(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function whyNoPlan(view: MigrationView): string {
  if (view.observedGeneration === undefined || (view.generation !== undefined && view.observedGeneration < view.generation)) {
    return 'the operator has not reconciled it yet (no plan in status); try again once it has';
  }
  const ready = conditionOfType(view, 'Ready');
  const state = ready === undefined ? 'no Ready condition' : `Ready=${ready.status} ${ready.reason}${ready.message === '' ? '' : `: ${ready.message}`}`;
  return `nothing is pending approval (${state})`;
}

/**
 * @param wanted the hash the caller reviewed (`--plan`): approve only that plan.
 */
export function decideApproval(view: MigrationView, wanted?: string): ApprovalDecision {
  const plan = view.plan;
  if (plan === undefined) return { kind: 'no-plan', why: whyNoPlan(view) };
  if (wanted !== undefined && !sameHash(wanted, plan.hash)) return { kind: 'other-plan', plan, wanted };
  const approved = plan.approved || (view.approvedPlan !== undefined && sameHash(view.approvedPlan, plan.hash));
  return approved ? { kind: 'already-approved', plan } : { kind: 'approve', plan };
}
