/**
 * The migrate step on a real SQLite database: a directory behind the
 * database (an applied file removed, as a Git revert does) is
 * atlas-operator's ProtectedFlowError, and nothing runs; Atlas's own
 * `migrate apply` (the CLI's engine call) still just finds nothing to do.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { usePrivateTmpdir } from '../../../e2e/databases/private-tmpdir';
import { apply, type ApplyResult } from '../../migrate/apply';
import { openDriver } from '../../migrate/dialects/registry';
import { directoryFromEntries, type MigrationDirectory } from '../../migrate/directory';
import { databaseAhead, MIGRATE_DOWN_REFUSED, migrateDatabase } from './migrate-database';
import type { MigrationOptions } from './read-spec';
import { StepError } from './step-error';

const tmp = usePrivateTmpdir();

const A = 'CREATE TABLE a (id int);\n';
const B = 'CREATE TABLE b (id int);\n';
const C = 'CREATE TABLE c (id int);\n';

function dir(files: Record<string, string>): MigrationDirectory {
  const sum = directoryFromEntries(Object.entries(files), 'x').computedSum().format();
  return directoryFromEntries([...Object.entries(files), ['atlas.sum', sum]], 'x');
}

const OPTIONS: MigrationOptions = { revisionsSchema: undefined, baseline: undefined, execOrder: 'linear', txMode: 'file', lockTimeoutMs: 10_000, dryRun: false, backoffLimit: 20 };

async function step(url: string, directory: MigrationDirectory, options: Partial<MigrationOptions> = {}): Promise<ApplyResult> {
  const driver = openDriver(url);
  try {
    return await migrateDatabase({
      driver,
      directory,
      options: { ...OPTIONS, ...options },
      operatorVersion: 'test',
      onEvent: () => undefined,
      beforeExecute: () => Promise.resolve(),
      signal: new AbortController().signal,
    });
  } finally {
    await driver.close();
  }
}

async function revisions(url: string): Promise<string[]> {
  const driver = openDriver(url);
  try {
    return (await driver.readRevisions('main')).map((r) => r.version);
  } finally {
    await driver.close();
  }
}

let n = 0;
const freshUrl = (): string => `sqlite://${join(tmp, `ahead-${++n}.db`)}`;

describe('a directory behind the database (ProtectedFlowError)', () => {
  it('an applied file removed: Stalled on ProtectedFlowError with atlas-operator’s message, nothing run', async () => {
    const url = freshUrl();
    await step(url, dir({ '1_a.sql': A, '2_b.sql': B }));
    await assert.rejects(
      step(url, dir({ '1_a.sql': A })),
      (e: unknown) => e instanceof StepError && e.reason === 'ProtectedFlowError' && e.kind === 'permanent' && e.message === MIGRATE_DOWN_REFUSED,
    );
    assert.equal(MIGRATE_DOWN_REFUSED, 'migrate down is not allowed, set `migrateDown.allow` to true to allow downgrade');
    assert.deepEqual(await revisions(url), ['1', '2'], 'nothing written');
    // A dry run is told the same (it is about the database, not the run).
    await assert.rejects(step(url, dir({ '1_a.sql': A }), { dryRun: true }), (e: unknown) => e instanceof StepError && e.reason === 'ProtectedFlowError');
    // The directory back: Ready again, nothing to apply.
    assert.equal((await step(url, dir({ '1_a.sql': A, '2_b.sql': B }))).files.length, 0);
  });

  it('Atlas’s own migrate apply (the CLI) on the same database: no error, nothing to execute', async () => {
    const url = freshUrl();
    await step(url, dir({ '1_a.sql': A, '2_b.sql': B }));
    const driver = openDriver(url);
    try {
      const r = await apply(driver, dir({ '1_a.sql': A }), { operatorVersion: 'test' });
      assert.deepEqual([r.files.length, r.current, r.appliedBefore], [0, '2', 2]);
    } finally {
      await driver.close();
    }
  });

  it('exactly atlas-operator’s rule: Pending == 0 && Applied > 0 && len(Available) < len(Applied)', async () => {
    const url = freshUrl();
    await step(url, dir({ '1_a.sql': A, '2_b.sql': B, '3_c.sql': C }));
    // A file in the middle removed: nothing pending, fewer files than revisions.
    await assert.rejects(step(url, dir({ '1_a.sql': A, '3_c.sql': C })), (e: unknown) => e instanceof StepError && e.reason === 'ProtectedFlowError');
    const result = (files: number, applied: number) => ({ current: undefined, target: undefined, files: Array.from({ length: files }, () => ({ name: 'x', version: 'x', description: '', statements: 1, resumeAt: 0 })), baseline: undefined, dryRun: false, lastRevision: undefined, appliedBefore: applied });
    const two = dir({ '1_a.sql': A, '2_b.sql': B });
    assert.equal(databaseAhead(result(0, 3), two), true);
    assert.equal(databaseAhead(result(0, 2), two), false, 'as many files as revisions');
    assert.equal(databaseAhead(result(0, 0), dir({})), false, 'nothing applied');
    assert.equal(databaseAhead(result(1, 3), two), false, 'something pending');
  });

  it('a new file after the removed one is pending: applied, not refused', async () => {
    const url = freshUrl();
    await step(url, dir({ '1_a.sql': A, '2_b.sql': B }));
    const r = await step(url, dir({ '1_a.sql': A, '3_c.sql': C }));
    assert.deepEqual(r.files.map((f) => f.version), ['3']);
    assert.deepEqual(await revisions(url), ['1', '2', '3']);
  });
});
