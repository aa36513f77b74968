/**
 * What the three drivers share: a knex pool, the revisions table through
 * knex's builders, and sessions on raw connections. Migration statements
 * never go through knex.raw (it rewrites every `?` on Postgres); they run on
 * the driver connection itself.
 */
import knexFactory, { type Knex } from 'knex';
import type { DatabaseUrl } from './database-url';
import { scrubSecret } from './database-url';
import { DEFAULT_QUERY_TIMEOUT_MS, type Driver, type Session, type Unlock } from './driver';
import { ConnectError, QueryError, QueryTimeoutError, RevisionsTableError } from './errors';
import { CountingProbe, type LintProbe, type ProbeBackend } from './lint-probe';
import type { SessionCache } from './session-cache';
import { LONGEST_TIMER_MS } from './sleep';
import type { Revision } from './revision';
import {
  CLOUD_IDENTIFIER_VERSION,
  DEFAULT_REVISIONS_SCHEMA,
  COLUMN_NAMES,
  revisionsTableDdl,
  MUTABLE_COLUMNS,
  REVISIONS_TABLE,
  revisionToRow,
  rowToRevision,
  type ColumnTypes,
} from './revisions-table';
import { type DialectName, SQL_SYNTAX, type SqlSyntax } from './syntax';

export interface DriverOptions {
  /** Upper bound for connecting and for taking a pooled connection. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /**
   * Upper bound of each query the engine makes itself (the revisions table,
   * the lock's own query, the dirty check), never of a migration's
   * statements. Default 30 s; 0: no bound.
   */
  readonly queryTimeoutMs?: number;
  /**
   * Where sessions are kept between runs (PostgreSQL): a run takes a kept
   * session of the same credentials instead of logging in, and its own is
   * reset and kept when the driver closes. Only for runs whose statements
   * never reset a session parameter to its default (migrate/session-defaults.ts).
   */
  readonly sessions?: SessionCache<object>;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** How long past the bound the client waits for the server's own cancellation before it drops the connection. */
export const CLIENT_GRACE_MS = 5_000;

/** What each bounded query is called in its timeout error. */
export const QueryKind = Object.freeze({
  tableExists: 'checking for the revisions table',
  ensureTable: 'checking or creating the revisions table',
  readRevisions: 'reading the revisions table',
  readLastRevision: 'reading the last revision',
  lock: "the database lock's query",
  unlock: 'releasing the database lock',
  checkClean: 'checking whether the database is clean',
  resetSession: 'resetting a session before keeping it',
  planning: 'reading the history before planning',
});

/** The part of knex's (untyped) client used to borrow raw driver connections. */
interface PoolClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
}

/** Transaction verbs and raw execution on one driver connection. */
export interface RawConnectionOps<C> {
  execute(conn: C, sql: string): Promise<void>;
  readonly begin: string;
}

export abstract class KnexDriver<C = unknown> implements Driver {
  abstract readonly dialect: DialectName;
  abstract readonly transactionalDdl: boolean;
  protected readonly knex: Knex;
  protected readonly connectTimeoutMs: number;
  protected readonly queryTimeoutMs: number;
  /** The connection every query uses while held (see hold()). */
  private held: C | undefined;
  /** The connection of the bounded query under way (see bounded()). */
  private pinned: C | undefined;

