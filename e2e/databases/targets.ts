/**
 * Test targets: one fresh, empty database per call on each real server
 * (MySQL 8.0, MariaDB 11.4, MariaDB 10.11 and PostgreSQL 15 started by this
 * process, SQLite in a temp file), with a small query helper and a dump for
 * "nothing changed" comparisons.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { DialectName } from '../../operator/migrate/dialects/syntax';
import { MYSQL_FAMILY, startMySqlFamily, type MySqlFamilyServer } from './mysql-family';
import { startPostgres } from './postgres';
import { usePrivateTmpdir } from './private-tmpdir';
import type { TestDatabaseServer } from './server-process';

/** Every database the suites run on. */
export const TARGET_NAMES = ['mysql8', 'mariadb11', 'mariadb10', 'postgres', 'sqlite'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];
/** Targets that are servers (all but SQLite). */
export type ServerName = Exclude<TargetName, 'sqlite'>;

export const TARGET_DIALECT: Readonly<Record<TargetName, DialectName>> = Object.freeze({
  mysql8: 'mysql',
  mariadb11: 'mysql',
  mariadb10: 'mysql',
  postgres: 'postgres',
  sqlite: 'sqlite',
});

export interface TestDatabase {
  readonly target: TargetName;
  readonly dialect: DialectName;
  /** The database's name on its server (the file path on SQLite). */
  readonly name: string;
  /** URL bound to the fresh database (MySQL database, Postgres search_path=public, SQLite file). */
  readonly url: string;
  /** Runs SQL on the database and returns rows. */
  query<T = Record<string, unknown>>(sql: string, bindings?: unknown[]): Promise<T[]>;
  /** A stable fingerprint of schema and data, for "nothing changed" checks. */
  dump(): Promise<string>;
  close(): Promise<void>;
}

export interface TestServers {
  server(name: ServerName): TestDatabaseServer;
  fresh(target: TargetName): Promise<TestDatabase>;
  stop(): Promise<void>;
}

let counter = 0;

function rowsOf<T>(dialect: DialectName, result: unknown): T[] {
  if (dialect === 'postgres') return (result as { rows: T[] }).rows;
  if (dialect === 'mysql') return (result as [T[], unknown])[0];
  return result as T[];
}

interface Wrapped {
  readonly target: TargetName;
  readonly name: string;
  readonly url: string;
  readonly knex: Knex;
  readonly dump: () => Promise<string>;
  readonly cleanup: () => void;
}

function wrap(w: Wrapped): TestDatabase {
  const dialect = TARGET_DIALECT[w.target];
  return {
    target: w.target,
    dialect,
    name: w.name,
    url: w.url,
    query: async <T>(sql: string, bindings: unknown[] = []) => rowsOf<T>(dialect, await w.knex.raw(sql, bindings as Knex.RawBinding[])),
    dump: w.dump,
    close: async () => {
      await w.knex.destroy();
      w.cleanup();
    },
  };
}

async function freshPostgres(server: TestDatabaseServer): Promise<TestDatabase> {
  const name = `test_${process.pid}_${++counter}`;
  const admin = knexFactory({ client: 'pg', connection: server.url });
  await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  const knex = knexFactory({ client: 'pg', connection: { connectionString: server.urlFor(name), options: '-c search_path=public' } });
  const dump = (): Promise<string> =>
    Promise.resolve(
      execFileSync('pg_dump', ['--no-owner', '--no-privileges', '-d', server.urlFor(name)], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => !l.startsWith('--') && !/^\\(un)?restrict /.test(l))
        .join('\n'),
    );
  return wrap({ target: 'postgres', name, url: server.urlFor(name, 'sslmode=disable&search_path=public'), knex, dump, cleanup: () => undefined });
}

/** Every table's DDL and rows, in name order: enough to tell whether anything changed. */
async function dumpMySql(knex: Knex, database: string): Promise<string> {
  const [tables] = (await knex.raw('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [database])) as [
    { t: string }[],
  ];
  const parts: string[] = [];
  for (const { t } of tables) {
    const [[ddl]] = (await knex.raw('SHOW CREATE TABLE ??.??', [database, t])) as [Record<string, string>[]];
    const [rows] = (await knex.raw('SELECT * FROM ??.?? ORDER BY 1', [database, t])) as [unknown[]];
    parts.push(JSON.stringify({ ddl: Object.values(ddl ?? {}), rows }));
  }
  return parts.join('\n');
}

async function freshMySql(target: MySqlFamilyServer, server: TestDatabaseServer): Promise<TestDatabase> {
  const name = `test_${process.pid}_${++counter}`;
  const connection = { host: server.host, port: server.port, user: server.user, password: server.password };
  const admin = knexFactory({ client: 'mysql2', connection });
  await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  const knex = knexFactory({ client: 'mysql2', connection: { ...connection, database: name, multipleStatements: true, timezone: 'Z' } });
  return wrap({ target, name, url: server.urlFor(name), knex, dump: () => dumpMySql(knex, name), cleanup: () => undefined });
}

function freshSqlite(): TestDatabase {
  // SQLite's lock file is in the temporary directory: this test process gets one of its own.
  usePrivateTmpdir();
  const dir = mkdtempSync(join(tmpdir(), 'test-sqlite-'));
  const file = join(dir, 'test.db');
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  const dump = (): Promise<string> => {
    try {
      return Promise.resolve(createHash('sha256').update(readFileSync(file)).digest('hex'));
    } catch {
      return Promise.resolve('absent');
    }
  };
  return wrap({ target: 'sqlite', name: file, url: `sqlite://${file}`, knex, dump, cleanup: () => rmSync(dir, { recursive: true, force: true }) });
}

function isMySqlFamily(name: TargetName): name is MySqlFamilyServer {
  return (MYSQL_FAMILY as readonly string[]).includes(name);
}

async function startServer(name: ServerName): Promise<TestDatabaseServer> {
  return isMySqlFamily(name) ? startMySqlFamily(name) : startPostgres();
}

/**
 * Starts the servers behind `targets` (default: all) in parallel. The
 * servers stop with stop(), and in any case when the process exits.
 */
export async function startTestServers(targets: readonly TargetName[] = TARGET_NAMES): Promise<TestServers> {
  const names = targets.filter((t): t is ServerName => t !== 'sqlite');
  const started = new Map<ServerName, TestDatabaseServer>();
  const results = await Promise.allSettled(names.map(async (n) => started.set(n, await startServer(n))));
  const failed = results.find((r) => r.status === 'rejected');
  const stop = async (): Promise<void> => {
    await Promise.all([...started.values()].map((s) => s.stop()));
  };
  if (failed !== undefined) {
    await stop();
    throw failed.reason;
  }
  const server = (name: ServerName): TestDatabaseServer => {
    const s = started.get(name);
    if (s === undefined) throw new Error(`server ${name} was not started (started: ${[...started.keys()].join(', ')})`);
    return s;
  };
  return {
    server,
    fresh: (target) => {
      if (target === 'sqlite') return Promise.resolve(freshSqlite());
      if (target === 'postgres') return freshPostgres(server(target));
      return freshMySql(target, server(target));
    },
    stop,
  };
}
