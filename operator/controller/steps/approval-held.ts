/**
 * Thrown out of apply's beforeExecute when the plan waits for approval:
 * apply then releases the lock and the connection, and nothing has been
 * executed. Not a failure: the reconciler reports it as ApprovalPending,
 * without counting an attempt or backing off.
 */
import { CodedError } from '../../migrate/dialects/coded-error';
import type { ApprovalDecision } from '../approval-gate';
import type { PlanReview } from '../plan-review';

export class ApprovalHeldError extends CodedError<'ApprovalHeld'> {
  readonly code = 'ApprovalHeld';

  constructor(
    readonly review: PlanReview,
    readonly decision: Extract<ApprovalDecision, { kind: 'held' }>,
  ) {
    super(`plan ${review.hash} waits for approval (${decision.why === 'always' ? 'policy Always' : 'destructive findings'})`);
  }
}
