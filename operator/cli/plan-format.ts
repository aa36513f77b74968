/**
 * A pending plan as a reviewer reads it before approving: where the
 * database is, the files with their statement and finding counts, each
 * finding at file:line, whether the lists were cut, and the hash that
 * identifies exactly this plan.
 */
import type { PendingPlan, PlanFile } from './migration-view';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function fileLine(f: PlanFile, width: number): string {
  return `    ${f.name.padEnd(width)}  ${plural(f.statements, 'statement')}, ${plural(f.findings, 'finding')}\n`;
}

function filesSection(plan: PendingPlan): string {
  const width = Math.max(0, ...plan.files.map((f) => f.name.length));
  let out = `  ${plural(plan.filesTotal, 'file')} to apply:\n`;
  for (const f of plan.files) out += fileLine(f, width);
  if (plan.files.length < plan.filesTotal) out += `    … and ${plan.filesTotal - plan.files.length} more\n`;
  return out;
}

function findingsSection(plan: PendingPlan): string {
  if (plan.findingsTotal === 0) return '  no lint findings\n';
  let out = `  ${plural(plan.findingsTotal, 'lint finding')}${plan.destructive > 0 ? ` (${plan.destructive} destructive)` : ''}:\n`;
  for (const f of plan.findings) out += `    ${f.code} ${f.file}:${f.line} ${f.message}\n`;
  if (plan.findings.length < plan.findingsTotal) out += `    … and ${plan.findingsTotal - plan.findings.length} more\n`;
  return out;
}

/** The plan of `resource` (namespace/name), several lines ending in a newline. */
export function formatPlan(resource: string, plan: PendingPlan): string {
  const from = plan.from === undefined || plan.from === '' ? 'an empty history' : `version ${plan.from}`;
  let out = `Plan for ${resource} (from ${from}):\n`;
  out += filesSection(plan);
  out += findingsSection(plan);
  if (plan.truncated) out += '  (truncated: status lists only the first files and findings)\n';
  out += `  hash: ${plan.hash}\n`;
  out += `  approved: ${plan.approved ? 'yes' : 'no'}\n`;
  return out;
}
