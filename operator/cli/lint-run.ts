/**
 * One `migrate lint` run, flags already checked: pick the files, split them
 * with the dialect, lint them, ask the database about the findings (when
 * there is one) and compute the plan hash of what was linted.
 */
import type { Driver } from '../migrate/dialects/driver';
import { SQL_SYNTAX, type DialectName } from '../migrate/dialects/syntax';
import type { MigrationDirectory } from '../migrate/directory';
import { lintFiles } from '../migrate/lint/lint';
import type { Finding } from '../migrate/lint/finding';
import { withLiveData } from '../migrate/lint/live';
import type { MigrationFile } from '../migrate/migration-file';
import { planHash } from '../migrate/plan-hash';
import { fileStatements, type Statement } from '../migrate/statements';
import type { LintedFile, LintOutcome } from './lint-report';
import { selectAfterVersion, selectAll, selectLatest, selectPending, type LintSelection } from './lint-selection';

export interface LintRequest {
  readonly dialect: DialectName;
  readonly latest: number | undefined;
  readonly currentVersion: string | undefined;
  readonly revisionsSchema: string | undefined;
  readonly isError: (finding: Finding) => boolean;
  readonly liveTimeoutMs: number;
}

/** --latest, else --current-version, else (with a database) its pending files, else every file. */
async function select(directory: MigrationDirectory, request: LintRequest, driver: Driver | undefined): Promise<LintSelection> {
  if (request.latest !== undefined) return selectLatest(directory, request.latest);
  if (request.currentVersion !== undefined) return selectAfterVersion(directory, request.currentVersion);
  if (driver !== undefined) return selectPending(driver, directory, request.revisionsSchema);
  return selectAll(directory);
}

/** Splits each file; scan errors name the file and line:column. */
function split(selection: LintSelection, dialect: DialectName): { file: MigrationFile; statements: readonly Statement[] }[] {
  return selection.files.map((file, i) => {
    const statements = fileStatements(file, SQL_SYNTAX[dialect]);
    return { file, statements: i === 0 ? statements.slice(selection.resumeAt) : statements };
  });
}

/**
 * The plan hash of the linted files, as the operator computes it for the
 * same pending files. A file without an atlas.sum entry (`atlas:sum ignore`)
 * can never be applied: it is linted, left out of the hash, and named.
 */
function hashOf(directory: MigrationDirectory, files: readonly MigrationFile[]): { hash: string; warnings: string[] } {
  const sum = directory.computedSum();
  const entries: { name: string; hash: string }[] = [];
  const warnings: string[] = [];
  for (const f of files) {
    const hash = sum.hashOf(f.name);
    if (hash === undefined) warnings.push(`${f.name} has no atlas.sum entry (atlas:sum ignore): apply refuses it; it is not in the plan hash`);
    else entries.push({ name: f.name, hash });
  }
  return { hash: planHash(entries), warnings };
}

async function addLive(findings: Finding[], statements: readonly Statement[], driver: Driver, timeoutMs: number): Promise<Finding[]> {
  if (driver.lintProbe === undefined || findings.length === 0) return findings;
  const probe = await driver.lintProbe(timeoutMs);
  try {
    return await withLiveData(findings, { probe, statements });
  } finally {
    await probe.close();
  }
}

export async function runLint(directory: MigrationDirectory, request: LintRequest, driver: Driver | undefined): Promise<LintOutcome> {
  directory.validate();
  const selection = await select(directory, request, driver);
  const files = split(selection, request.dialect);
  let findings = lintFiles(files, request.dialect);
  const statements = files.flatMap((f) => f.statements);
  if (driver !== undefined) findings = await addLive(findings, statements, driver, request.liveTimeoutMs);
  const linted: LintedFile[] = files.map((f) => ({ ...f, findings: findings.filter((x) => x.file === f.file.name) }));
  const { hash, warnings } = hashOf(directory, selection.files);
  return {
    dialect: request.dialect,
    selection,
    files: linted,
    live: driver !== undefined,
    isError: request.isError,
    planHash: hash,
    warnings: [...selection.warnings, ...warnings],
  };
}
