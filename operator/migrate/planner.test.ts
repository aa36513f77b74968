import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeRevision, RevisionType, type Revision } from './dialects/revision';
import { directoryFromEntries } from './directory';
import {
  BaselineNotFoundError,
  HistoryNonLinearError,
  InvalidOptionError,
  MissingMigrationError,
  NotCleanError,
  VersionNotFoundError,
} from './errors';
import { plan, type PlanOptions } from './planner';

function dir(...names: string[]) {
  return directoryFromEntries(
    names.map((n) => [n.replace(/!$/, ''), n.endsWith('!') ? '-- atlas:checkpoint\n\nCREATE TABLE t (c int);' : 'SELECT 1;']),
    'test',
  );
}

function rev(version: string, applied = 1, total = applied, type: number = RevisionType.Execute): Revision {
  return makeRevision({ version, description: 'd', type, applied, total });
}

function names(d: ReturnType<typeof dir>, revisions: Revision[], opts: PlanOptions = {}, notClean?: NotCleanError) {
  return plan(d, { revisions, ...(notClean === undefined ? {} : { notClean }) }, opts).pending.map((f) => f.name);
}

describe('planner: a database without history', () => {
  it('runs every file', () => {
    assert.deepEqual(names(dir('1.sql', '2.sql'), []), ['1.sql', '2.sql']);
  });

  it('starts from the last checkpoint', () => {
    assert.deepEqual(names(dir('1.sql', '2_ck.sql!', '3.sql', '4_ck.sql!', '5.sql'), []), ['4_ck.sql', '5.sql']);
  });

  it('refuses a dirty database unless told what to do', () => {
    const dirty = new NotCleanError('found table "users" in schema "app"');
    assert.throws(
      () => names(dir('1.sql'), [], {}, dirty),
      (e: unknown) =>
        e instanceof NotCleanError &&
        e.message ===
          'sql/migrate: connected database is not clean: found table "users" in schema "app". baseline version or allow-dirty is required',
    );
    assert.deepEqual(names(dir('1.sql', '2.sql'), [], { allowDirty: true }, dirty), ['1.sql', '2.sql']);
  });

  it('records a baseline and runs only later files', () => {
    const p = plan(dir('1_a.sql', '2_b.sql', '3_c.sql'), { revisions: [] }, { baseline: '2' });
    assert.deepEqual(p.baseline, { version: '2', description: 'b' });
    assert.deepEqual(
      p.pending.map((f) => f.name),
      ['3_c.sql'],
    );
    assert.equal(p.current, '2');
  });

  it('fails on an unknown baseline', () => {
    assert.throws(() => plan(dir('1.sql'), { revisions: [] }, { baseline: '9' }), (e: unknown) => e instanceof BaselineNotFoundError && e.message === 'baseline version "9" not found');
  });

  it('rejects baseline together with allow-dirty', () => {
    assert.throws(
      () => plan(dir('1.sql'), { revisions: [] }, { baseline: '1', allowDirty: true }),
      (e: unknown) => e instanceof InvalidOptionError && e.message === 'sql/migrate: baseline and allow-dirty are mutually exclusive',
    );
  });

  it('a baseline is what to do with a dirty database', () => {
    const dirty = new NotCleanError('found table "users" in schema "app"');
    assert.deepEqual(names(dir('1_a.sql', '2_b.sql'), [], { baseline: '1' }, dirty), ['2_b.sql']);
  });

  it('after a baseline, checkpoints are not run', () => {
    assert.deepEqual(names(dir('1.sql', '2_ck.sql!', '3.sql'), [], { baseline: '1' }), ['3.sql']);
  });
});

describe('planner: a database with history', () => {
  it('has nothing to do when every file ran', () => {
    assert.deepEqual(names(dir('1.sql', '2.sql'), [rev('1'), rev('2')]), []);
  });

  it('runs only files added since', () => {
    assert.deepEqual(names(dir('1.sql', '2.sql', '3.sql'), [rev('1'), rev('2')]), ['3.sql']);
  });

  it('resumes a partially applied file', () => {
    assert.deepEqual(names(dir('1.sql', '2.sql', '3.sql'), [rev('1'), rev('2', 1, 3)]), ['2.sql', '3.sql']);
  });

  it('fails when the partial file is gone', () => {
    assert.throws(
      () => names(dir('1.sql', '3.sql'), [rev('1'), { ...rev('2', 1, 3), description: 'b' }]),
      (e: unknown) =>
        e instanceof MissingMigrationError &&
        e.message === 'sql/migrate: missing migration: revision "2_b.sql" is partially applied but migration file was not found',
    );
  });

  it('fails when the partial file is gone and newer than every file', () => {
    assert.throws(() => names(dir('1.sql', '2.sql'), [rev('1'), rev('3', 1, 2)]), MissingMigrationError);
  });

  it('has nothing to do when the directory holds only checkpoints, even after a partial revision', () => {
    assert.deepEqual(names(dir('5_ck.sql!'), [rev('3', 1, 2)]), []);
  });

  it('runs every file when all are newer than the history', () => {
    assert.deepEqual(names(dir('5.sql', '6.sql'), [rev('1')]), ['5.sql', '6.sql']);
  });

  it('ignores checkpoints once history exists', () => {
    assert.deepEqual(names(dir('1.sql', '2_ck.sql!', '3.sql'), [rev('1')]), ['3.sql']);
  });

  it('resumes a partially applied checkpoint with the files after it', () => {
    assert.deepEqual(names(dir('1.sql', '2_ck.sql!', '3.sql'), [rev('2', 0, 1)]), ['2_ck.sql', '3.sql']);
  });

  it('compares versions byte-wise', () => {
    // "10" < "2" byte-wise, so 10.sql counts as already passed.
    assert.deepEqual(names(dir('1.sql', '10.sql', '2.sql'), [rev('1'), rev('10'), rev('2')]), []);
  });
});

