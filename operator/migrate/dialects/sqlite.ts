/**
 * SQLite driver (better-sqlite3). One connection (a `mode=memory` database
 * exists only inside it). Revisions always live in `main`. The lock is
 * Atlas's lock file in the temporary directory, holding its expiry time in
 * Unix nanoseconds; we refresh the expiry while we hold it, so a long run is
 * never mistaken for an abandoned lock.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { DatabaseUrl } from './database-url';
import type { Unlock } from './driver';
import { LockError, LockTimeoutError, QueryError, RevisionsTableError } from './errors';
import { KnexDriver, QueryKind, type DriverOptions, type RawConnectionOps } from './knex-driver';
import type { ProbeBackend } from './lint-probe';
import { SqliteProbeBackend } from './lint-probe-sqlite';
import { columnTypes, REVISIONS_TABLE, type ColumnTypes } from './revisions-table';
import { sleep } from './sleep';

/** zlib's Adler-32, as Go's hash/adler32. */
export function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * Atlas's lock file. Atlas adds `_<hex adler32 of host+path>` only when its
 * DSN starts with `file:`, which for `sqlite://` URLs happens exactly for
 * `mode=memory`; a file database uses the plain name (one lock per machine).
 */
export function sqliteLockPath(name: string, url: DatabaseUrl): string {
  let file = name;
  if (url.database === ':memory:') {
    const joined = posix.join(url.host, new URL(url.redacted).pathname);
    file = `${name}_${adler32(Buffer.from(joined, 'utf8')).toString(16)}`;
  }
  return join(tmpdir(), `${file}.lock`);
}

const NANOS_PER_MS = 1_000_000n;

/** How long a written lock file stays valid: the lock timeout, at least Atlas's default of 10 s. */
function lockLifetimeMs(timeoutMs: number): number {
  return Math.max(timeoutMs, 10_000);
}

function expiry(ms: number): string {
  return String(BigInt(Date.now() + ms) * NANOS_PER_MS);
}

export class SqliteDriver extends KnexDriver<Database> {
  readonly dialect = 'sqlite';
  readonly transactionalDdl = true;

  constructor(url: DatabaseUrl, options: DriverOptions = {}) {
    super(
      url,
      {
        client: 'better-sqlite3',
        connection: { filename: url.database ?? ':memory:' },
        useNullAsDefault: true,
        // A memory database lives in its connection: never open a second one.
        pool: { min: 1, max: 1, idleTimeoutMillis: Number.MAX_SAFE_INTEGER },
      },
      options,
    );
  }

  get boundSchema(): string {
    return 'main';
  }

  protected get raw(): RawConnectionOps<Database> {
    return {
      execute: (conn, sql) => {
        conn.exec(sql);
        return Promise.resolve();
      },
      begin: 'BEGIN',
    };
  }

  protected probeBackend(conn: Database, timeoutMs: number): ProbeBackend {
    return new SqliteProbeBackend(conn, timeoutMs);
  }

  /**
   * SQLite runs in this process and only ever waits for another writer's
   * lock: busy_timeout bounds that wait, set for the engine's own queries
   * and put back afterwards (a migration's statements keep the connection's).
   */
  protected async serverBound<T>(conn: Database, ms: number, run: () => Promise<T>): Promise<T> {
    const saved = conn.pragma('busy_timeout', { simple: true }) as number;
    conn.pragma(`busy_timeout = ${Math.max(1, Math.round(ms))}`);
    try {
      return await run();
    } finally {
      conn.pragma(`busy_timeout = ${saved}`);
    }
  }

  protected isServerTimeout(e: unknown): boolean {
    const code = (e as { code?: string } | undefined)?.code;
    return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
  }

  protected destroyConnection(): void {
    // Synchronous calls: a query never outlives its bound here.
  }

  protected columnTypes(): Promise<ColumnTypes> {
    return Promise.resolve(columnTypes('sqlite'));
  }

  protected ensureSchema(schema: string): Promise<void> {
    if (schema !== 'main') {
      return Promise.reject(
        new RevisionsTableError(`cannot store revisions-table in a separate schema (${JSON.stringify(schema)}) with SQLite driver`),
      );
    }
    return Promise.resolve();
  }

  async lock(name: string, timeoutMs: number, signal?: AbortSignal): Promise<Unlock> {
    const path = sqliteLockPath(name, this.url);
    const started = Date.now();
    for (;;) {
      if (this.tryLock(path, name, timeoutMs)) break;
      if (Date.now() - started >= timeoutMs) throw new LockTimeoutError(name, timeoutMs);
      await sleep(50, signal);
    }
    // Keep the expiry ahead of the clock while we hold the lock.
    const lifetime = lockLifetimeMs(timeoutMs);
    const refresh = setInterval(() => writeFileSync(path, expiry(lifetime)), lifetime / 2);
    refresh.unref();
    let released = false;
    return () => {
      if (released) return Promise.resolve();
      released = true;
      clearInterval(refresh);
      rmSync(path, { force: true });
      return Promise.resolve();
    };
  }

  /** Takes the lock file if it is absent or expired, as Atlas does. */
  private tryLock(path: string, name: string, timeoutMs: number): boolean {
    if (existsSync(path)) {
      const content = readFileSync(path, 'utf8');
      if (!/^\d+$/.test(content)) {
        throw new LockError(`sql/sqlite: invalid lock file format: parsing expiration date of ${JSON.stringify(name)} in ${path}`);
      }
      if (BigInt(content) > BigInt(Date.now()) * NANOS_PER_MS) return false;
    }
    writeFileSync(path, expiry(lockLifetimeMs(timeoutMs)));
    return true;
  }

  async checkClean(): Promise<string | undefined> {
    try {
      return await this.bounded(QueryKind.checkClean, () => this.findDirt());
    } catch (e) {
      throw this.timeoutOr(e, () => new QueryError(`checking whether the database is clean: ${this.scrub(e)}`));
    }
  }

  private async findDirt(): Promise<string | undefined> {
    const schemas = await this.sql<{ name: string }[]>('PRAGMA database_list');
    if (schemas.length > 1) return `found multiple schemas: ${schemas.length}`;
    const only = schemas[0]?.name;
    if (only !== undefined && only !== 'main') return `found schema ${JSON.stringify(only)}`;
    const tables = await this.sql<{ name: string }[]>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    );
    if (tables.length > 1) return `found multiple tables: ${tables.length}`;
    if (tables.length === 1 && tables[0]?.name !== REVISIONS_TABLE) return `found table ${JSON.stringify(tables[0]?.name)}`;
    return undefined;
  }
}
