/**
 * Stryker's JSON report(s) as the markdown table of bench/README.md ("Mutation
 * testing"). `make mutation` runs one Stryker run per file and keeps each run's
 * report as bench/out/mutation/files/<file>.json; given several reports, the
 * newest one per source file wins.
 *
 *   npx tsx bench/mutation-table.ts [report.json …]
 *
 * Without arguments: every report in bench/out/mutation/files/, else
 * bench/out/mutation/mutation.json (a plain `npx stryker run`).
 *
 * Score is Stryker's: (killed + timeout) / (killed + timeout + survived + no coverage).
 * Mutants the TypeScript checker rejected (compile errors) and runtime errors are
 * not counted, as in Stryker's own table.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Mutant {
  readonly status: string;
}
interface Report {
  readonly files: Record<string, { readonly mutants: readonly Mutant[] }>;
}
export interface Row {
  readonly file: string;
  readonly killed: number;
  readonly survived: number;
  readonly noCoverage: number;
  readonly timeout: number;
  readonly invalid: number;
  readonly date: Date;
}

export function rowsOf(report: Report, date: Date): Row[] {
  return Object.entries(report.files).map(([file, { mutants }]) => {
    const count = (...statuses: string[]): number => mutants.filter((m) => statuses.includes(m.status)).length;
    return {
      file,
      killed: count('Killed'),
      survived: count('Survived'),
      noCoverage: count('NoCoverage'),
      timeout: count('Timeout'),
      invalid: count('CompileError', 'RuntimeError'),
      date,
    };
  });
}

export function score(row: Row): number | undefined {
  const detected = row.killed + row.timeout;
  const valid = detected + row.survived + row.noCoverage;
  return valid === 0 ? undefined : (100 * detected) / valid;
}

const day = (d: Date): string => d.toISOString().slice(0, 10);

export function markdown(rows: readonly Row[]): string {
  const sorted = [...rows].sort((a, b) => a.file.localeCompare(b.file));
  const dates = [...new Set(sorted.map((r) => day(r.date)))].sort();
  const when = dates.length <= 1 ? (dates[0] ?? '-') : `${dates[0]} to ${dates[dates.length - 1]}`;
  const lines = [
    `Mutation score per file, measured ${when} (Stryker, \`make mutation\`; score = (killed + timeout) / (killed + timeout + survived + no coverage); type errors are left out):`,
    '',
    '| file | mutants | killed | survived | no coverage | timeout | type errors | score |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of sorted) {
    const s = score(r);
    const mutants = r.killed + r.survived + r.noCoverage + r.timeout;
    const cells = [r.file, mutants, r.killed, r.survived, r.noCoverage, r.timeout, r.invalid, s === undefined ? 'n/a' : `${s.toFixed(1)} %`];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

const KEPT = 'bench/out/mutation/files';

function defaultReports(): string[] {
  const kept = existsSync(KEPT) ? readdirSync(KEPT).filter((f) => f.endsWith('.json')) : [];
  return kept.length > 0 ? kept.map((f) => join(KEPT, f)) : ['bench/out/mutation/mutation.json'];
}

function main(paths: readonly string[]): void {
  const newest = new Map<string, Row>();
  for (const path of paths.length > 0 ? paths : defaultReports()) {
    const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
    for (const row of rowsOf(report, statSync(path).mtime)) {
      const seen = newest.get(row.file);
      if (seen === undefined || seen.date <= row.date) newest.set(row.file, row);
    }
  }
  console.log(markdown([...newest.values()]));
}

if (require.main === module) main(process.argv.slice(2));
