/**
 * Test targets: one fresh, empty database per call on each real server
 * (PostgreSQL and MariaDB started by this process, SQLite in a temp file),
 * with a small query helper and a dump for byte-level comparisons.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { DialectName } from '../../operator/migrate/dialects/syntax';
import { startMariaDb } from './mariadb';
import { startPostgres, type TestDatabaseServer } from './postgres';

export interface TestDatabase {
  readonly dialect: DialectName;
  /** URL bound to the fresh database (MySQL database, Postgres search_path=public, SQLite file). */
  readonly url: string;
  /** Runs SQL on the database and returns rows. */
  query<T = Record<string, unknown>>(sql: string, bindings?: unknown[]): Promise<T[]>;
  /** A stable fingerprint of schema and data, for "nothing changed" checks. */
  dump(): Promise<string>;
  close(): Promise<void>;
}

export interface TestServers {
  readonly postgres: TestDatabaseServer;
  readonly mariadb: TestDatabaseServer;
  fresh(dialect: DialectName): Promise<TestDatabase>;
  stop(): Promise<void>;
}

let counter = 0;

function rowsOf<T>(dialect: DialectName, result: unknown): T[] {
  if (dialect === 'postgres') return (result as { rows: T[] }).rows;
  if (dialect === 'mysql') return (result as [T[], unknown])[0];
  return result as T[];
}

function wrap(dialect: DialectName, url: string, knex: Knex, dump: () => string, cleanup: () => void): TestDatabase {
  return {
    dialect,
    url,
    query: async <T>(sql: string, bindings: unknown[] = []) => rowsOf<T>(dialect, await knex.raw(sql, bindings as Knex.RawBinding[])),
    dump: () => Promise.resolve(dump()),
    close: async () => {
      await knex.destroy();
      cleanup();
    },
  };
}

async function freshPostgres(server: TestDatabaseServer): Promise<TestDatabase> {
  const name = `test_${process.pid}_${++counter}`;
  const admin = knexFactory({ client: 'pg', connection: server.url });
  await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  const url = server.urlFor(name, 'sslmode=disable&search_path=public');
  const knex = knexFactory({ client: 'pg', connection: { connectionString: server.urlFor(name), options: '-c search_path=public' } });
  const dump = (): string =>
    execFileSync('pg_dump', ['--no-owner', '--no-privileges', '-d', server.urlFor(name)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => !l.startsWith('--') && !/^\\(un)?restrict /.test(l))
      .join('\n');
  return wrap('postgres', url, knex, dump, () => undefined);
}

async function freshMariaDb(server: TestDatabaseServer): Promise<TestDatabase> {
  const name = `test_${process.pid}_${++counter}`;
  const admin = knexFactory({ client: 'mysql2', connection: { host: server.host, port: server.port, user: server.user, password: server.password } });
  await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  const url = server.urlFor(name);
  const knex = knexFactory({
    client: 'mysql2',
    connection: { host: server.host, port: server.port, user: server.user, password: server.password, database: name, multipleStatements: true },
  });
  const dump = (): string =>
    execFileSync(
      'mariadb-dump',
      ['--skip-dump-date', '--skip-comments', '-h', server.host, '-P', String(server.port), '-u', server.user, `-p${server.password}`, '--databases', name],
      { encoding: 'utf8' },
    );
  return wrap('mysql', url, knex, dump, () => undefined);
}

function freshSqlite(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'test-sqlite-'));
  const file = join(dir, 'test.db');
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  const dump = (): string => {
    try {
      return createHash('sha256').update(readFileSync(file)).digest('hex');
    } catch {
      return 'absent';
    }
  };
  return wrap('sqlite', `sqlite://${file}`, knex, dump, () => rmSync(dir, { recursive: true, force: true }));
}

export async function startTestServers(): Promise<TestServers> {
  const [postgres, mariadb] = await Promise.all([startPostgres(), startMariaDb()]);
  return {
    postgres,
    mariadb,
    fresh: (dialect) => {
      if (dialect === 'postgres') return freshPostgres(postgres);
      if (dialect === 'mysql') return freshMariaDb(mariadb);
      return Promise.resolve(freshSqlite());
    },
    stop: async () => {
      await Promise.all([postgres.stop(), mariadb.stop()]);
    },
  };
}