describe('planner: files added out of order', () => {
  const d = dir('1.sql', '2.sql', '3.sql', '4.sql', '5.sql');
  const history = [rev('1'), rev('3'), rev('4')];

  it('linear (default): refuses, naming the file', () => {
    assert.throws(
      () => names(d, history),
      (e: unknown) =>
        e instanceof HistoryNonLinearError &&
        e.message === 'migration file 2.sql was added out of order. See: https://atlasgo.io/versioned/apply#non-linear-error' &&
        e.pending.join() === '5.sql',
    );
  });

  it('linear: plural form for several files', () => {
    assert.throws(
      () => names(d, [rev('1'), rev('4')]),
      (e: unknown) => e instanceof HistoryNonLinearError && e.message.startsWith('migration files 2.sql, 3.sql were added out of order.'),
    );
  });

  it('linear-skip: never runs them', () => {
    assert.deepEqual(names(d, history, { execOrder: 'linear-skip' }), ['5.sql']);
  });

  it('non-linear: runs them first', () => {
    const p = plan(d, { revisions: history }, { execOrder: 'non-linear' });
    assert.deepEqual(
      p.pending.map((f) => f.name),
      ['2.sql', '5.sql'],
    );
    assert.deepEqual(
      p.outOfOrder.map((f) => f.name),
      ['2.sql'],
    );
  });

  it('files older than the first revision (a baseline) are not out of order', () => {
    assert.deepEqual(names(d, [rev('3', 0, 0, RevisionType.Baseline), rev('4')]), ['5.sql']);
  });

  it('files older than the only revision are not out of order, even when its own file is gone', () => {
    assert.deepEqual(names(dir('1.sql', '3.sql', '7.sql'), [rev('5')]), ['7.sql']);
  });
});

describe('planner: target version and amount', () => {
  const d = dir('1.sql', '2.sql', '3.sql', '20230101.sql');

  it('stops after the target', () => {
    assert.deepEqual(names(d, [], { toVersion: '2' }), ['1.sql', '2.sql']);
  });

  it('fails on an unknown target, suggesting a close version', () => {
    assert.throws(
      () => names(dir('a.sql', '20230101.sql'), [], { toVersion: '2023' }),
      (e: unknown) => e instanceof VersionNotFoundError && e.message === 'sql/migrate: migration with version "2023" not found. Did you mean "20230101"?',
    );
    assert.throws(() => names(d, [], { toVersion: 'x' }), (e: unknown) => e instanceof VersionNotFoundError && !e.message.includes('Did you mean'));
    // Atlas suggests the last file whose version the target contains: "2023" contains "3".
    assert.throws(() => names(d, [], { toVersion: '2023' }), (e: unknown) => e instanceof Error && e.message.endsWith('Did you mean "3"?'));
  });

  it('suggests nothing for an empty target, nor a version only one byte longer than it', () => {
    const noSuggestion = (e: unknown) => e instanceof VersionNotFoundError && e.suggestion === undefined;
    assert.throws(() => names(d, [], { toVersion: '' }), noSuggestion);
    assert.throws(() => names(dir('1.sql', '20.sql'), [], { toVersion: '2' }), noSuggestion);
  });

  it('fails when the target already ran', () => {
    assert.throws(() => names(d, [rev('1'), rev('2')], { toVersion: '1' }), VersionNotFoundError);
  });

  it('fails when the target already ran, with a checkpoint at or before it', () => {
    assert.throws(() => names(dir('1_ck.sql!', '2.sql', '3.sql'), [rev('2'), rev('3')], { toVersion: '2' }), VersionNotFoundError);
  });

  it('plans only up to the target when a later checkpoint exists', () => {
    assert.deepEqual(names(dir('1.sql', '2.sql', '3_ck.sql!', '4.sql'), [], { toVersion: '2' }), ['1.sql', '2.sql']);
  });

  it('limits the number of files', () => {
    assert.deepEqual(names(d, [], { amount: 2 }), ['1.sql', '2.sql']);
    assert.deepEqual(names(d, [], { amount: 1 }), ['1.sql']);
    assert.throws(() => names(d, [], { amount: 0 }), (e: unknown) => e instanceof InvalidOptionError && e.message === "cannot apply '0' migration files");
  });
});
