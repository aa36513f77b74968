/**
 * The approval gate's names, defined once: the annotation a reviewer sets
 * to approve a plan, and the policies of `spec.approval`. The operator
 * reads them; the CLI's `approve` and `wait` commands import them.
 */

/** `metadata.annotations[APPROVAL_ANNOTATION]`: the plan hash (status.plan.hash) a reviewer approved. */
export const APPROVAL_ANNOTATION = 'db.atlasgo.io/approved-plan';

/** When a plan waits for approval: never, when a finding is destructive, or whenever files are pending. */
export const APPROVAL_POLICIES = ['Never', 'Destructive', 'Always'] as const;
export type ApprovalPolicy = (typeof APPROVAL_POLICIES)[number];

/** The default of `spec.approval.policy`: a manifest without `approval` behaves as before the gate existed. */
export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = 'Never';

/**
 * The approved plan hash on a resource's metadata, if any, normalised as
 * plan hashes are written (lowercase hex). Takes any metadata shape: the
 * watch's copy and a fresh read type it differently.
 */
export function approvedPlanOf(metadata: object): string | undefined {
  const value = (metadata as { annotations?: Readonly<Record<string, unknown>> }).annotations?.[APPROVAL_ANNOTATION];
  const hash = typeof value === 'string' ? value.trim().toLowerCase() : '';
  return hash === '' ? undefined : hash;
}
