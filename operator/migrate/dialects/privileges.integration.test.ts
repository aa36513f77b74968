/**
 * The accounts users really give a migrator, on every real server: rights
 * on one database (MySQL 8.0, MariaDB 11.4, MariaDB 10.11) or on one schema
 * (PostgreSQL), never global or database-wide ones. Whatever Atlas can apply
 * with such an account, so must we.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServers, type ServerName, type TestServers } from '../../../e2e/databases/targets';
import { apply } from '../apply';
import { directoryFromEntries, type MigrationDirectory } from '../directory';
import { migrationStatus } from '../status';
import { openDriver } from './registry';

const MYSQL_SERVERS: readonly ServerName[] = ['mysql8', 'mariadb11', 'mariadb10'];

let servers: TestServers;
before(async () => {
  servers = await startTestServers([...MYSQL_SERVERS, 'postgres']);
});
after(async () => {
  await servers?.stop();
});

function dir(files: Record<string, string>): MigrationDirectory {
  const entries = Object.entries(files);
  return directoryFromEntries([...entries, ['atlas.sum', directoryFromEntries(entries, 'x').computedSum().format()]], 'x');
}

const FILES = {
  '1_users.sql': 'CREATE TABLE users (id int NOT NULL, name varchar(64) NOT NULL, PRIMARY KEY (id));\n',
  '2_seed.sql': "INSERT INTO users (id, name) VALUES (1, 'a');\nCREATE INDEX users_name ON users (name);\n",
};

/** Applies FILES as `url`'s account, twice (the second run is a no-op), and returns the versions recorded. */
async function applyAs(url: string, revisionsSchema?: string): Promise<string[]> {
  const driver = openDriver(url);
  try {
    const opts = { operatorVersion: 'test', ...(revisionsSchema === undefined ? {} : { revisionsSchema }) };
    const first = await apply(driver, dir(FILES), opts);
    assert.deepEqual(first.files.map((f) => f.name), ['1_users.sql', '2_seed.sql']);
    const again = await apply(driver, dir(FILES), opts);
    assert.equal(again.files.length, 0);
    const status = await migrationStatus(driver, dir(FILES), revisionsSchema === undefined ? {} : { revisionsSchema });
    assert.equal(status.status, 'OK');
    return status.applied.map((r) => r.version);
  } finally {
    await driver.close();
  }
}

let n = 0;
function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${++n}`;
}

describe('MySQL family: an account with rights on its own database only', () => {
  for (const name of MYSQL_SERVERS) {
    const plugins = name === 'mysql8' ? ['caching_sha2_password', 'mysql_native_password'] : [undefined];
    for (const plugin of plugins) {
      it(`${name}${plugin === undefined ? '' : ` (${plugin})`}: applies, re-applies as a no-op, reports status`, async () => {
        const server = servers.server(name);
        const root = await servers.fresh(name);
        const user = uniqueName('app');
        const password = 'pw-' + user;
        try {
          const auth = plugin === undefined ? '' : ` WITH ${plugin}`;
          await root.query(`CREATE USER '${user}'@'%' IDENTIFIED${auth} BY '${password}'`);
          await root.query(`GRANT ALL PRIVILEGES ON \`${root.name}\`.* TO '${user}'@'%'`);
          const url = `mysql://${user}:${password}@${server.host}:${server.port}/${root.name}`;
          assert.deepEqual(await applyAs(url), ['1', '2']);
          const grants = await root.query<Record<string, string>>(`SHOW GRANTS FOR '${user}'@'%'`);
          assert.ok(
            grants.every((g) => !/ON \*\.\*/.test(Object.values(g)[0] ?? '') || /GRANT USAGE ON \*\.\*/.test(Object.values(g)[0] ?? '')),
            'no global rights',
          );
        } finally {
          await root.query(`DROP USER IF EXISTS '${user}'@'%'`);
          await root.close();
        }
      });
    }
  }
});

describe('PostgreSQL: roles with rights on one schema, none on the database', () => {
  async function withRole(fn: (role: { url: (params: string) => string; db: string; query: (sql: string) => Promise<unknown> }) => Promise<void>): Promise<void> {
    const server = servers.server('postgres');
    const db = await servers.fresh('postgres');
    const role = uniqueName('app');
    try {
      await db.query(`CREATE ROLE ${role} LOGIN PASSWORD '${role}-pw'`);
      // PostgreSQL 15 gives PUBLIC no CREATE on schema public; nobody but the owner may create schemas in the database.
      await db.query(`REVOKE CREATE ON DATABASE ${db.name} FROM PUBLIC`);
      const url = (params: string): string => `postgres://${role}:${role}-pw@${server.host}:${server.port}/${db.name}?${params}`;
      await fn({ url, db: db.name, query: (sql) => db.query(sql.replaceAll('$ROLE', role)) });
    } finally {
      await db.close();
    }
  }

  it('USAGE and CREATE on schema public only: applies into public', () =>
    withRole(async (r) => {
      await r.query('GRANT USAGE, CREATE ON SCHEMA public TO $ROLE');
      assert.deepEqual(await applyAs(r.url('sslmode=disable&search_path=public')), ['1', '2']);
    }));

  it('a search_path schema the role owns: applies into it', () =>
    withRole(async (r) => {
      await r.query('CREATE SCHEMA app AUTHORIZATION $ROLE');
      assert.deepEqual(await applyAs(r.url('sslmode=disable&search_path=app')), ['1', '2']);
      const rows = (await r.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'app' ORDER BY 1")) as { table_name: string }[];
      assert.deepEqual(rows.map((t) => t.table_name), ['atlas_schema_revisions', 'users']);
    }));

  it('an unbound URL needs the shared revisions schema: a missing right is a clear error, nothing applied', () =>
    withRole(async (r) => {
      await r.query('GRANT USAGE, CREATE ON SCHEMA public TO $ROLE');
      const driver = openDriver(r.url('sslmode=disable'));
      try {
        await assert.rejects(apply(driver, dir(FILES), { operatorVersion: 'test' }), (e: unknown) => {
          assert.match(String(e), /creating atlas_schema_revisions\.atlas_schema_revisions: .*permission denied for database/);
          assert.ok(!String(e).includes('-pw'), 'no password in the error');
          return true;
        });
      } finally {
        await driver.close();
      }
      const tables = (await r.query("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'users'")) as { n: string }[];
      assert.equal(Number(tables[0]?.n), 0);
    }));
});
