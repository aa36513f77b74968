/**
 * The live layer without a database: which findings are asked about, how
 * answers read, each question asked once, a timed-out table not asked
 * again, and "does not exist yet" for what an earlier statement creates.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DuplicateCount, LintProbe, ProbeAnswer, TableRef } from '../dialects/lint-probe';
import { Statement } from '../statements';
import { createdEarlier } from './created-earlier';
import type { Finding } from './finding';
import { withLiveData } from './live';

type Answers = Partial<Record<'rows' | 'nonNull' | 'null' | 'duplicates' | 'schema', ProbeAnswer<unknown>>>;

/** A probe that answers from a table and records what it was asked. */
function fakeProbe(answers: Answers): LintProbe & { asked: string[] } {
  const asked: string[] = [];
  const answer = <T>(kind: keyof Answers, what: string): Promise<ProbeAnswer<T>> => {
    asked.push(`${kind} ${what}`);
    return Promise.resolve((answers[kind] ?? { status: 'failed', reason: 'not expected' }) as ProbeAnswer<T>);
  };
  return {
    asked,
    rowCount: (ref: TableRef) => answer<number>('rows', ref.table),
    nonNullCount: (ref: TableRef, c: string) => answer<number>('nonNull', `${ref.table}.${c}`),
    nullCount: (ref: TableRef, c: string) => answer<number>('null', `${ref.table}.${c}`),
    duplicates: (ref: TableRef, cs: readonly string[]) => answer<DuplicateCount>('duplicates', `${ref.table}(${cs.join(',')})`),
    schemaTables: (s: string | undefined) => answer<number>('schema', s ?? '-'),
    close: () => Promise.resolve(),
  };
}

function finding(code: string, subject: Finding['subject'], statement = 1): Finding {
  return { code, file: '2.sql', line: statement, statement, message: 'm', ...(subject === undefined ? {} : { subject }) };
}

const stmt = (file: string, index: number, text: string): Statement => new Statement(file, index, index + 1, text, []);

describe('withLiveData', () => {
  it('words each kind of answer', async () => {
    const probe = fakeProbe({
      rows: { status: 'counted', value: 1204 },
      nonNull: { status: 'counted', value: 1 },
      null: { status: 'counted', value: 12 },
      duplicates: { status: 'counted', value: { groups: 3, rows: 7 } },
      schema: { status: 'counted', value: 0 },
    });
    const out = await withLiveData(
      [
        finding('DS102', { kind: 'table', table: 'users' }),
        finding('DS103', { kind: 'column', table: 'users', columns: ['email'] }),
        finding('MF104', { kind: 'column', table: 'users', columns: ['email'] }),
        finding('MF101', { kind: 'index', table: 'users', columns: ['email'], name: 'u' }),
        finding('MF103', { kind: 'column', table: 'users', columns: ['age'] }),
        finding('KM103', { kind: 'table', table: 'users' }),
        finding('DS101', { kind: 'schema', name: 'app' }),
        finding('KM201', { kind: 'index', name: 'i' }),
        finding('DS102', undefined),
      ],
      { probe, statements: [] },
    );
    assert.deepEqual(
      out.map((f) => f.live),
      ['holds 1,204 rows', 'holds 1 non-NULL value', '12 NULLs', '3 duplicated values (7 rows)', 'table holds 1,204 rows', 'overwrites 1,204 rows', 'holds no tables', undefined, undefined],
    );
    // The row count was asked once for three findings.
    assert.deepEqual(probe.asked, ['rows users', 'nonNull users.email', 'null users.email', 'duplicates users(email)', 'schema app']);
  });

  it('a table that timed out is not asked again; another table is', async () => {
    const probe = fakeProbe({ rows: { status: 'timeout', afterMs: 5000 }, null: { status: 'counted', value: 0 } });
    const out = await withLiveData(
      [
        finding('DS102', { kind: 'table', table: 'big' }),
        finding('MF104', { kind: 'column', table: 'big', columns: ['c'] }),
        finding('MF104', { kind: 'column', table: 'small', columns: ['c'] }),
      ],
      { probe, statements: [] },
    );
    assert.deepEqual(out.map((f) => f.live), ['not counted (timed out after 5s)', 'not counted (timed out after 5s)', 'no NULLs now']);
    assert.deepEqual(probe.asked, ['rows big', 'null small.c']);
  });

  it('missing objects: "does not exist", or "yet" when an earlier statement creates them; failures are worded, not thrown', async () => {
    const statements = [stmt('1.sql', 0, 'CREATE TABLE "Fresh" (id int);'), stmt('2.sql', 0, 'DROP TABLE fresh;'), stmt('2.sql', 1, 'DROP TABLE ghost;')];
    const missing = (name: string): ProbeAnswer<unknown> => ({ status: 'missing', what: 'table', name });
    const out = await withLiveData([finding('DS102', { kind: 'table', table: 'fresh' }, 1)], { probe: fakeProbe({ rows: missing('fresh') }), statements });
    assert.equal(out[0]?.live, 'table "fresh" does not exist yet (an earlier statement creates it)');
    const ghost = await withLiveData([finding('DS102', { kind: 'table', table: 'ghost' }, 2)], { probe: fakeProbe({ rows: missing('ghost') }), statements });
    assert.equal(ghost[0]?.live, 'table "ghost" does not exist');
    const failed = await withLiveData([finding('DS102', { kind: 'table', table: 't' })], {
      probe: fakeProbe({ rows: { status: 'failed', reason: 'permission denied\nfor table t' } }),
      statements,
    });
    assert.equal(failed[0]?.live, 'not counted (permission denied for table t)');
  });
});

describe('createdEarlier', () => {
  const s = (text: string): { text: string } => ({ text });
  it('recognises tables, columns and schemas made before, quoted or not', () => {
    assert.ok(createdEarlier([s('CREATE TABLE IF NOT EXISTS `app`.`Users` (id int)')], { what: 'table', name: 'users' }));
    assert.ok(createdEarlier([s('ALTER TABLE old RENAME TO users')], { what: 'table', name: 'users' }));
    assert.ok(createdEarlier([s('ALTER TABLE users ADD COLUMN "e-mail" text')], { what: 'column', table: 'users', name: 'e-mail' }));
    assert.ok(createdEarlier([s('CREATE TABLE users (id int, email text)')], { what: 'column', table: 'users', name: 'email' }));
    assert.ok(createdEarlier([s('CREATE SCHEMA app')], { what: 'schema', name: 'app' }));
    assert.ok(!createdEarlier([s('CREATE TABLE users_old (id int)')], { what: 'table', name: 'users' }));
    assert.ok(!createdEarlier([s('ALTER TABLE posts ADD COLUMN email text')], { what: 'column', table: 'users', name: 'email' }));
    assert.ok(!createdEarlier([s('CREATE TABLE t (x int); -- a.b(c')], { what: 'table', name: 'a.b(c' }));
  });
});
