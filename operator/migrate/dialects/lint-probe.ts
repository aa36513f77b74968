/**
 * Live checks for `migrate lint`: how many rows, NULLs or duplicates a
 * finding touches now. Every query is a plain, read-only SELECT bounded by
 * a per-query timeout; none takes Atlas's lock or a table lock. Names come
 * from migration files (hostile input): they are looked up in the catalog
 * with bound parameters and only the catalog's own spelling, quoted by the
 * dialect, is ever written into SQL.
 */

/** A table as a migration statement names it. */
export interface TableRef {
  /** Schema (PostgreSQL, SQLite attached database) or database (MySQL); the connection's default when absent. */
  readonly schema?: string;
  readonly table: string;
}

/** A table as the catalog spells it; only these names are quoted into SQL. */
export interface ResolvedTable {
  readonly schema: string;
  readonly table: string;
}

/** What a probe found out; the caller words it. */
export type ProbeAnswer<T> =
  | { readonly status: 'counted'; readonly value: T }
  | { readonly status: 'missing'; readonly what: 'schema' | 'table' | 'column'; readonly name: string }
  | { readonly status: 'timeout'; readonly afterMs: number }
  | { readonly status: 'failed'; readonly reason: string };

export interface DuplicateCount {
  /** Distinct values (or value tuples) held by more than one row. */
  readonly groups: number;
  /** Rows holding those values. */
  readonly rows: number;
}

/** One connection's worth of live checks; close() gives the connection back. */
export interface LintProbe {
  rowCount(ref: TableRef): Promise<ProbeAnswer<number>>;
  nonNullCount(ref: TableRef, column: string): Promise<ProbeAnswer<number>>;
  nullCount(ref: TableRef, column: string): Promise<ProbeAnswer<number>>;
  /** Non-NULL duplicates (a unique index accepts any number of NULLs). */
  duplicates(ref: TableRef, columns: readonly string[]): Promise<ProbeAnswer<DuplicateCount>>;
  /** Tables in a schema (the connection's default when undefined). */
  schemaTables(schema: string | undefined): Promise<ProbeAnswer<number>>;
  close(): Promise<void>;
}

/**
 * What each dialect supplies: quoting, its bounded query, and catalog
 * lookups (which bind names as parameters and never interpolate them).
 */
export interface ProbeBackend {
  /** Sets the session's bounds before the first query (timeouts, lock waits). */
  prepare(): Promise<void>;
  /** Restores what prepare() changed, before the connection goes back to the pool. */
  finish(): Promise<void>;
  quote(name: string): string;
  /** Runs one read-only SELECT within the timeout. */
  select(sql: string): Promise<Record<string, unknown>[]>;
  /** Whether an error means the timeout (or a lock wait) cut the query short. */
  isTimeout(error: unknown): boolean;
  findTable(ref: TableRef): Promise<ResolvedTable | undefined>;
  /** Column names of a table, as the catalog spells them. */
  columnsOf(table: ResolvedTable): Promise<readonly string[]>;
  /** The schema as the catalog spells it (the connection's default when undefined), or undefined when absent. */
  findSchema(schema: string | undefined): Promise<string | undefined>;
  /** Base tables in a schema found by findSchema. */
  tableCount(schema: string): Promise<number>;
}

/** What a probe needs around its backend: giving the connection back, cleaning messages. */
export interface ProbeHost {
  readonly timeoutMs: number;
  readonly release: () => Promise<void>;
  /** Database messages with the password removed. */
  readonly scrub: (error: unknown) => string;
}

export const DEFAULT_LIVE_TIMEOUT_MS = 5_000;

