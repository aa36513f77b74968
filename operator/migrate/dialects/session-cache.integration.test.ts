/**
 * Kept PostgreSQL sessions on a real server: a run on another tenant's
 * schema takes the session of the run before it (one login), is bound to
 * its own schema, and finds nothing the earlier run left in the session;
 * a session that cannot be reset cleanly, or that belongs to other
 * credentials, is never handed on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import knexFactory, { type Knex } from 'knex';
import type { Client, QueryResult } from 'pg';
import { startPostgres } from '../../../e2e/databases/postgres';
import type { TestDatabaseServer } from '../../../e2e/databases/server-process';
import { apply } from '../apply';
import { directoryFromEntries } from '../directory';
import type { Driver } from './driver';
import { openDriver } from './registry';
import { SessionCache } from './session-cache';

let pg: TestDatabaseServer;
let admin: Knex;
before(async () => {
  pg = await startPostgres();
  admin = knexFactory({ client: 'pg', connection: pg.url, pool: { min: 0, max: 1 } });
  await admin.raw(`
    CREATE SCHEMA t1; CREATE SCHEMA t2; CREATE SCHEMA t3; CREATE SCHEMA t4;
    CREATE ROLE other LOGIN PASSWORD 'other-pw'; GRANT ALL ON SCHEMA t3 TO other;
  `);
});
after(async () => {
  await admin?.destroy();
  await pg?.stop();
});

/** `sql` on the driver's own session (the one its pool hands a run); the last statement's first row. */
async function on<T>(driver: Driver, sql: string): Promise<T> {
  const d = driver as unknown as { acquire(): Promise<Client>; releaseConnection(c: Client): Promise<void> };
  const conn = await d.acquire();
  try {
    const r = (await conn.query(sql)) as unknown as QueryResult | QueryResult[];
    return (Array.isArray(r) ? r.at(-1) : r)?.rows[0] as T;
  } finally {
    await d.releaseConnection(conn);
  }
}

const url = (schema: string, user = 'postgres', password = pg.password) =>
  `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${pg.port}/postgres?sslmode=disable&search_path=${encodeURIComponent(schema)}`;

