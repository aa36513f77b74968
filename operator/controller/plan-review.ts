/**
 * The plan as a reviewer sees it, computed under the database lock from
 * the statements apply already split: lint findings (only for statements
 * still to run: an interrupted run's applied prefix is history), the plan
 * hash a reviewer approves, and which findings count as destructive.
 */
import type { ExecutionPlan } from '../migrate/apply';
import type { DialectName } from '../migrate/dialects/syntax';
import type { PlannedFile } from '../migrate/events';
import type { Finding } from '../migrate/lint/finding';
import { planHash } from '../migrate/plan-hash';
import type { PlanLinter } from './plan-linter';

export interface PlanReview {
  /** planHash of the pending files' names and atlas.sum hashes, in apply order. */
  readonly hash: string;
  /** The database's version before the plan; undefined on an empty history. */
  readonly current: string | undefined;
  readonly files: readonly PlannedFile[];
  /** In apply order: file by file, statement by statement. */
  readonly findings: readonly Finding[];
  /** The findings whose code is in the destructive set. */
  readonly destructive: readonly Finding[];
}

export interface ReviewContext {
  readonly dialect: DialectName;
  readonly linter: PlanLinter;
  readonly destructiveCodes: readonly string[];
}

export function reviewPlan(plan: ExecutionPlan, ctx: ReviewContext): PlanReview {
  const findings = plan.pending.flatMap((p) => ctx.linter.lint(p.planned.name, p.statements.slice(p.planned.resumeAt), ctx.dialect));
  return {
    hash: planHash(plan.pending.map((p) => ({ name: p.planned.name, hash: p.hash }))),
    current: plan.current,
    files: plan.files,
    findings,
    destructive: findings.filter((f) => ctx.linter.matches(f.code, ctx.destructiveCodes)),
  };
}