/** Picks the catalog's spelling of a name: exact first, then the only case-insensitive match. */
export function matchName(wanted: string, names: readonly string[]): string | undefined {
  if (names.includes(wanted)) return wanted;
  const folded = names.filter((n) => n.toLowerCase() === wanted.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

/** A name column from a catalog row (undefined for NULL, e.g. no current database). */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** Name columns of catalog rows, NULLs left out. */
export function textsOf(rows: readonly Record<string, unknown>[], key: string): string[] {
  return rows.map((r) => textOf(r[key])).filter((t) => t !== undefined);
}

/** A count column from a driver row (numbers, bigint strings, BigInt). */
function numberOf(row: Record<string, unknown> | undefined, key: string): number {
  const value = row?.[key];
  if (value === null || value === undefined) return 0;
  return Number(value);
}

class Missing extends Error {
  constructor(readonly answer: Extract<ProbeAnswer<never>, { status: 'missing' }>) {
    super(`${answer.what} ${answer.name} does not exist`);
  }
}

/** The counting queries, identical on every dialect but for quoting. */
export class CountingProbe implements LintProbe {
  private prepared: Promise<void> | undefined;

  constructor(
    private readonly backend: ProbeBackend,
    private readonly host: ProbeHost,
  ) {}

  rowCount(ref: TableRef): Promise<ProbeAnswer<number>> {
    return this.count(ref, [], (from) => `SELECT COUNT(*) AS n FROM ${from}`);
  }

  nonNullCount(ref: TableRef, column: string): Promise<ProbeAnswer<number>> {
    return this.count(ref, [column], (from, [c]) => `SELECT COUNT(${c}) AS n FROM ${from}`);
  }

  nullCount(ref: TableRef, column: string): Promise<ProbeAnswer<number>> {
    return this.count(ref, [column], (from, [c]) => `SELECT COUNT(*) AS n FROM ${from} WHERE ${c} IS NULL`);
  }

  duplicates(ref: TableRef, columns: readonly string[]): Promise<ProbeAnswer<DuplicateCount>> {
    return this.ask(async () => {
      const { from, quoted } = await this.resolve(ref, columns);
      const notNull = quoted.map((c) => `${c} IS NOT NULL`).join(' AND ');
      const sql =
        `SELECT COUNT(*) AS g, COALESCE(SUM(d.n), 0) AS r FROM ` +
        `(SELECT COUNT(*) AS n FROM ${from} WHERE ${notNull} GROUP BY ${quoted.join(', ')} HAVING COUNT(*) > 1) d`;
      const [row] = await this.backend.select(sql);
      return { groups: numberOf(row, 'g'), rows: numberOf(row, 'r') };
    });
  }

  schemaTables(schema: string | undefined): Promise<ProbeAnswer<number>> {
    return this.ask(async () => {
      const found = await this.backend.findSchema(schema);
      if (found === undefined) throw new Missing({ status: 'missing', what: 'schema', name: schema ?? '(default schema)' });
      return this.backend.tableCount(found);
    });
  }

  async close(): Promise<void> {
    try {
      // Settings are restored only where prepare() got through; a failed restore still gives the connection back.
      if (this.prepared !== undefined) await this.prepared.then(() => this.backend.finish());
    } catch {
      // The command closes the driver right after; nothing else reuses this connection.
    } finally {
      await this.host.release();
    }
  }

  private count(
    ref: TableRef,
    columns: readonly string[],
    sql: (from: string, quotedColumns: readonly string[]) => string,
  ): Promise<ProbeAnswer<number>> {
    return this.ask(async () => {
      const { from, quoted } = await this.resolve(ref, columns);
      const [row] = await this.backend.select(sql(from, quoted));
      return numberOf(row, 'n');
    });
  }

  /** The quoted `schema.table` and columns, spelled as the catalog spells them. */
  private async resolve(ref: TableRef, columns: readonly string[]): Promise<{ from: string; quoted: string[] }> {
    const table = await this.backend.findTable(ref);
    if (table === undefined) throw new Missing({ status: 'missing', what: 'table', name: ref.table });
    const known = columns.length === 0 ? [] : await this.backend.columnsOf(table);
    const quoted = columns.map((c) => {
      const actual = matchName(c, known);
      if (actual === undefined) throw new Missing({ status: 'missing', what: 'column', name: c });
      return this.backend.quote(actual);
    });
    return { from: `${this.backend.quote(table.schema)}.${this.backend.quote(table.table)}`, quoted };
  }

  /** Runs one check, turning a timeout or a database error into an answer instead of a failure. */
  private async ask<T>(check: () => Promise<T>): Promise<ProbeAnswer<T>> {
    try {
      this.prepared ??= this.backend.prepare();
      await this.prepared;
      return { status: 'counted', value: await check() };
    } catch (e) {
      if (e instanceof Missing) return e.answer;
      if (this.backend.isTimeout(e)) return { status: 'timeout', afterMs: this.host.timeoutMs };
      return { status: 'failed', reason: this.host.scrub(e) };
    }
  }
}
