/**
 * PostgreSQL driver (pg). Atlas's rules: the URL is bound to a schema only
 * through `search_path`; the lock is the advisory lock keyed by FNV-32 of
 * the lock name, polled with a growing, jittered back-off.
 */
import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import type { DatabaseUrl } from './database-url';
import type { Unlock } from './driver';
import { InvalidUrlError, LockError, LockTimeoutError, QueryError, QueryTimeoutError } from './errors';
import { DEFAULT_CONNECT_TIMEOUT_MS, KnexDriver, QueryKind, type DriverOptions, type RawConnectionOps } from './knex-driver';
import type { ProbeBackend } from './lint-probe';
import { PostgresProbeBackend } from './lint-probe-postgres';
import { columnTypes, REVISIONS_TABLE, type ColumnTypes } from './revisions-table';
import type { SessionCache } from './session-cache';
import { sleep } from './sleep';

/** Go's hash/fnv New32 (FNV-1, not FNV-1a), as Atlas uses for the lock key. */
export function fnv32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash = Math.imul(hash, 0x01000193) >>> 0;
    hash = (hash ^ byte) >>> 0;
  }
  return hash;
}

type SslConfig = false | { rejectUnauthorized: boolean };

/** lib/pq's sslmode, which Atlas uses: `require` when absent. */
function sslFor(url: DatabaseUrl): SslConfig {
  const mode = url.params.get('sslmode') ?? 'require';
  switch (mode) {
    case 'disable':
      return false;
    case 'require':
    case 'prefer':
    case 'allow':
      return { rejectUnauthorized: false };
    case 'verify-ca':
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      throw new InvalidUrlError(`invalid database URL ${url.redacted}: unknown sslmode ${JSON.stringify(mode)}`);
  }
}

function quoteIdent(name: string): string {
  return '"' + name.replaceAll('"', '""') + '"';
}

/** Schemas Atlas never counts when deciding whether a database is clean. */
const SCHEMAS_SQL = `
  SELECT n.nspname AS name FROM pg_catalog.pg_namespace n
  WHERE n.nspname NOT IN ('information_schema', 'pg_catalog', 'pg_toast', 'crdb_internal', 'pg_extension')
    AND n.nspname NOT LIKE 'pg_%temp_%'
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
  ORDER BY n.nspname`;

/** information_schema.tables' visibility rule: a role sees a table it owns, or has a right on, or on one of its columns. */
const VISIBLE_TO_ROLE = `(pg_catalog.pg_has_role(c.relowner, 'USAGE')
      OR pg_catalog.has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
      OR pg_catalog.has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))`;

/** The oid of a schema other sessions' temporary schemas aside, by name (the name typed, so pg_namespace's index serves). */
const SCHEMA_OID = `(SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = ?::name AND NOT pg_catalog.pg_is_other_temp_schema(n.oid))`;

/**
 * information_schema.tables' BASE TABLEs of one schema (ordinary and
 * partitioned tables, not in this session's temporary schema), found
 * through pg_depend, whose index holds each relation's link to its schema:
 * pg_class has no index on the schema, so the view scanned all of it
 * (1.3-6.5 ms with 1,800 tenant schemas, growing with them), 0.3 ms this way.
 */
const TABLES_SQL = `
  SELECT c.relname AS name FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class c ON c.oid = d.objid
  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
    AND d.refobjid = ${SCHEMA_OID} AND d.objsubid = 0
    AND c.relnamespace = d.refobjid AND c.relkind IN ('r', 'p') AND c.relnamespace <> pg_catalog.pg_my_temp_schema()
    AND ${VISIBLE_TO_ROLE}
  ORDER BY c.relname`;

/**
 * knex's hasTable (is there a row of information_schema.tables with this
 * schema and name?) asked of pg_catalog with the view's own filters: its
 * relkinds, other sessions' temporary schemas hidden, a table listed only
 * to a role that owns it or has a right on it or its columns. The view's
 * joins let the planner take every table of that name (one per tenant)
 * and scan pg_namespace for each: 3-4 ms with 200 tenants and growing with
 * their number, three times in each new tenant's run, under the database
 * lock. Finding the schema's oid first makes it one probe of pg_class's
 * (relname, relnamespace) index: 0.03 ms.
 */
