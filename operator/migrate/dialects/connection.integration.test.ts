/**
 * Connecting, locking and placing the revisions table on real servers:
 * clear, bounded, password-free errors for bad input, and Atlas's placement
 * rules for `atlas_schema_revisions`.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestServers, type ServerName, type TestServers } from '../../../e2e/databases/targets';
import { apply } from '../apply';
import { directoryFromEntries } from '../directory';
import { AmbiguousRevisionTableError } from '../errors';
import { ConnectError, LockTimeoutError, UnsupportedSchemeError } from './errors';
import { openDriver } from './registry';

const SERVERS: readonly ServerName[] = ['mysql8', 'mariadb11', 'mariadb10', 'postgres'];
const MYSQL_FAMILY = SERVERS.filter((s) => s !== 'postgres');

let servers: TestServers;
let silent: Server;
let silentPort = 0;
before(async () => {
  servers = await startTestServers();
  // A host that accepts TCP connections and never answers: connecting must time out, not hang.
  silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as { port: number }).port;
});
after(async () => {
  silent?.close();
  await servers?.stop();
});

const files = directoryFromEntries([['1_t.sql', 'CREATE TABLE t (id int);\n']], 'x');
const dir = directoryFromEntries([['1_t.sql', 'CREATE TABLE t (id int);\n'], ['atlas.sum', files.computedSum().format()]], 'x');

async function applyTo(url: string, options: { lockTimeoutMs?: number; revisionsSchema?: string; connectTimeoutMs?: number } = {}) {
  const driver = openDriver(url, { connectTimeoutMs: options.connectTimeoutMs ?? 10_000 });
  try {
    return await apply(driver, dir, { operatorVersion: 'test', ...options });
  } finally {
    await driver.close();
  }
}

function wrongPassword(url: string): string {
  const u = new URL(url);
  u.password = 'definitely-wrong-pw';
  return u.toString();
}

describe('bad connection input', () => {
  it('wrong password: a clear error that shows no password', async () => {
    for (const name of SERVERS) {
      const url = servers.server(name).urlFor(name === 'postgres' ? 'postgres' : 'mysql');
      await assert.rejects(applyTo(wrongPassword(url)), (e: unknown) => {
        assert.ok(e instanceof ConnectError, `${name}: ${String(e)}`);
        assert.match(e.message, /authentication failed|Access denied/);
        assert.ok(!e.message.includes('definitely-wrong-pw'), e.message);
        assert.match(e.message, /xxxxx/);
        return true;
      });
    }
  });

  it('a host that never answers fails within the connect timeout', async () => {
    for (const scheme of ['postgres', 'mysql']) {
      const started = Date.now();
      await assert.rejects(applyTo(`${scheme}://u:secretpw@127.0.0.1:${silentPort}/db?sslmode=disable`, { connectTimeoutMs: 1500 }), (e: unknown) => {
        assert.ok(e instanceof ConnectError, `${scheme}: ${String(e)}`);
        assert.ok(!e.message.includes('secretpw'));
        return true;
      });
      assert.ok(Date.now() - started < 10_000, `${scheme} took ${Date.now() - started} ms`);
    }
  });

  it('a missing database is named', async () => {
    await assert.rejects(applyTo(servers.server('postgres').urlFor('nope_db')), (e: unknown) => e instanceof ConnectError && /database "nope_db" does not exist/.test(e.message));
    for (const name of MYSQL_FAMILY) {
      await assert.rejects(applyTo(servers.server(name).urlFor('nope_db')), (e: unknown) => e instanceof ConnectError && /Unknown database 'nope_db'/.test(e.message));
    }
  });

  it('MySQL 8 over TLS: skip-verify connects; true refuses its self-signed certificate clearly', async () => {
    const db = await servers.fresh('mysql8');
    try {
      await applyTo(`${db.url}?tls=skip-verify`);
      const fresh = await servers.fresh('mysql8');
      try {
        await assert.rejects(applyTo(`${fresh.url}?tls=true`), (e: unknown) => {
          assert.ok(e instanceof ConnectError, String(e));
          assert.match(e.message, /self[- ]signed certificate/);
          assert.ok(!e.message.includes(servers.server('mysql8').password));
          return true;
        });
      } finally {
        await fresh.close();
      }
    } finally {
      await db.close();
    }
  });

  it('an unknown scheme is refused before connecting', () => {
    assert.throws(() => openDriver('oracle://u:p@h/x'), UnsupportedSchemeError);
  });
});

describe('locks', () => {
  for (const target of SERVERS) {
    it(`${target}: a second run gives up after the lock timeout with Atlas's message`, async () => {
      const db = await servers.fresh(target);
      const holder = openDriver(db.url);
      try {
        const unlock = await holder.lock('atlas_migrate_execute', 1000);
        const started = Date.now();
        await assert.rejects(applyTo(db.url, { lockTimeoutMs: 1000 }), (e: unknown) => e instanceof LockTimeoutError && /lock is held by other session/.test(e.message));
        assert.ok(Date.now() - started >= 900, 'waited for the timeout');
        await unlock();
        await applyTo(db.url, { lockTimeoutMs: 1000 });
      } finally {
        await holder.close();
        await db.close();
      }
    });
  }
});

describe('where the revisions table lives', () => {
  it('unbound URLs use the atlas_schema_revisions schema', async () => {
    const db = await servers.fresh('postgres');
    try {
      // No search_path: Postgres is not bound to a schema.
      const unbound = db.url.replace('&search_path=public', '');
      await applyTo(unbound);
      const rows = await db.query<{ n: string }>("SELECT count(*) AS n FROM atlas_schema_revisions.atlas_schema_revisions");
      assert.equal(Number(rows[0]?.n), 1);
    } finally {
      await db.close();
    }
  });

  it('--revisions-schema puts it elsewhere, and a bound URL that would miss it is ambiguous', async () => {
    const db = await servers.fresh('mysql8');
    try {
      const other = `${db.url}_revs`;
      await applyTo(db.url, { revisionsSchema: other.split('/').pop() ?? '' });
      const [row] = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${other.split('/').pop() ?? ''}\`.atlas_schema_revisions`);
      assert.equal(Number(row?.n), 1);
      // A table in the shared schema while the bound schema has none: Atlas refuses to guess.
      const fresh = await servers.fresh('mysql8');
      try {
        await fresh.query('CREATE DATABASE IF NOT EXISTS atlas_schema_revisions');
        await fresh.query('CREATE TABLE IF NOT EXISTS atlas_schema_revisions.atlas_schema_revisions (version varchar(255) PRIMARY KEY)');
        await assert.rejects(applyTo(fresh.url), AmbiguousRevisionTableError);
      } finally {
        await fresh.query('DROP DATABASE atlas_schema_revisions');
        await fresh.close();
      }
    } finally {
      await db.close();
    }
  });
});
