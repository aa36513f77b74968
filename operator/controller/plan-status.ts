/**
 * `status.plan`: the reviewed plan, small enough to read in
 * `kubectl get -o yaml` (each list capped, `truncated` says so). The CLI's
 * `approve` and `wait` read it: its shape is a contract.
 */
import type { AtlasMigrationStatus } from '../api/generated/atlasmigration-types';
import type { PlanReview } from './plan-review';

export type PlanStatus = NonNullable<AtlasMigrationStatus['plan']>;

/** Entries listed per list; the totals always count everything. */
export const PLAN_LIST_LIMIT = 20;

export function planStatus(review: PlanReview, approved: boolean): PlanStatus {
  const perFile = new Map<string, number>();
  for (const f of review.findings) perFile.set(f.file, (perFile.get(f.file) ?? 0) + 1);
  const files = review.files.slice(0, PLAN_LIST_LIMIT).map((f) => ({ name: f.name, version: f.version, statements: f.statements, findings: perFile.get(f.name) ?? 0 }));
  const findings = review.findings.slice(0, PLAN_LIST_LIMIT).map((f) => ({ code: f.code, file: f.file, line: f.line, statement: f.statement, message: f.message }));
  return {
    hash: review.hash,
    ...(review.current === undefined ? {} : { from: review.current }),
    filesTotal: review.files.length,
    files,
    findingsTotal: review.findings.length,
    findings,
    truncated: review.files.length > PLAN_LIST_LIMIT || review.findings.length > PLAN_LIST_LIMIT,
    approved,
    destructive: review.destructive.length,
  };
}