  protected constructor(
    readonly url: DatabaseUrl,
    config: Knex.Config,
    options: DriverOptions,
  ) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    // knex logs connection errors to the console by itself; ours are thrown, scrubbed, to the caller.
    const quiet = (): void => undefined;
    this.knex = knexFactory({
      ...config,
      acquireConnectionTimeout: this.connectTimeoutMs,
      log: { warn: quiet, error: quiet, deprecate: quiet, debug: quiet },
    });
  }

  get syntax(): SqlSyntax {
    return SQL_SYNTAX[this.dialect];
  }

  abstract get boundSchema(): string | undefined;
  abstract lock(name: string, timeoutMs: number, signal?: AbortSignal): Promise<Unlock>;
  abstract checkClean(revisionsSchema: string): Promise<string | undefined>;
  protected abstract columnTypes(): Promise<ColumnTypes>;
  /** Creates the schema when it does not exist yet (never asking for rights an existing schema does not need). */
  protected abstract ensureSchema(schema: string): Promise<void>;
  protected abstract get raw(): RawConnectionOps<C>;
  /** The dialect's half of the live checks, on one borrowed connection. */
  protected abstract probeBackend(conn: C, timeoutMs: number): ProbeBackend;
  /**
   * Runs `run` (queries on `conn`) under the server's own bound of `ms`
   * (PostgreSQL: statement_timeout for one transaction; MySQL: nothing
   * more, see mysql.ts; SQLite: busy_timeout).
   */
  protected abstract serverBound<T>(conn: C, ms: number, run: () => Promise<T>): Promise<T>;
  /** Whether an error is the server's bound firing. */
  protected abstract isServerTimeout(e: unknown): boolean;
  /** Drops a connection that does not answer (the client-side backstop). */
  protected abstract destroyConnection(conn: C): void;

  /**
   * `run` on `conn`, bounded by the query timeout: by the server (unless
   * `clientOnly`, for a query that may run inside a migration's own
   * transaction) and, `CLIENT_GRACE_MS` (plus `extraMs`, a wait the query
   * itself is asked to do) later, by dropping the connection. Either way a
   * QueryTimeoutError naming `kind`.
   */
  protected async boundedOn<T>(conn: C, kind: string, run: () => Promise<T>, opts: { readonly clientOnly?: boolean; readonly extraMs?: number } = {}): Promise<T> {
    const ms = this.queryTimeoutMs;
    if (ms <= 0) return run();
    let timer: NodeJS.Timeout | undefined;
    let dropped = false;
    const backstop = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => {
          dropped = true;
          this.destroyConnection(conn);
          reject(new QueryTimeoutError(kind, ms));
        },
        // Past LONGEST_TIMER_MS a Node timer fires at once: a lock wait that long is capped there.
        Math.min(ms + (opts.extraMs ?? 0) + CLIENT_GRACE_MS, LONGEST_TIMER_MS),
      );
    });
    try {
      return await Promise.race([opts.clientOnly === true ? run() : this.serverBound(conn, ms, run), backstop]);
    } catch (e) {
      if (dropped || this.isServerTimeout(e)) throw new QueryTimeoutError(kind, ms);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A bound that fired stays itself (a server's cancellation inside a
   * nested bounded call is turned into a QueryTimeoutError by the outer
   * one); any other error becomes `other()`.
   */
  protected timeoutOr(e: unknown, other: () => Error): unknown {
    return e instanceof QueryTimeoutError || this.isServerTimeout(e) ? e : other();
  }

  /**
   * The engine's own queries in `run` (through on(), sql(), table()), on
   * one connection (the held one, else one from the pool) and bounded as
   * one (boundedOn). A bounded call inside another runs under the outer bound.
   */
  protected async bounded<T>(kind: string, run: () => Promise<T>): Promise<T> {
    if (this.queryTimeoutMs <= 0) return run();
    if (this.pinned !== undefined) {
      // Under an outer bound: a server cancellation here is named after this query, not the outer unit.
      try {
        return await run();
      } catch (e) {
        throw this.isServerTimeout(e) ? new QueryTimeoutError(kind, this.queryTimeoutMs) : e;
      }
    }
    const conn = await this.acquire();
    this.pinned = conn;
    try {
      return await this.boundedOn(conn, kind, run);
    } finally {
      this.pinned = undefined;
      await this.releaseConnection(conn).catch(() => undefined);
    }
  }

  /**
   * One bound (PostgreSQL: one transaction with statement_timeout) for all
   * of the planning queries instead of one each: a new tenant's run made
   * seven bounded transactions, fourteen extra round trips under the
   * database lock, where every run on one database waits its turn.
   */
  planning<T>(run: () => Promise<T>): Promise<T> {
    return this.bounded(QueryKind.planning, run);
  }

  /**
   * A failed statement's error as Atlas's Go driver words it (it lands in the
   * revisions table's `error` column and in status output). Default: the message.
   */
  protected statementError(e: unknown, _sql: string): string {
    return this.scrub(e);
  }

  defaultRevisionsSchema(): string {
    return this.boundSchema ?? DEFAULT_REVISIONS_SCHEMA;
  }

  /** Database messages, with the password removed should a driver ever echo it. */
  protected scrub(e: unknown): string {
    const message = e instanceof Error ? e.message : String(e);
    return scrubSecret(message, this.url.password);
  }

  protected connectError(e: unknown): ConnectError {
    return new ConnectError(`connecting to ${this.url.redacted}: ${this.scrub(e)}`);
  }

  /** A raw driver connection: the held one, else one from the pool. */
  protected async acquire(): Promise<C> {
    if (this.held !== undefined) return this.held;
    try {
      return (await (this.knex.client as PoolClient).acquireConnection()) as C;
    } catch (e) {
      throw this.connectError(e);
    }
  }

  protected async releaseConnection(conn: C): Promise<void> {
    if (conn === this.held) return;
    await (this.knex.client as PoolClient).releaseConnection(conn);
  }

  /**
   * Routes every query, lock and session of this driver through one
   * connection until the returned function is called: a run logs in once
   * (a SCRAM or caching_sha2 login costs real CPU on both sides) and holds
   * one connection instead of two. Session-level locks (advisory locks,
   * GET_LOCK) are unaffected by the transactions run on the same connection.
   */
  async hold(): Promise<() => Promise<void>> {
    if (this.held !== undefined) return () => Promise.resolve();
    const conn = await this.acquire();
    this.held = conn;
    return async () => {
      this.held = undefined;
      await (this.knex.client as PoolClient).releaseConnection(conn);
    };
  }

  /** Binds a query to the held connection (or that of the bounded query under way), if any. */
  protected on<T extends { connection(connection: unknown): T }>(query: T): T {
    const conn = this.held ?? this.pinned;
    return conn === undefined ? query : query.connection(conn);
  }

  /** Raw SQL on the held connection (or the pool); knex placeholders (`?`, `??`) apply. */
  protected sql<R = unknown>(text: string, bindings: readonly Knex.RawBinding[] = []): Knex.Raw<R> {
    return this.on(this.knex.raw<R>(text, bindings as Knex.RawBinding[]));
  }

  async ping(): Promise<void> {
    const conn = await this.acquire();
    await this.releaseConnection(conn);
  }

  /** The table reference, schema-qualified except on SQLite (always `main`). */
  protected table(schema: string): Knex.QueryBuilder {
    return this.on(this.dialect === 'sqlite' ? this.knex(REVISIONS_TABLE) : this.knex.withSchema(schema).table(REVISIONS_TABLE));
  }

  protected schemaBuilder(schema: string): Knex.SchemaBuilder {
    return this.on(this.dialect === 'sqlite' ? this.knex.schema : this.knex.schema.withSchema(schema));
  }

  /** Whether `schema` holds the revisions table (knex's hasTable: a row of information_schema.tables). */
  protected tableExists(schema: string): Promise<boolean> {
    return this.schemaBuilder(schema).hasTable(REVISIONS_TABLE);
  }

  async revisionsTableExists(schema: string): Promise<boolean> {
    try {
      return await this.bounded(QueryKind.tableExists, () => this.tableExists(schema));
    } catch (e) {
      throw this.timeoutOr(e, () => this.queryError('checking for the revisions table', e));
    }
  }

  ensureRevisionsTable(schema: string, exists?: boolean): Promise<void> {
    return this.bounded(QueryKind.ensureTable, async () => {
      if (exists ?? (await this.revisionsTableExists(schema))) return this.checkColumns(schema);
      try {
        await this.ensureSchema(schema);
        const qualifier = this.dialect === 'sqlite' ? undefined : schema;
        await this.sql(revisionsTableDdl(this.dialect, qualifier, await this.columnTypes()));
      } catch (e) {
        throw this.timeoutOr(e, () => new RevisionsTableError(`creating ${schema}.${REVISIONS_TABLE}: ${this.scrub(e)}`));
      }
    });
  }

  private async checkColumns(schema: string): Promise<void> {
    const info = (await this.table(schema).columnInfo()) as Record<string, unknown>;
    const missing = COLUMN_NAMES.filter((c) => !(c in info));
    if (missing.length > 0) {
      throw new RevisionsTableError(
        `${schema}.${REVISIONS_TABLE} exists but lacks Atlas's column(s) ${missing.join(', ')}; it was not created by Atlas or this operator`,
      );
    }
  }

  /** A SELECT of the engine's own, with the dialect's per-statement bound if it has one (MySQL's MAX_EXECUTION_TIME hint). */
  protected boundedSelect(query: Knex.QueryBuilder): Knex.QueryBuilder {
    return query;
  }

  async readRevisions(schema: string): Promise<Revision[]> {
    try {
      const rows = (await this.bounded(QueryKind.readRevisions, () =>
        this.boundedSelect(this.table(schema).select(...COLUMN_NAMES).whereNot('version', CLOUD_IDENTIFIER_VERSION).orderBy('version', 'asc')),
      )) as Record<string, unknown>[];
      return rows.map(rowToRevision);
    } catch (e) {
      throw this.timeoutOr(e, () => this.queryError('sql/migrate: read revisions', e));
    }
  }

  async readLastRevision(schema: string): Promise<Revision | undefined> {
    try {
      const rows = (await this.bounded(QueryKind.readLastRevision, () =>
        this.boundedSelect(this.table(schema).select(...COLUMN_NAMES).whereNot('version', CLOUD_IDENTIFIER_VERSION).orderBy('version', 'desc').limit(1)),
      )) as Record<string, unknown>[];
      return rows[0] === undefined ? undefined : rowToRevision(rows[0]);
    } catch (e) {
      if (e instanceof QueryTimeoutError) throw e;
      if (!(await this.revisionsTableExists(schema))) return undefined;
      throw this.queryError('sql/migrate: read last revision', e);
    }
  }

  protected queryError(what: string, e: unknown): QueryError {
    return new QueryError(`${what}: ${this.scrub(e)}`);
  }

  async session(schema: string): Promise<Session> {
    const conn = await this.acquire();
    return new RawSession({
      ops: this.raw,
      conn,
      revisions: () => this.table(schema).connection(conn),
      toRow: (r) => revisionToRow(r, this.dialect),
      scrub: (e) => this.scrub(e),
      statementError: (e, sql) => this.statementError(e, sql),
      release: () => this.releaseConnection(conn),
    });
  }

  async lintProbe(timeoutMs: number): Promise<LintProbe> {
    const conn = await this.acquire();
    return new CountingProbe(this.probeBackend(conn, timeoutMs), {
      timeoutMs,
      release: () => this.releaseConnection(conn),
      scrub: (e) => this.scrub(e),
    });
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }
}

