/**
 * The PostgreSQL driver asks pg_catalog whether a revisions table exists
 * and which tables a schema holds (postgres.ts, TABLE_EXISTS_SQL and
 * TABLES_SQL) instead of information_schema.tables, which knex's hasTable
 * and Atlas read: the answers must be the view's, case by case, for the
 * migrator's own role and for a role with fewer rights.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import knexFactory, { type Knex } from 'knex';
import { startPostgres } from '../../../e2e/databases/postgres';
import type { TestDatabaseServer } from '../../../e2e/databases/server-process';
import { openDriver } from './registry';

let pg: TestDatabaseServer;
let admin: Knex;
before(async () => {
  pg = await startPostgres();
  admin = knexFactory({ client: 'pg', connection: pg.url, pool: { min: 0, max: 1 } });
  await admin.raw(`
    CREATE SCHEMA has_table; CREATE TABLE has_table.atlas_schema_revisions (version varchar(255) PRIMARY KEY);
    CREATE SCHEMA has_view; CREATE VIEW has_view.atlas_schema_revisions AS SELECT 1 AS version;
    CREATE SCHEMA has_index; CREATE TABLE has_index.t (x int); CREATE INDEX atlas_schema_revisions ON has_index.t (x);
    CREATE SCHEMA has_sequence; CREATE SEQUENCE has_sequence.atlas_schema_revisions;
    CREATE SCHEMA "Mixed Case"; CREATE TABLE "Mixed Case".atlas_schema_revisions (version varchar(255));
    CREATE SCHEMA empty;
    CREATE SCHEMA mixed; CREATE TABLE mixed.b (x int); CREATE TABLE mixed.a (x int); CREATE VIEW mixed.v AS SELECT 1 AS x;
    CREATE SEQUENCE mixed.s; CREATE INDEX i ON mixed.a (x); CREATE TABLE mixed.p (x int) PARTITION BY RANGE (x);
    CREATE TABLE mixed.p1 PARTITION OF mixed.p FOR VALUES FROM (0) TO (10); CREATE MATERIALIZED VIEW mixed.m AS SELECT 1 AS x;
    CREATE TABLE mixed.moved (x int); CREATE SCHEMA elsewhere; ALTER TABLE mixed.moved SET SCHEMA elsewhere;
    CREATE TABLE elsewhere.came (x int); ALTER TABLE elsewhere.came SET SCHEMA mixed;
    CREATE TABLE "Mixed Case"."Odd name" (x int);
    CREATE ROLE limited LOGIN PASSWORD 'limited-pw';
    GRANT USAGE ON SCHEMA has_table, has_view, "Mixed Case" TO limited;
    GRANT SELECT ON has_view.atlas_schema_revisions TO limited;
    GRANT INSERT (version) ON "Mixed Case".atlas_schema_revisions TO limited;
    GRANT USAGE ON SCHEMA mixed TO limited;
    GRANT SELECT ON mixed.b TO limited;
    GRANT REFERENCES (x) ON mixed.p1 TO limited;
  `);
});
after(async () => {
  await admin?.destroy();
  await pg?.stop();
});

const SCHEMAS = ['has_table', 'has_view', 'has_index', 'has_sequence', 'Mixed Case', 'empty', 'missing', 'public', 'mixed', 'elsewhere'];

async function viewSays(url: string, schema: string): Promise<boolean> {
  const k = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    return await k.schema.withSchema(schema).hasTable('atlas_schema_revisions');
  } finally {
    await k.destroy();
  }
}

async function driverSays(url: string, schema: string): Promise<boolean> {
  const driver = openDriver(url);
  try {
    return await driver.revisionsTableExists(schema);
  } finally {
    await driver.close();
  }
}

describe('postgres: whether the revisions table exists, as information_schema.tables says', () => {
  for (const [who, url] of [
    ['the owner', () => pg.url],
    ['a role with rights on some of them', () => pg.url.replace(/\/\/[^@]*@/, '//limited:limited-pw@')],
  ] as const) {
    it(`${who}: the same answer for a table, a view, an index or a sequence of that name, a quoted schema, an empty or missing schema`, async () => {
      const answers: string[] = [];
      for (const schema of SCHEMAS) {
        const [view, ours] = [await viewSays(url(), schema), await driverSays(url(), schema)];
        assert.equal(ours, view, `${schema}: information_schema says ${view}`);
        answers.push(`${schema}=${ours}`);
      }
      // Not a test that passes on all-false: the owner sees the table, the view and the quoted schema's table.
      if (who === 'the owner') assert.deepEqual(answers.filter((a) => a.endsWith('=true')), ['has_table=true', 'has_view=true', 'Mixed Case=true']);
      else assert.deepEqual(answers.filter((a) => a.endsWith('=true')), ['has_view=true', 'Mixed Case=true'], 'no right on has_table: hidden, as the view hides it');
    });
  }
});

/** The BASE TABLEs information_schema.tables lists in `schema`, as Atlas reads them for its clean check. */
async function viewTables(url: string, schema: string): Promise<string[]> {
  const k = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    const r = await k.raw<{ rows: { name: string }[] }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name", [schema]);
    return r.rows.map((row) => row.name);
  } finally {
    await k.destroy();
  }
}

/** What the clean check of a URL bound to `schema` says (undefined: clean). */
async function cleanCheckSays(url: string, schema: string): Promise<string | undefined> {
  const bound = new URL(url);
  bound.searchParams.set('search_path', schema);
  const driver = openDriver(bound.toString());
  try {
    return await driver.checkClean(schema);
  } finally {
    await driver.close();
  }
}

describe('postgres: the clean check sees the tables information_schema.tables lists', () => {
  it('tables, partitions and tables moved in count, in name order; views, sequences, indexes, materialized views and tables moved out do not; a role sees only what it has rights on', async () => {
    const limited = pg.url.replace(/\/\/[^@]*@/, '//limited:limited-pw@');
    assert.deepEqual(await viewTables(pg.url, 'mixed'), ['a', 'b', 'came', 'p', 'p1'], 'the fixture is what the test thinks');
    assert.equal(await cleanCheckSays(pg.url, 'mixed'), 'found table "a" in schema "mixed"');
    assert.deepEqual(await viewTables(limited, 'mixed'), ['b', 'p1']);
    assert.equal(await cleanCheckSays(limited, 'mixed'), 'found table "b" in schema "mixed"');
    assert.deepEqual(await viewTables(pg.url, 'elsewhere'), ['moved']);
    assert.equal(await cleanCheckSays(pg.url, 'elsewhere'), 'found table "moved" in schema "elsewhere"');
    assert.equal(await cleanCheckSays(pg.url, 'has_view'), undefined, 'a view alone: clean');
    assert.equal(await cleanCheckSays(pg.url, 'has_table'), undefined, 'the revisions table alone: clean');
    assert.equal(await cleanCheckSays(pg.url, 'empty'), undefined);
  });
});
