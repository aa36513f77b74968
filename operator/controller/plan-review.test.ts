import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExecutionPlan } from '../migrate/apply';
import { SQL_SYNTAX } from '../migrate/dialects/syntax';
import { directoryFromEntries } from '../migrate/directory';
import { plannedFile } from '../migrate/executor';
import { planHash } from '../migrate/plan-hash';
import { fileStatements } from '../migrate/statements';
import { migrateLint } from './plan-linter';
import { reviewPlan } from './plan-review';

const FILES = { '2_drop.sql': 'DROP TABLE a;\nCREATE TABLE c (id int);\n', '3_more.sql': 'CREATE TABLE d (id int);\nDROP TABLE b;\nCREATE INDEX i ON d (id);\nDROP INDEX i;\n' };

/** The plan apply hands to beforeExecute; `applied` statements of the first file ran in an interrupted run. */
function plan(applied: number): ExecutionPlan {
  const dir = directoryFromEntries(Object.entries(FILES), 'x');
  const sum = dir.computedSum();
  const pending = dir.files.map((file, i) => {
    const statements = fileStatements(file, SQL_SYNTAX.postgres);
    const stored = i === 0 && applied > 0 ? ({ applied, total: statements.length } as never) : undefined;
    return { planned: plannedFile(file, statements, stored), hash: sum.hashOf(file.name) ?? '', statements };
  });
  return { current: '1', files: pending.map((p) => p.planned), pending };
}

describe('reviewPlan (with migrate lint)', () => {
  const ctx = { dialect: 'postgres' as const, linter: migrateLint, destructiveCodes: migrateLint.defaultDestructive };

  it('lints every pending statement, hashes the files as atlas.sum lists them, and picks out the destructive findings', () => {
    const r = reviewPlan(plan(0), ctx);
    assert.deepEqual(r.findings.map((f) => `${f.code} ${f.file}:${f.line}`), ['DS102 2_drop.sql:1', 'DS102 3_more.sql:2', 'KM201 3_more.sql:4']);
    assert.deepEqual(r.destructive.map((f) => f.code), ['DS102', 'DS102']);
    const sum = directoryFromEntries(Object.entries(FILES), 'x').computedSum();
    assert.equal(r.hash, planHash(Object.keys(FILES).map((name) => ({ name, hash: sum.hashOf(name) ?? '' }))));
    assert.equal(r.current, '1');
  });

  it('an interrupted file is linted from where it stopped; the plan hash does not change', () => {
    const r = reviewPlan(plan(1), ctx);
    assert.deepEqual(r.findings.map((f) => `${f.code} ${f.file}:${f.line}`), ['DS102 3_more.sql:2', 'KM201 3_more.sql:4']);
    assert.equal(r.hash, reviewPlan(plan(0), ctx).hash);
  });

  it('the destructive set is the spec\'s when given', () => {
    assert.deepEqual(reviewPlan(plan(0), { ...ctx, destructiveCodes: ['KM2*'] }).destructive.map((f) => f.code), ['KM201']);
  });
});
