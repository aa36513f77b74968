/**
 * What a held plan says to people: the Ready condition's message (kept
 * short and stable, so an unchanged plan rewrites nothing) and the Warning
 * event (the findings that matter and how to approve).
 */
import { APPROVAL_ANNOTATION } from '../api/approval';
import type { Finding } from '../migrate/lint/finding';
import { PROGRAM_NAME } from '../version';
import type { ApprovalDecision } from './approval-gate';
import type { PlanReview } from './plan-review';

type Held = Extract<ApprovalDecision, { kind: 'held' }>;

export interface HeldResource {
  readonly namespace: string;
  readonly name: string;
}

const SHOWN_IN_CONDITION = 3;
const SHOWN_IN_EVENT = 5;

function short(hash: string): string {
  return hash.length > 12 ? `${hash.slice(0, 12)}…` : hash;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function findingText(f: Finding, withMessage: boolean): string {
  return `${f.code} ${f.file}:${f.line}${withMessage ? ` ${f.message}` : ''}`;
}

/** The findings a reviewer should look at first: those that made the plan wait. */
function relevant(review: PlanReview, held: Held): readonly Finding[] {
  return held.why === 'destructive' ? review.destructive : review.findings;
}

function listed(findings: readonly Finding[], shown: number, withMessage: boolean): string {
  const head = findings.slice(0, shown).map((f) => findingText(f, withMessage));
  return head.join('; ') + (findings.length > shown ? `; … (${findings.length - shown} more)` : '');
}

function why(review: PlanReview, held: Held): string {
  if (held.why === 'always') return `policy Always, ${plural(review.findings.length, 'finding')}`;
  return `policy Destructive, ${plural(review.destructive.length, 'destructive finding')}`;
}

function stale(held: Held, review: PlanReview): string {
  return held.staleApproval === undefined ? '' : `The approved plan ${short(held.staleApproval)} is not the current plan ${short(review.hash)}; approve again. `;
}

export function howToApprove(resource: HeldResource, hash: string): string {
  return `kubectl annotate atlasmigration -n ${resource.namespace} ${resource.name} ${APPROVAL_ANNOTATION}=${hash} --overwrite (or ${PROGRAM_NAME} approve ${resource.name})`;
}

function scope(review: PlanReview): string {
  return `${plural(review.files.length, 'migration file')} from ${review.current === undefined ? 'an empty history' : `version ${review.current}`}`;
}

export function heldConditionMessage(resource: HeldResource, review: PlanReview, held: Held): string {
  const findings = relevant(review, held);
  const examples = findings.length === 0 ? '' : `: ${listed(findings, SHOWN_IN_CONDITION, false)}`;
  return `${stale(held, review)}Plan ${short(review.hash)} (${scope(review)}) waits for approval (${why(review, held)}${examples}); nothing was applied. Approve: ${howToApprove(resource, review.hash)}`;
}

export function heldEventMessage(resource: HeldResource, review: PlanReview, held: Held): string {
  const findings = relevant(review, held);
  const examples = findings.length === 0 ? '' : ` Findings: ${listed(findings, SHOWN_IN_EVENT, true)}.`;
  return `${stale(held, review)}Plan ${review.hash} (${scope(review)}) waits for approval (${why(review, held)}).${examples} Approve: ${howToApprove(resource, review.hash)}`;
}
