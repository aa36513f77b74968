/**
 * An AtlasMigration as `approve` and `wait` read it. The object comes from
 * an API server that may run an older or newer operator than this CLI, so
 * every field is read defensively: a missing or mistyped field is absent,
 * never a crash.
 */
import { approvedPlanOf } from '../api/approval';

export interface PlanFile {
  readonly name: string;
  readonly version: string;
  readonly statements: number;
  readonly findings: number;
}

export interface PlanFinding {
  readonly code: string;
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** status.plan: what would run, what lint found, and whether it is approved. */
export interface PendingPlan {
  readonly hash: string;
  readonly from: string | undefined;
  readonly filesTotal: number;
  readonly files: readonly PlanFile[];
  readonly findingsTotal: number;
  readonly findings: readonly PlanFinding[];
  readonly truncated: boolean;
  readonly approved: boolean;
  readonly destructive: number;
}

export interface ConditionView {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration: number | undefined;
}

export interface MigrationView {
  readonly namespace: string;
  readonly name: string;
  readonly generation: number | undefined;
  readonly resourceVersion: string | undefined;
  /** The hash in the approval annotation, if any. */
  readonly approvedPlan: string | undefined;
  readonly observedGeneration: number | undefined;
  readonly lastAppliedVersion: string | undefined;
  readonly conditions: readonly ConditionView[];
  readonly plan: PendingPlan | undefined;
}

type Fields = Readonly<Record<string, unknown>>;

function fields(value: unknown): Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function items(value: unknown): Fields[] {
  return Array.isArray(value) ? value.map(fields) : [];
}

function planFile(f: Fields): PlanFile {
  return { name: text(f.name) ?? '', version: text(f.version) ?? '', statements: count(f.statements) ?? 0, findings: count(f.findings) ?? 0 };
}

function planFinding(f: Fields): PlanFinding {
  return { code: text(f.code) ?? '', file: text(f.file) ?? '', line: count(f.line) ?? 0, message: text(f.message) ?? '' };
}

/** status.plan, or undefined when nothing is pending (absent, null, or without a hash). */
export function planOf(value: unknown): PendingPlan | undefined {
  const p = fields(value);
  const hash = text(p.hash);
  if (hash === undefined || hash === '') return undefined;
  const files = items(p.files).map(planFile);
  const findings = items(p.findings).map(planFinding);
  return {
    hash,
    from: text(p.from),
    filesTotal: count(p.filesTotal) ?? files.length,
    files,
    findingsTotal: count(p.findingsTotal) ?? findings.length,
    findings,
    truncated: p.truncated === true,
    approved: p.approved === true,
    destructive: count(p.destructive) ?? 0,
  };
}

function conditionOf(c: Fields): ConditionView {
  return { type: text(c.type) ?? '', status: text(c.status) ?? 'Unknown', reason: text(c.reason) ?? '', message: text(c.message) ?? '', observedGeneration: count(c.observedGeneration) };
}

export function migrationView(object: unknown): MigrationView {
  const o = fields(object);
  const metadata = fields(o.metadata);
  const status = fields(o.status);
  return {
    namespace: text(metadata.namespace) ?? '',
    name: text(metadata.name) ?? '',
    generation: count(metadata.generation),
    resourceVersion: text(metadata.resourceVersion),
    approvedPlan: approvedPlanOf(metadata),
    observedGeneration: count(status.observedGeneration),
    lastAppliedVersion: text(status.lastAppliedVersion),
    conditions: items(status.conditions).map(conditionOf),
    plan: planOf(status.plan),
  };
}

export function conditionOfType(view: MigrationView, type: string): ConditionView | undefined {
  return view.conditions.find((c) => c.type === type);
}
