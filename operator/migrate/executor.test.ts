/**
 * One file's execution (executor.ts) on a fake Session that records every
 * call: which errors are recorded in the revision row and which are not,
 * and whose `operator_version` a row carries once we have written it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Session } from './dialects/driver';
import { QueryError } from './dialects/errors';
import { makeRevision, type Revision } from './dialects/revision';
import { SQL_SYNTAX } from './dialects/syntax';
import { CancelledError, HistoryChangedError, StatementExecError } from './errors';
import { executeFile, plannedFile, type FileRun } from './executor';
import { MigrationFile } from './migration-file';
import { cumulativeStatementHashes, fileStatements } from './statements';

/** A Session whose `execute` fails as `fail` says; every written row is kept, in order. */
function fakeSession(fail: (sql: string) => Error | undefined = () => undefined) {
  const calls: string[] = [];
  const writes: Revision[] = [];
  const session: Session = {
    execute: (sql) => {
      calls.push(`execute ${sql}`);
      const e = fail(sql);
      return e === undefined ? Promise.resolve() : Promise.reject(e);
    },
    begin: () => Promise.resolve(void calls.push('begin')),
    commit: () => Promise.resolve(void calls.push('commit')),
    rollback: () => Promise.resolve(void calls.push('rollback')),
    writeRevision: (r) => {
      calls.push(`write ${r.applied}/${r.total}`);
      writes.push({ ...r });
      return Promise.resolve();
    },
    release: () => Promise.resolve(),
  };
  return { session, calls, writes };
}

const FILE = new MigrationFile('2_users.sql', Buffer.from('CREATE TABLE a (x int);\nCREATE TABLE b (x int);\nCREATE TABLE c (x int);\n'));
const STATEMENTS = fileStatements(FILE, SQL_SYNTAX.mysql);

function run(session: Session, over: Partial<FileRun> = {}): FileRun {
  return {
    session,
    file: FILE,
    statements: STATEMENTS,
    hash: 'file-hash',
    operatorVersion: 'atlas-k8s-migrator v9.9.9',
    dryRun: false,
    onEvent: () => undefined,
    signal: undefined,
    stored: undefined,
    onlyFinalWrite: false,
    ...over,
  };
}

describe('executor: errors that are not the database\'s', () => {
  // Mutant killed: `if (!(e instanceof QueryError)) throw e;` removed (the TypeError recorded as the statement's error).
  it('a TypeError from the session is rethrown as is and never recorded in the revision', async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'query')");
    const f = fakeSession((sql) => (sql.startsWith('CREATE TABLE b') ? bug : undefined));
    await assert.rejects(executeFile(run(f.session)), (e) => e === bug);
    assert.deepEqual(f.calls, ['write 0/3', 'execute CREATE TABLE a (x int);', 'write 1/3', 'execute CREATE TABLE b (x int);']);
    for (const w of f.writes) assert.deepEqual([w.error, w.errorStmt], ['', ''], 'no row carries the bug as a statement error');
  });

  it('a database error (QueryError) is recorded with its statement and thrown as StatementExecError', async () => {
    const f = fakeSession((sql) => (sql.startsWith('CREATE TABLE b') ? new QueryError("Table 'b' already exists") : undefined));
    await assert.rejects(
      executeFile(run(f.session)),
      (e) => e instanceof StatementExecError && e.message.includes("Table 'b' already exists"),
    );
    const last = f.writes.at(-1);
    assert.deepEqual([last?.applied, last?.error, last?.errorStmt], [1, "Table 'b' already exists", 'CREATE TABLE b (x int);']);
  });
});

describe('executor: a row another tool wrote', () => {
  const hashes = cumulativeStatementHashes(STATEMENTS);
  // Atlas started the file, applied one statement, and stopped.
  const byAtlas = makeRevision({
    version: '2',
    description: 'users',
    applied: 1,
    total: 3,
    hash: 'file-hash',
    partialHashes: hashes.slice(0, 1),
    operatorVersion: 'Atlas CLI v0.31.0',
    error: 'Error 1050: Table already exists',
    errorStmt: 'CREATE TABLE b (x int);',
  });

  // Atlas's Executor.writeRevision sets `OperatorVersion = e.operator` on every write
  // (sql/migrate/migrate.go), also on a row another tool started: so do we.
  // Mutant killed: the `this.row.operatorVersion = this.run.operatorVersion` stamp removed.
  it('is restamped with our operator_version on every write, from the first one', async () => {
    const f = fakeSession();
    await executeFile(run(f.session, { stored: byAtlas }));
    assert.deepEqual(f.calls, ['write 1/3', 'execute CREATE TABLE b (x int);', 'write 2/3', 'execute CREATE TABLE c (x int);', 'write 3/3', 'write 3/3'], 'resumed after the applied statement');
    assert.deepEqual(
      f.writes.map((w) => w.operatorVersion),
      Array(4).fill('atlas-k8s-migrator v9.9.9'),
    );
    const last = f.writes.at(-1);
    assert.deepEqual([last?.error, last?.errorStmt, last?.partialHashes], ['', '', null], 'the old error is cleared once past it');
  });

  it('the stored row itself is not changed (it is the history read before planning)', async () => {
    const f = fakeSession();
    await executeFile(run(f.session, { stored: byAtlas }));
    assert.equal(byAtlas.operatorVersion, 'Atlas CLI v0.31.0');
  });

  it('with only a final write (a transaction on transactional DDL): that row carries our version', async () => {
    const f = fakeSession();
    await executeFile(run(f.session, { stored: byAtlas, onlyFinalWrite: true }));
    assert.deepEqual(f.writes.map((w) => [w.applied, w.operatorVersion]), [[3, 'atlas-k8s-migrator v9.9.9']]);
  });
});

