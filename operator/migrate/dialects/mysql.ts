/**
 * MySQL and MariaDB driver (mysql2). The URL's database is the bound schema;
 * the lock is `GET_LOCK(name, seconds)` on a dedicated connection, which the
 * server itself waits on. Server-wide, like Atlas's.
 */
import type { Knex } from 'knex';
import type { Connection } from 'mysql2';
import type { DatabaseUrl } from './database-url';
import type { Unlock } from './driver';
import { InvalidUrlError, LockError, LockTimeoutError, QueryError, QueryTimeoutError } from './errors';
import { DEFAULT_CONNECT_TIMEOUT_MS, KnexDriver, QueryKind, type DriverOptions, type RawConnectionOps } from './knex-driver';
import type { ProbeBackend } from './lint-probe';
import { MySqlProbeBackend } from './lint-probe-mysql';
import { columnTypes, REVISIONS_TABLE, type ColumnTypes } from './revisions-table';

const SYSTEM_SCHEMAS = ['information_schema', 'innodb', 'mysql', 'performance_schema', 'sys'];

function quoteIdent(name: string): string {
  return '`' + name.replaceAll('`', '``') + '`';
}

type TlsConfig = undefined | { rejectUnauthorized: boolean };

/** go-sql-driver's `tls` parameter: true, skip-verify, preferred or false (the default). */
function tlsFor(url: DatabaseUrl): TlsConfig {
  const tls = url.params.get('tls') ?? 'false';
  switch (tls) {
    case 'false':
      return undefined;
    case 'true':
      return { rejectUnauthorized: true };
    case 'skip-verify':
    case 'preferred':
      return { rejectUnauthorized: false };
    default:
      throw new InvalidUrlError(`invalid database URL ${url.redacted}: unsupported tls ${JSON.stringify(tls)}`);
  }
}

/** go-sql-driver's `timeout` parameter: a Go duration such as 5s or 500ms. */
function dialTimeoutMs(url: DatabaseUrl): number | undefined {
  const text = url.params.get('timeout');
  if (text === null) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (m === null) throw new InvalidUrlError(`invalid database URL ${url.redacted}: invalid timeout ${JSON.stringify(text)}`);
  const unit = m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000;
  return Number(m[1]) * unit;
}

export class MySqlDriver extends KnexDriver<Connection> {
  readonly dialect = 'mysql';
  readonly transactionalDdl = false;
  private flavor: Promise<ColumnTypes> | undefined;

  constructor(url: DatabaseUrl, options: DriverOptions = {}) {
    const timeout = dialTimeoutMs(url) ?? options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const ssl = tlsFor(url);
    super(
      url,
      {
        client: 'mysql2',
        connection: {
          host: url.host,
          port: url.port ?? 3306,
          user: url.user,
          password: url.password,
          database: url.database,
          charset: url.params.get('charset') ?? 'utf8mb4',
          // Atlas's driver sends and reads times in UTC.
          timezone: 'Z',
          connectTimeout: timeout,
          // A connection left half-open by a failover fails instead of hanging a run forever.
          enableKeepAlive: true,
          keepAliveInitialDelay: 30_000,
          supportBigNumbers: true,
          ...(ssl === undefined ? {} : { ssl }),
        },
        pool: { min: 0, max: 4 },
      },
      { ...options, connectTimeoutMs: timeout },
    );
  }

  get boundSchema(): string | undefined {
    return this.url.database;
  }

  /** go-sql-driver's form: `Error 1136 (21S01): Column count doesn't match value count at row 1`. */
  protected override statementError(e: unknown): string {
    const err = e as { errno?: number; sqlState?: string; sqlMessage?: string };
    if (err.errno === undefined || err.sqlMessage === undefined) return this.scrub(e);
    const state = err.sqlState === undefined ? '' : ` (${err.sqlState})`;
    return this.scrub(`Error ${err.errno}${state}: ${err.sqlMessage}`);
  }

  protected get raw(): RawConnectionOps<Connection> {
    return {
      execute: (conn, sql) =>
        new Promise((resolve, reject) => {
          conn.query(sql, (err) => (err === null ? resolve() : reject(err)));
        }),
      begin: 'START TRANSACTION',
    };
  }

  protected probeBackend(conn: Connection, timeoutMs: number): ProbeBackend {
    return new MySqlProbeBackend(conn, timeoutMs);
  }

  /**
   * MySQL has no per-transaction statement timeout: MAX_EXECUTION_TIME
   * bounds read-only SELECTs only, and is given to the revisions reads as a
   * hint (boundedSelect; MariaDB reads it as a comment). Everything else is
   * bounded by the client, which drops the connection (boundedOn).
   */
  protected serverBound<T>(_conn: Connection, _ms: number, run: () => Promise<T>): Promise<T> {
    return run();
  }

  protected override boundedSelect(query: Knex.QueryBuilder): Knex.QueryBuilder {
    return this.queryTimeoutMs > 0 ? query.hintComment(`MAX_EXECUTION_TIME(${Math.max(1, Math.round(this.queryTimeoutMs))})`) : query;
  }