const TABLE_EXISTS_SQL = `
  SELECT 1 FROM pg_catalog.pg_class c
  WHERE c.relnamespace = ${SCHEMA_OID} AND c.relname = ?::name AND c.relkind IN ('r', 'v', 'f', 'p')
    AND ${VISIBLE_TO_ROLE}`;

/** The part of knex's pg client that makes and ends sessions (its pool calls these). */
interface RawConnectionMaker {
  acquireRawConnection(): Promise<Client>;
  destroyRawConnection(conn: Client): Promise<void>;
}

/** knex marks a session whose socket failed or ended (its own 'error' and 'end' listeners). */
function disposed(conn: Client): boolean {
  return (conn as unknown as { __knex__disposed?: unknown }).__knex__disposed !== undefined;
}

export class PostgresDriver extends KnexDriver<Client> {
  readonly dialect = 'postgres';
  readonly transactionalDdl = true;
  /** With kept sessions: says the cache this driver is closed (see keepSessions). */
  private leaveCache: (() => void) | undefined;

  constructor(url: DatabaseUrl, options: DriverOptions = {}) {
    const connectTimeout = Number(url.params.get('connect_timeout') ?? NaN) * 1000;
    const timeout = Number.isFinite(connectTimeout) && connectTimeout > 0 ? connectTimeout : options.connectTimeoutMs;
    const searchPath = url.params.get('search_path');
    super(
      url,
      {
        client: 'pg',
        connection: {
          host: url.host,
          port: url.port ?? 5432,
          user: url.user,
          password: url.password,
          database: url.database,
          ssl: sslFor(url),
          connectionTimeoutMillis: timeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
          // A connection left half-open by a failover fails instead of hanging a run (and its database) forever.
          keepAlive: true,
          keepAliveInitialDelayMillis: 30_000,
          application_name: url.params.get('application_name') ?? 'atlas-k8s-migrator',
          // A session that may be kept for another tenant gets its schema by a SET instead (keepSessions).
          ...(searchPath === null || options.sessions !== undefined ? {} : { options: `-c search_path=${searchPath}` }),
        },
        pool: { min: 0, max: 4 },
        // knex asks every new connection for the server version, which only its schema builder's
        // json type uses (we write the revisions DDL ourselves): name the oldest version Atlas supports instead.
        version: '9.6',
      },
      { ...options, ...(timeout === undefined ? {} : { connectTimeoutMs: timeout }) },
    );
    if (options.sessions !== undefined) this.keepSessions(options.sessions, searchPath);
  }

  /**
   * Sessions come from `cache` when one with the same credentials is kept,
   * and go back to it when this driver closes: reset first with DISCARD
   * ALL (temporary tables, prepared statements, LISTENs, advisory locks,
   * every parameter back to its default: PgBouncer's server_reset_query),
   * then bound to this URL's schema with set_config, which parses the
   * value as the startup parameter would. A session that failed, or that
   * a run left inside a transaction (DISCARD ALL refuses to run there), is
   * ended instead, and so is one no other open driver of the same key can
   * take (SessionCache.wanted).
   */
  private keepSessions(cache: SessionCache<object>, searchPath: string | null): void {
    const maker = this.knex.client as RawConnectionMaker;
    const create = maker.acquireRawConnection.bind(maker);
    const end = maker.destroyRawConnection.bind(maker);
    const endQuietly = (conn: Client): void => void end(conn).catch(() => undefined);
    const key = this.sessionKey();
    const bind = async (conn: Client): Promise<Client> => {
      if (searchPath !== null) await conn.query("SELECT pg_catalog.set_config('search_path', $1, false)", [searchPath]);
      return conn;
    };
    maker.acquireRawConnection = async () => {
      const kept = cache.take(key) as Client | undefined;
      if (kept !== undefined && !disposed(kept)) {
        try {
          return await bind(kept);
        } catch {
          endQuietly(kept); // it died while kept: log in anew
        }
      } else if (kept !== undefined) endQuietly(kept);
      return bind(await create());
    };
    this.leaveCache = cache.opened(key);
    maker.destroyRawConnection = async (conn) => {
      if (!disposed(conn) && cache.wanted(key)) {
        try {
          await this.boundedOn(conn, QueryKind.resetSession, () => conn.query('DISCARD ALL'), { clientOnly: true });
          if (!disposed(conn)) return cache.keep(key, conn, (c) => endQuietly(c as Client));
        } catch {
          // Inside a transaction, or broken: not kept.
        }
      }
      await end(conn);
    };
  }