describe('kept PostgreSQL sessions', () => {
  it('the next tenant’s run takes the same session, bound to its own schema, with nothing left from the run before', async () => {
    const cache = new SessionCache<object>();
    const first = openDriver(url('t1'), { sessions: cache });
    const pid = (await on<{ pid: number }>(first, 'SELECT pg_backend_pid() AS pid')).pid;
    await on(first, `CREATE TEMP TABLE leftover (x int); SET statement_timeout = 1234; SET myapp.tenant = 't1';
      SELECT pg_advisory_lock(42); LISTEN t1_news; PREPARE p AS SELECT 1; SET ROLE NONE`);
    const second = openDriver(url('t2'), { sessions: cache }); // the next run, open before the first closes
    await first.close();
    assert.equal(cache.size, 1, 'kept after a reset');

    const seen = await on<Record<string, unknown>>(
      second,
      `SELECT pg_backend_pid() AS pid, current_schema() AS schema, current_setting('search_path') AS path,
        current_setting('statement_timeout') AS timeout, current_setting('myapp.tenant', true) AS tenant,
        (SELECT count(*) FROM pg_class WHERE relname = 'leftover' AND relpersistence = 't')::int AS temp_tables,
        (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())::int AS advisory,
        (SELECT count(*) FROM pg_listening_channels())::int AS listening,
        (SELECT count(*) FROM pg_prepared_statements)::int AS prepared`,
    );
    await second.close();
    assert.equal(cache.size, 0, 'the last open driver of the key ends its session');
    assert.deepEqual(seen, { pid, schema: 't2', path: 't2', timeout: '0', tenant: '', temp_tables: 0, advisory: 0, listening: 0, prepared: 0 });
    assert.equal(cache.reused, 1);
    cache.closeAll();
  });

  it('a whole migration run per tenant on one session: each tenant’s tables and revisions land in its own schema', async () => {
    const cache = new SessionCache<object>();
    const files: [string, string][] = [['1_users.sql', 'CREATE TABLE users (id int PRIMARY KEY);\n'], ['2_posts.sql', 'CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users (id));\n']];
    const dir = directoryFromEntries([...files, ['atlas.sum', directoryFromEntries(files, 'x').computedSum().format()]], 'test');
    const pids = new Set<number>();
    const burst = openDriver(url('t9'), { sessions: cache }); // another run of the burst stays open: sessions are kept
    for (const schema of ['t1', 't2', 't4']) {
      const driver = openDriver(url(schema), { sessions: cache });
      pids.add((await on<{ pid: number }>(driver, 'SELECT pg_backend_pid() AS pid')).pid);
      const result = await apply(driver, dir, { operatorVersion: 'test' });
      assert.equal(result.files.length, 2, schema);
      await driver.close();
    }
    assert.equal(pids.size, 1, 'one login for three tenants');
    await burst.close();
    assert.equal(cache.size, 0);
    const placed = await admin.raw<{ rows: { schema: string; tables: string }[] }>(`
      SELECT n.nspname AS schema, string_agg(c.relname, ',' ORDER BY c.relname) AS tables FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname IN ('t1', 't2', 't4') GROUP BY n.nspname ORDER BY n.nspname`);
    assert.deepEqual(placed.rows, [
      { schema: 't1', tables: 'atlas_schema_revisions,posts,users' },
      { schema: 't2', tables: 'atlas_schema_revisions,posts,users' },
      { schema: 't4', tables: 'atlas_schema_revisions,posts,users' },
    ]);
    cache.closeAll();
  });

  it('a session left inside a transaction is ended, not kept', async () => {
    const cache = new SessionCache<object>();
    const driver = openDriver(url('t1'), { sessions: cache });
    const next = openDriver(url('t2'), { sessions: cache });
    await on(driver, 'BEGIN; CREATE TABLE t1.half (x int)');
    await driver.close();
    assert.equal(cache.size, 0);
    await next.close();
    assert.equal((await admin.raw<{ rows: unknown[] }>("SELECT 1 FROM pg_class WHERE relname = 'half'")).rows.length, 0, 'rolled back when the session ended');
  });

  it('other credentials never get a kept session', async () => {
    const cache = new SessionCache<object>();
    const mine = openDriver(url('t3'), { sessions: cache });
    const mineToo = openDriver(url('t3'), { sessions: cache });
    const pid = (await on<{ pid: number }>(mine, 'SELECT pg_backend_pid() AS pid')).pid;
    await mine.close();
    assert.equal(cache.size, 1, 'kept: another driver of the same credentials is open');
    const theirs = openDriver(url('t3', 'other', 'other-pw'), { sessions: cache });
    const seen = await on<{ pid: number; who: string }>(theirs, 'SELECT pg_backend_pid() AS pid, current_user AS who');
    await theirs.close();
    assert.notEqual(seen.pid, pid);
    assert.equal(seen.who, 'other');
    assert.equal(cache.size, 1, 'theirs was ended: no other driver of theirs was open');
    cache.closeAll();
    assert.equal(cache.size, 0);
    await mineToo.close();
  });

  it('a lone run’s session is ended at once: no idle session is left to refuse a DROP DATABASE', async () => {
    const cache = new SessionCache<object>();
    await admin.raw('CREATE DATABASE dropped_after');
    const driver = openDriver(`postgres://postgres:${encodeURIComponent(pg.password)}@127.0.0.1:${pg.port}/dropped_after?sslmode=disable&search_path=public`, { sessions: cache });
    await driver.ping();
    await driver.close();
    assert.equal(cache.size, 0);
    await admin.raw('DROP DATABASE dropped_after');
  });

  it('without a cache, a session is ended when the driver closes, and the schema comes as a startup parameter', async () => {
    const driver = openDriver(url('t1'));
    const pid = (await on<{ pid: number }>(driver, 'SELECT pg_backend_pid() AS pid')).pid;
    await on(driver, 'RESET search_path');
    const path = await on<{ path: string }>(driver, "SELECT current_setting('search_path') AS path");
    await driver.close();
    assert.equal(path.path, 't1', 'RESET goes back to the URL’s schema');
    for (let i = 0; i < 50; i++) {
      if ((await admin.raw<{ rows: unknown[] }>('SELECT 1 FROM pg_stat_activity WHERE pid = ?', [pid])).rows.length === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail('the session is still open');
  });
});
