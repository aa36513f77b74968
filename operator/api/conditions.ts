/**
 * Ready, Reconciling and Stalled, always set together from one outcome, so
 * that kstatus (Flux, kpt), `kubectl wait --for=condition=…` and Argo CD read
 * the same story (the kstatus and Argo CD columns are checked against the
 * real readers by e2e/conditions-readers.e2e.test.ts through the README):
 *
 * | outcome      | Ready         | Reconciling | Stalled | kstatus    | Argo CD     |
 * |--------------|---------------|-------------|---------|------------|-------------|
 * | progressing  | False/Reconciling | True    | False   | InProgress | Progressing |
 * | ready        | True/Applied  | False       | False   | Current    | Healthy     |
 * | retrying     | False/<step>  | True        | False   | InProgress | Degraded    |
 * | stalled      | False/<step>  | False       | True    | Failed     | Degraded    |
 * | dry run      | False/DryRun  | False       | False   | InProgress | Degraded    |
 * | approval-pending | False/ApprovalPending | True (ApprovalPending) | False | InProgress | Degraded |
 *
 * approval-pending is written as atlas-operator writes it (Reconciling=True:
 * work is outstanding, Stalled=False: it is not a failure); Argo CD reads
 * any Ready=False reason other than Reconciling as Degraded, which is what a
 * sync waiting for a person should show.
 *
 * A dry run stays InProgress for kstatus (a False Ready with neither
 * Reconciling nor Stalled True): a dry run never makes the database Ready,
 * so a health check waiting for it must not pass.
 *
 * A condition keeps its lastTransitionTime while its status does not change;
 * every condition carries the generation it was computed for.
 */
import type { AtlasMigrationStatus } from './generated/atlasmigration-types';
import { CONDITION_TYPES, Reason, type ReasonName } from './reasons';

export type Condition = NonNullable<AtlasMigrationStatus['conditions']>[number];
type ConditionStatus = Condition['status'];

export type Outcome =
  | { readonly kind: 'progressing'; readonly message: string }
  | { readonly kind: 'ready'; readonly message: string }
  | { readonly kind: 'retrying'; readonly reason: ReasonName; readonly message: string; readonly retryMessage: string }
  | { readonly kind: 'stalled'; readonly reason: ReasonName; readonly message: string }
  | { readonly kind: 'dry-run'; readonly message: string }
  | { readonly kind: 'approval-pending'; readonly message: string };

interface Triple {
  readonly ready: ConditionStatus;
  readonly reason: ReasonName;
  readonly reconciling: ConditionStatus;
  readonly stalled: ConditionStatus;
  readonly reconcilingMessage: string;
}

function triple(o: Outcome): Triple {
  switch (o.kind) {
    case 'progressing':
      return { ready: 'False', reason: Reason.Reconciling, reconciling: 'True', stalled: 'False', reconcilingMessage: o.message };
    case 'ready':
      return { ready: 'True', reason: Reason.Applied, reconciling: 'False', stalled: 'False', reconcilingMessage: o.message };
    case 'retrying':
      return { ready: 'False', reason: o.reason, reconciling: 'True', stalled: 'False', reconcilingMessage: o.retryMessage };
    case 'stalled':
      return { ready: 'False', reason: o.reason, reconciling: 'False', stalled: 'True', reconcilingMessage: o.message };
    case 'dry-run':
      return { ready: 'False', reason: Reason.DryRun, reconciling: 'False', stalled: 'False', reconcilingMessage: o.message };
    case 'approval-pending':
      return { ready: 'False', reason: Reason.ApprovalPending, reconciling: 'True', stalled: 'False', reconcilingMessage: o.message };
  }
}

function condition(type: string, status: ConditionStatus, reason: string, message: string, ctx: { previous: readonly Condition[]; generation: number; now: string }): Condition {
  const before = ctx.previous.find((c) => c.type === type);
  const lastTransitionTime = before !== undefined && before.status === status ? before.lastTransitionTime : ctx.now;
  return { type, status, observedGeneration: ctx.generation, lastTransitionTime, reason, message };
}

/** The three conditions for `outcome`, keeping transition times of conditions whose status is unchanged. */
export function conditionsFor(outcome: Outcome, previous: readonly Condition[] | undefined, generation: number, now: Date): Condition[] {
  const t = triple(outcome);
  const ctx = { previous: previous ?? [], generation, now: now.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  const retryReason = outcome.kind === 'retrying' ? 'Retrying' : t.reason;
  return [
    condition(CONDITION_TYPES.Ready, t.ready, t.reason, outcome.message, ctx),
    condition(CONDITION_TYPES.Reconciling, t.reconciling, t.reconciling === 'True' ? retryReason : t.reason, t.reconcilingMessage, ctx),
    condition(CONDITION_TYPES.Stalled, t.stalled, t.reason, t.stalled === 'True' ? outcome.message : t.reconcilingMessage, ctx),
  ];
}

/** Whether a status has condition `type` with status True. */
export function conditionTrue(status: AtlasMigrationStatus | undefined, type: string): boolean {
  return status?.conditions?.some((c) => c.type === type && c.status === 'True') === true;
}