/** What a session needs from its driver, bound to one connection. */
interface SessionContext<C> {
  readonly ops: RawConnectionOps<C>;
  readonly conn: C;
  /** The revisions table, queried on this connection. */
  readonly revisions: () => Knex.QueryBuilder;
  readonly toRow: (r: Revision) => Record<string, unknown>;
  readonly scrub: (e: unknown) => string;
  readonly statementError: (e: unknown, sql: string) => string;
  readonly release: () => Promise<void>;
}

class RawSession<C> implements Session {
  private released = false;

  constructor(private readonly ctx: SessionContext<C>) {}

  async execute(sql: string): Promise<void> {
    try {
      await this.ctx.ops.execute(this.ctx.conn, sql);
    } catch (e) {
      throw new QueryError(this.ctx.statementError(e, sql));
    }
  }

  begin(): Promise<void> {
    return this.execute(this.ctx.ops.begin);
  }

  commit(): Promise<void> {
    return this.execute('COMMIT');
  }

  rollback(): Promise<void> {
    return this.execute('ROLLBACK');
  }

  async writeRevision(revision: Revision): Promise<void> {
    try {
      await this.ctx
        .revisions()
        .insert(this.ctx.toRow(revision))
        .onConflict('version')
        .merge([...MUTABLE_COLUMNS]);
    } catch (e) {
      throw new QueryError(`sql/migrate: write revision: ${this.ctx.scrub(e)}`);
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.ctx.release();
  }
}
