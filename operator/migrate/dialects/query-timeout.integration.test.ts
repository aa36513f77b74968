/**
 * The engine's own queries are bounded by the query timeout on real
 * servers: with another session holding the revisions table (PostgreSQL:
 * ACCESS EXCLUSIVE; MySQL 8: LOCK TABLES … WRITE), planning and the resync
 * read fail quickly with an error naming the query and the bound instead
 * of hanging; a migration's own statements are never bounded.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import knexFactory, { type Knex } from 'knex';
import { after, before, describe, it } from 'node:test';
import { startTestServers, type TestDatabase, type TestServers } from '../../../e2e/databases/targets';
import { apply } from '../apply';
import { directoryFromEntries, type MigrationDirectory } from '../directory';
import { QueryTimeoutError } from './errors';
import { CLIENT_GRACE_MS } from './knex-driver';
import { openDriver } from './registry';

const BOUND_MS = 1000;

let servers: TestServers;
before(async () => {
  servers = await startTestServers(['postgres', 'mysql8']);
});
after(async () => {
  await servers?.stop();
});

function dir(files: Record<string, string>): MigrationDirectory {
  const sum = directoryFromEntries(Object.entries(files), 'x').computedSum().format();
  return directoryFromEntries([...Object.entries(files), ['atlas.sum', sum]], 'x');
}

async function applyTo(url: string, directory: MigrationDirectory, queryTimeoutMs = BOUND_MS) {
  const driver = openDriver(url, { queryTimeoutMs });
  try {
    return await apply(driver, directory, { operatorVersion: 'test', lockTimeoutMs: 2000 });
  } finally {
    await driver.close();
  }
}

async function lastRevision(url: string) {
  const driver = openDriver(url, { queryTimeoutMs: BOUND_MS });
  try {
    return await driver.readLastRevision(driver.defaultRevisionsSchema());
  } finally {
    await driver.close();
  }
}

/** A connection of its own to the test database (another session). */
function otherSession(db: TestDatabase): Knex {
  const url = new URL(db.url);
  const connection = { host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), database: db.name };
  return knexFactory({ client: db.dialect === 'postgres' ? 'pg' : 'mysql2', connection, pool: { min: 1, max: 1 } });
}

async function timesOut(what: Promise<unknown>, kind: RegExp): Promise<number> {
  const started = Date.now();
  await assert.rejects(what, (e: unknown) => {
    assert.ok(e instanceof QueryTimeoutError, String(e));
    assert.match(e.message, kind);
    assert.match(e.message, /no answer within the query timeout \(1s\)/);
    return true;
  });
  const took = Date.now() - started;
  assert.ok(took < BOUND_MS + CLIENT_GRACE_MS + 2000, `took ${took} ms`);
  return took;
}

const FIRST = { '1_t.sql': 'CREATE TABLE t (id int);\n' };

/** A TCP proxy to the database that can freeze: bytes stop flowing both ways, connections stay open (a stuck server). */
async function freezableProxy(target: URL): Promise<{ url: string; freeze(): void; close(): void }> {
  let frozen = false;
  const sockets: Socket[] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.push(client, upstream);
    client.on('data', (d) => void (frozen || upstream.write(d)));
    upstream.on('data', (d) => void (frozen || client.write(d)));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(target.toString());
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as { port: number }).port);
  return {
    url: proxied.toString(),
    freeze: () => void (frozen = true),
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

for (const target of ['postgres', 'mysql8'] as const) {
  describe(`${target}: the engine's own queries are bounded`, () => {
    it('a revisions table held by another session: planning and the resync read fail with the query named, then work again', async () => {
      const db = await servers.fresh(target);
      const other = otherSession(db);
      try {
        await applyTo(db.url, dir(FIRST));
        const pool = other.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<void> };
        const conn = await pool.acquireConnection();
        const run = (sql: string) => other.raw(sql).connection(conn);
        if (target === 'postgres') {
          await run('BEGIN');
          await run('LOCK TABLE public.atlas_schema_revisions IN ACCESS EXCLUSIVE MODE');
        } else {
          await run('LOCK TABLES atlas_schema_revisions WRITE');
        }
        // PostgreSQL's column check already waits for the table; MySQL's information_schema does not, its SELECT does.
        const planning = target === 'postgres' ? /^checking or creating the revisions table: / : /^reading the revisions table: /;
        const took = await timesOut(applyTo(db.url, dir({ ...FIRST, '2_u.sql': 'CREATE TABLE u (id int);\n' })), planning);
        // Both servers cancel the query themselves (statement_timeout, MAX_EXECUTION_TIME), before the client would drop it.
        assert.ok(took < BOUND_MS + CLIENT_GRACE_MS, `the server's own bound fired (${took} ms)`);
        await timesOut(lastRevision(db.url), /^reading the last revision: /);
        await run(target === 'postgres' ? 'ROLLBACK' : 'UNLOCK TABLES');
        await pool.releaseConnection(conn);
        // The database lock was released: the next run applies.
        const r = await applyTo(db.url, dir({ ...FIRST, '2_u.sql': 'CREATE TABLE u (id int);\n' }));
        assert.deepEqual(r.files.map((f) => f.version), ['2']);
        assert.equal((await lastRevision(db.url))?.version, '2');
      } finally {
        await other.destroy();
        await db.close();
      }
    });

    it('a server that stops answering mid-run: the client drops the connection after the bound and its grace', { timeout: 30_000 }, async () => {
      const db = await servers.fresh(target);
      const proxy = await freezableProxy(new URL(db.url));
      const driver = openDriver(proxy.url, { queryTimeoutMs: BOUND_MS });
      try {
        const release = await driver.hold();
        proxy.freeze();
        const started = Date.now();
        await assert.rejects(driver.readLastRevision(driver.defaultRevisionsSchema()), (e: unknown) => e instanceof QueryTimeoutError && /^reading the last revision: /.test(e.message));
        const took = Date.now() - started;
        assert.ok(took >= BOUND_MS + CLIENT_GRACE_MS - 50 && took < BOUND_MS + CLIENT_GRACE_MS + 2000, `took ${took} ms`);
        await release().catch(() => undefined);
      } finally {
        await driver.close().catch(() => undefined);
        proxy.close();
        await db.close();
      }
    });

    it("a migration's own statements are not bounded: a 2 s statement under a 1 s query timeout runs", async () => {
      const db = await servers.fresh(target);
      try {
        const sleep = target === 'postgres' ? 'SELECT pg_sleep(2);\n' : 'DO SLEEP(2);\n';
        const r = await applyTo(db.url, dir({ ...FIRST, '2_sleep.sql': sleep }));
        assert.deepEqual(r.files.map((f) => f.version), ['1', '2']);
      } finally {
        await db.close();
      }
    });
  });
}
