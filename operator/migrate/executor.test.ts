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
import { StatementExecError } from './errors';
import { executeFile, type FileRun } from './executor';
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