  /** Its sessions kept or ended first, so that the last open driver of a key ends the key's kept sessions. */
  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      this.leaveCache?.();
    }
  }

  /** Who a session is: server, database, credentials, TLS and startup parameters (the password only as part of a hash). */
  private sessionKey(): string {
    const c = (this.knex.client as unknown as { connectionSettings: Record<string, unknown> }).connectionSettings;
    const identity = JSON.stringify([c.host, c.port, c.database, c.user, c.password, c.ssl, c.application_name, c.options ?? null]);
    return 'postgres:' + createHash('sha256').update(identity).digest('hex');
  }

  get boundSchema(): string | undefined {
    const searchPath = this.url.params.get('search_path');
    return searchPath === null || searchPath === '' ? undefined : searchPath;
  }

  /** lib/pq's form: `pq: <message> at column <n> (<code>)` (the column only for one-line statements). */
  protected override statementError(e: unknown, sql: string): string {
    const err = e as { message?: string; code?: string; position?: string };
    if (err.code === undefined || err.message === undefined) return this.scrub(e);
    const position = err.position !== undefined && !sql.includes('\n') ? ` at column ${err.position}` : '';
    return this.scrub(`pq: ${err.message}${position} (${err.code})`);
  }

  protected get raw(): RawConnectionOps<Client> {
    return {
      execute: async (conn, sql) => {
        await conn.query(sql);
      },
      begin: 'BEGIN',
    };
  }

  protected probeBackend(conn: Client, timeoutMs: number): ProbeBackend {
    return new PostgresProbeBackend(conn, timeoutMs);
  }

  /**
   * statement_timeout for one transaction of the engine's own (SET LOCAL):
   * it bounds running and lock waits alike, and never outlives the
   * transaction, so a migration's statements and any timeout the user's
   * role or session sets are left alone.
   */
  protected async serverBound<T>(conn: Client, ms: number, run: () => Promise<T>): Promise<T> {
    await conn.query(`BEGIN; SET LOCAL statement_timeout = ${Math.max(1, Math.round(ms))}`);
    try {
      const result = await run();
      await conn.query('COMMIT');
      return result;
    } catch (e) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /** query_canceled: statement_timeout fired. */
  protected isServerTimeout(e: unknown): boolean {
    return (e as { code?: string } | undefined)?.code === '57014';
  }

  protected destroyConnection(conn: Client): void {
    (conn as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  }

  protected columnTypes(): Promise<ColumnTypes> {
    return Promise.resolve(columnTypes('postgres'));
  }

  protected async ensureSchema(schema: string): Promise<void> {
    // PostgreSQL checks CREATE on the database before it looks at IF NOT EXISTS, so a role
    // with rights on its schema only would be refused: create only what is missing.
    if (await this.schemaExists(schema)) return;
    await this.sql(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  }

  protected override async tableExists(schema: string): Promise<boolean> {
    return (await this.sql<{ rows: unknown[] }>(TABLE_EXISTS_SQL, [schema, REVISIONS_TABLE])).rows.length > 0;
  }

  private async schemaExists(schema: string): Promise<boolean> {
    const r = await this.sql<{ rows: unknown[] }>('SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ?::name', [schema]);
    return r.rows.length > 0;
  }

  async lock(name: string, timeoutMs: number, signal?: AbortSignal): Promise<Unlock> {
    const key = fnv32(name);
    const conn = await this.acquire();
    try {
      await this.pollLock(conn, key, name, timeoutMs, signal);
    } catch (e) {
      await this.releaseConnection(conn);
      throw e;
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      try {
        // A migration's own transaction may still be open here (txMode none): bounded by the client only.
        const r = await this.boundedOn(conn, QueryKind.unlock, () => conn.query<{ unlocked: boolean | null }>('SELECT pg_advisory_unlock($1) AS unlocked', [key]), { clientOnly: true });
        if (r.rows[0]?.unlocked !== true) throw new LockError(`sql/postgres: failed releasing lock ${key}`);
      } finally {
        await this.releaseConnection(conn);
      }
    };
  }

  /** Atlas's schedule: 25 ms doubling up to 1 s, plus up to as much jitter, until the timeout passes. */
  private async pollLock(conn: Client, key: number, name: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const started = Date.now();
    for (let interval = 25; ; interval *= 2) {
      let locked: boolean | null | undefined;
      try {
        // The try never waits for the lock (the polling does, up to lockTimeout); its query alone is bounded,
        // by the client: a statement_timeout transaction around it would cost two more round trips per
        // run, under the database's turn, for a query that never waits inside the server.
        const r = await this.boundedOn(conn, QueryKind.lock, () => conn.query<{ locked: boolean | null }>('SELECT pg_try_advisory_lock($1) AS locked', [key]), { clientOnly: true });
        locked = r.rows[0]?.locked;
      } catch (e) {
        if (e instanceof QueryTimeoutError) throw e;
        throw new LockError(`acquiring database lock: ${this.scrub(e)}`);
      }
      if (locked === true) return;
      if (Date.now() - started > timeoutMs) throw new LockTimeoutError(name, timeoutMs);
      const d = Math.min(interval, 1000);
      await sleep(d + Math.floor(Math.random() * d), signal);
    }
  }

  async checkClean(revisionsSchema: string): Promise<string | undefined> {
    try {
      return await this.bounded(QueryKind.checkClean, () => this.findDirt(revisionsSchema));
    } catch (e) {
      if (e instanceof QueryError) throw e;
      throw this.timeoutOr(e, () => this.queryError('checking whether the database is clean', e));
    }
  }

  private async findDirt(revisionsSchema: string): Promise<string | undefined> {
    const bound = this.boundSchema;
    if (bound !== undefined) return await this.checkBoundSchema(bound, revisionsSchema);
    const schemas = (await this.sql<{ rows: { name: string }[] }>(SCHEMAS_SQL)).rows;
    for (const { name } of schemas) {
      const tables = await this.tables(name);
      if (tables.length === 0 && name === 'public') continue;
      if (tables.length === 0 || name !== revisionsSchema) return `found schema ${JSON.stringify(name)}`;
      if (tables.length > 1) return `found ${tables.length} tables in schema ${JSON.stringify(name)}`;
      if (tables[0] !== REVISIONS_TABLE) return `found table ${JSON.stringify(tables[0])} in schema ${JSON.stringify(name)}`;
    }
    return undefined;
  }

  private async checkBoundSchema(schema: string, revisionsSchema: string): Promise<string | undefined> {
    const tables = await this.tables(schema);
    // A schema with tables exists (usually it holds the revisions table just created): asked only when it has none.
    if (tables.length === 0) {
      if (!(await this.schemaExists(schema))) throw new QueryError(`sql/postgres: schema ${JSON.stringify(schema)} was not found`);
      return undefined;
    }
    if (schema === revisionsSchema && tables.length === 1 && tables[0] === REVISIONS_TABLE) return undefined;
    // Atlas names the first table by name, which can be its own revisions table; name a real culprit.
    const culprit = tables.find((t) => t !== REVISIONS_TABLE) ?? tables[0];
    return `found table ${JSON.stringify(culprit)} in schema ${JSON.stringify(schema)}`;
  }

  private async tables(schema: string): Promise<string[]> {
    const r = await this.sql<{ rows: { name: string }[] }>(TABLES_SQL, [schema]);
    return r.rows.map((row) => row.name);
  }
}