  /** ER_QUERY_TIMEOUT (MAX_EXECUTION_TIME), ER_STATEMENT_TIMEOUT (MariaDB's max_statement_time). */
  protected isServerTimeout(e: unknown): boolean {
    const errno = (e as { errno?: number } | undefined)?.errno;
    return errno === 3024 || errno === 1969;
  }

  protected destroyConnection(conn: Connection): void {
    conn.destroy();
  }

  /** MariaDB, and MySQL before 8.0.2, get Ent's NULL-able timestamp; old servers get varchar(191). */
  protected columnTypes(): Promise<ColumnTypes> {
    this.flavor ??= (async () => {
      const r = (await this.sql('SELECT VERSION() AS v')) as [{ v: string }[], unknown];
      const version = r[0][0]?.v ?? '';
      const mariadb = /mariadb/i.test(version);
      const [major = 0, minor = 0, patch = 0] = version.split(/[.-]/).map(Number);
      const n = major * 10_000 + minor * 100 + patch;
      const legacyVarchar = mariadb ? n < 100202 : n < 50700;
      return columnTypes('mysql', { mariadb: mariadb || n < 80002, legacyVarchar });
    })();
    return this.flavor;
  }

  protected async ensureSchema(schema: string): Promise<void> {
    // An account with rights on its own database only may not run CREATE DATABASE, even IF NOT EXISTS.
    const [rows] = (await this.sql('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [schema])) as [unknown[]];
    if (rows.length > 0) return;
    await this.sql(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(schema)}`);
  }

  async lock(name: string, timeoutMs: number): Promise<Unlock> {
    const conn = await this.acquire();
    let result: number | null | undefined;
    try {
      const seconds = Math.floor(timeoutMs / 1000);
      // The server waits for the lock up to lockTimeout itself: the query is bounded past that wait.
      result = await this.boundedOn(conn, QueryKind.lock, () => this.queryScalar(conn, 'SELECT GET_LOCK(?, ?) AS locked', [name, seconds]), { clientOnly: true, extraMs: seconds * 1000 });
    } catch (e) {
      await this.releaseConnection(conn);
      if (e instanceof QueryTimeoutError) throw e;
      throw new LockError(`acquiring database lock: ${this.scrub(e)}`);
    }
    if (result !== 1) {
      await this.releaseConnection(conn);
      if (result === 0) throw new LockTimeoutError(name, timeoutMs);
      throw new LockError(`acquiring database lock: sql/mysql: unexpected internal error on Lock(${JSON.stringify(name)}, ${timeoutMs}ms)`);
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      try {
        await this.boundedOn(conn, QueryKind.unlock, () => this.queryScalar(conn, 'SELECT RELEASE_LOCK(?) AS locked', [name]), { clientOnly: true });
      } finally {
        await this.releaseConnection(conn);
      }
    };
  }

  private queryScalar(conn: Connection, sql: string, values: unknown[]): Promise<number | null | undefined> {
    return new Promise((resolve, reject) => {
      conn.query(sql, values, (err, rows) => {
        if (err !== null) reject(err);
        else resolve((rows as { locked: number | null }[])[0]?.locked);
      });
    });
  }

  async checkClean(revisionsSchema: string): Promise<string | undefined> {
    try {
      return await this.bounded(QueryKind.checkClean, () => this.findDirt(revisionsSchema));
    } catch (e) {
      throw this.timeoutOr(e, () => new QueryError(`checking whether the database is clean: ${this.scrub(e)}`));
    }
  }

  private async findDirt(revisionsSchema: string): Promise<string | undefined> {
    const bound = this.boundSchema;
    if (bound !== undefined) {
      const tables = await this.tables([bound]);
      if (tables.length === 0) return undefined;
      if (bound === revisionsSchema && tables.length === 1 && tables[0]?.name === REVISIONS_TABLE) return undefined;
      // Atlas names the first table by name, which can be its own revisions table; name a real culprit.
      const culprit = tables.find((t) => t.name !== REVISIONS_TABLE) ?? tables[0];
      return `found table ${JSON.stringify(culprit?.name)} in schema ${JSON.stringify(bound)}`;
    }
    return await this.checkRealm(revisionsSchema);
  }

  private async checkRealm(revisionsSchema: string): Promise<string | undefined> {
    const r = (await this.sql(
      `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN (${SYSTEM_SCHEMAS.map(() => '?').join(', ')}) ORDER BY SCHEMA_NAME`,
      SYSTEM_SCHEMAS,
    )) as [{ name: string }[], unknown];
    const schemas = r[0].map((row) => row.name);
    if (schemas.length > 1) return `found multiple schemas: ${schemas.length}`;
    const only = schemas[0];
    if (only === undefined) return undefined;
    if (only !== revisionsSchema) return `found schema ${JSON.stringify(only)}`;
    const tables = await this.tables([only]);
    if (tables.length > 1) return `found multiple tables: ${tables.length}`;
    if (tables.length === 1 && tables[0]?.name !== REVISIONS_TABLE) return `found table ${JSON.stringify(tables[0]?.name)}`;
    return undefined;
  }

  private async tables(schemas: string[]): Promise<{ name: string }[]> {
    const r = (await this.sql(
      `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (${schemas.map(() => '?').join(', ')}) AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
      schemas,
    )) as [{ name: string }[], unknown];
    return r[0];
  }
}
