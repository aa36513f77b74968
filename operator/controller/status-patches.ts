/**
 * The status a reconcile writes for each outcome: conditions (see
 * api/conditions.ts) plus the resource's own fields. Pure functions of
 * what happened and the status read fresh before writing.
 */
import { conditionsFor, type Condition, type Outcome } from '../api/conditions';
import type { ApplyResult } from '../migrate/apply';
import type { PlannedFile } from '../migrate/events';
import type { StatusPatch } from './kube/resources';
import type { PlanReview } from './plan-review';
import { planStatus, type PlanStatus } from './plan-status';
import type { NextStep } from './requeue-policy';
import type { StepError } from './steps/step-error';

export interface PatchBase {
  /** The generation that was reconciled (not necessarily the newest). */
  readonly generation: number;
  readonly previous: readonly Condition[] | undefined;
  readonly now: Date;
  /** Keeps every message free of secret values. */
  readonly scrub: (text: string) => string;
}

/** metav1.Condition allows 32 KiB; keep messages readable in `kubectl get -o yaml`. */
const MAX_MESSAGE = 4000;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function versions(files: readonly { version: string }[]): string {
  const shown = files.slice(0, 5).map((f) => f.version);
  return shown.join(', ') + (files.length > shown.length ? `, … (${files.length - shown.length} more)` : '');
}

function withConditions(base: PatchBase, outcome: Outcome, rest: StatusPatch): StatusPatch {
  const clean = (m: string): string => {
    const s = base.scrub(m);
    return s.length > MAX_MESSAGE ? s.slice(0, MAX_MESSAGE - 1) + '…' : s;
  };
  const scrubbed: Outcome = { ...outcome, message: clean(outcome.message), ...('retryMessage' in outcome ? { retryMessage: clean(outcome.retryMessage) } : {}) };
  return { observedGeneration: base.generation, conditions: conditionsFor(scrubbed, base.previous, base.generation, base.now), ...rest };
}

/** `reviewed`: status.plan, published with the run so a reviewer sees what is being applied. */
export function progressingPatch(base: PatchBase, plan: { current: string | undefined; files: readonly PlannedFile[] }, hash: string, failed: number, reviewed?: PlanStatus): StatusPatch {
  const from = plan.current === undefined ? 'an empty history' : `version ${plan.current}`;
  const message = `Applying ${plural(plan.files.length, 'migration file')} from ${from}: ${versions(plan.files)}`;
  return withConditions(base, { kind: 'progressing', message }, {
    observed_hash: hash,
    failed,
    pendingVersions: plan.files.map((f) => f.version),
    pendingCount: plan.files.length,
    ...(reviewed === undefined ? {} : { plan: reviewed }),
  });
}

export interface HeldPlan {
  /** The Ready message (approval-messages.ts). */
  readonly message: string;
  readonly review: PlanReview;
  readonly hash: string;
  /** Unchanged by waiting: holding is not a failed attempt. */
  readonly failed: number;
}

/** Ready=False/ApprovalPending with the plan, unapproved; nothing was applied. */
export function approvalPendingPatch(base: PatchBase, held: HeldPlan): StatusPatch {
  const { review } = held;
  return withConditions(base, { kind: 'approval-pending', message: held.message }, {
    ...(review.current === undefined ? {} : { lastAppliedVersion: review.current }),
    observed_hash: held.hash,
    failed: held.failed,
    pendingVersions: review.files.map((f) => f.version),
    pendingCount: review.files.length,
    progress: null,
    plan: planStatus(review, false),
  });
}

/** The database's version after a successful run, if it has one. */
export function versionAfter(result: ApplyResult): string | undefined {
  return result.target ?? result.lastRevision?.version ?? result.current;
}

export function readyPatch(base: PatchBase, result: ApplyResult, hash: string, unused: readonly string[]): StatusPatch {
  const version = versionAfter(result);
  const applied = result.files.length;
  let message =
    applied > 0 ? `Applied ${plural(applied, 'migration')}, now at ${version ?? '?'}` : version === undefined ? 'No migration files to execute' : `The database is at version ${version}; nothing to apply`;
  if (unused.length > 0) message += ` (not used by this operator: ${unused.join(', ')})`;
  const executedAt = applied > 0 ? base.now : result.lastRevision?.executedAt;
  return withConditions(base, { kind: 'ready', message }, {
    ...(version === undefined ? {} : { lastAppliedVersion: version }),
    ...(executedAt === undefined ? {} : { lastApplied: Math.floor(executedAt.getTime() / 1000) }),
    observed_hash: hash,
    failed: 0,
    pendingVersions: [],
    pendingCount: 0,
    progress: null,
    plan: null,
  });
}

export function dryRunPatch(base: PatchBase, result: ApplyResult, hash: string, reviewed?: PlanStatus): StatusPatch {
  const message = `Dry run: ${plural(result.files.length, 'migration file')} would be applied from ${result.current ?? 'an empty history'}: ${versions(result.files)}; nothing was changed`;
  return withConditions(base, { kind: 'dry-run', message }, {
    ...(result.current === undefined ? {} : { lastAppliedVersion: result.current }),
    observed_hash: hash,
    failed: 0,
    pendingVersions: result.files.map((f) => f.version),
    pendingCount: result.files.length,
    progress: null,
    ...(reviewed === undefined ? {} : { plan: reviewed }),
  });
}

export interface Failure {
  readonly error: StepError;
  readonly failed: number;
  readonly next: NextStep;
  readonly backoffLimit: number;
  readonly hash: string | undefined;
}

function failureOutcome(f: Failure): Outcome {
  const { reason, message } = f.error;
  switch (f.next.action) {
    case 'retry':
      return { kind: 'retrying', reason, message, retryMessage: `Attempt ${f.failed} failed (${reason}); retrying in ${Math.ceil(f.next.afterMs / 1000)}s${f.backoffLimit > 0 ? ` (backoffLimit ${f.backoffLimit})` : ''}` };
    case 'give-up':
      return { kind: 'stalled', reason, message: `${message} (gave up after ${f.failed} attempts, backoffLimit ${f.backoffLimit}; tried again each resync period or on any change)` };
    case 'wait-for-change':
      return { kind: 'stalled', reason, message };
  }
}

export function failurePatch(base: PatchBase, f: Failure): StatusPatch {
  return withConditions(base, failureOutcome(f), { failed: f.failed, progress: null, ...(f.hash === undefined ? {} : { observed_hash: f.hash }) });
}