describe('executor: resuming a partly applied file', () => {
  const hashes = cumulativeStatementHashes(STATEMENTS);
  const partial = (applied: number, partialHashes: readonly string[]): Revision =>
    makeRevision({ version: '2', description: 'users', applied, total: 3, hash: 'file-hash', partialHashes: [...partialHashes], operatorVersion: 'x' });

  it('runs only the statements after the applied prefix when the prefix is unchanged', async () => {
    const f = fakeSession();
    await executeFile(run(f.session, { stored: partial(2, hashes.slice(0, 2)) }));
    assert.deepEqual(f.calls, ['write 2/3', 'execute CREATE TABLE c (x int);', 'write 3/3', 'write 3/3']);
  });

  // Mutants killed: verifyHistory emptied, its loop bound or comparison changed, the `row.applied > 0` guard forced false.
  it('refuses a file whose applied statements changed since they ran, naming the first changed statement; runs nothing', async () => {
    for (const [stored, statement] of [
      [partial(2, [hashes[0] as string, 'changed']), 2],
      [partial(2, ['changed', hashes[1] as string]), 1],
      [partial(1, ['changed']), 1],
    ] as const) {
      const f = fakeSession();
      await assert.rejects(executeFile(run(f.session, { stored })), (e) => e instanceof HistoryChangedError && e.file === '2_users.sql' && e.statement === statement);
      assert.equal(f.calls.filter((c) => c.startsWith('execute')).length, 0, 'nothing executed');
    }
  });

  it('plannedFile: a partial row resumes at its applied count; a complete row or none starts at 0', () => {
    assert.equal(plannedFile(FILE, STATEMENTS, partial(2, hashes.slice(0, 2))).resumeAt, 2);
    assert.equal(plannedFile(FILE, STATEMENTS, partial(3, hashes)).resumeAt, 0);
    assert.equal(plannedFile(FILE, STATEMENTS, undefined).resumeAt, 0);
    assert.equal(plannedFile(FILE, STATEMENTS, undefined).statements, 3);
  });
});

describe('executor: timing, cancellation and the error row', () => {
  it('a signal aborted between statements stops before the next one, saying how many were applied', async () => {
    const f = fakeSession();
    const abort = new AbortController();
    const r = run(f.session, { signal: abort.signal, onEvent: (e) => void (e.type === 'statement-done' && e.index === 0 && abort.abort()) });
    await assert.rejects(executeFile(r), (e) => e instanceof CancelledError && e.message === 'migration cancelled before statement 2 of 2_users.sql; 1 of 3 applied');
    assert.deepEqual(f.calls, ['write 0/3', 'execute CREATE TABLE a (x int);', 'write 1/3']);
  });

  it('execution_time and each statement\'s duration are elapsed times (not clock readings)', async () => {
    const f = fakeSession();
    const durations: number[] = [];
    const t0 = performance.now();
    await executeFile(run(f.session, { onEvent: (e) => void (e.type === 'statement-done' && durations.push(e.durationMs)) }));
    const elapsedMs = performance.now() - t0;
    for (const w of f.writes) assert.ok(w.executionTime >= 0 && w.executionTime <= elapsedMs * 1e6, `execution_time ${w.executionTime} ns of ${elapsedMs} ms`);
    assert.equal(durations.length, 3);
    for (const d of durations) assert.ok(d >= 0 && d <= elapsedMs, `duration ${d} ms of ${elapsedMs} ms`);
  });

  it('with only a final write, a failed statement still writes its error row', async () => {
    const f = fakeSession((sql) => (sql.startsWith('CREATE TABLE b') ? new QueryError('boom') : undefined));
    await assert.rejects(executeFile(run(f.session, { onlyFinalWrite: true })), StatementExecError);
    assert.deepEqual(f.writes.map((w) => [w.applied, w.error, w.errorStmt]), [[1, 'boom', 'CREATE TABLE b (x int);']]);
  });
});
