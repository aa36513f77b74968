/**
 * MySQL and MariaDB live checks. A plain SELECT on InnoDB is a consistent
 * read and takes no row locks; the only wait left is a metadata lock (a
 * table held by `LOCK TABLES … WRITE` or a running ALTER), bounded by
 * `lock_wait_timeout`. Running time is bounded by MySQL's
 * `max_execution_time` (milliseconds) or MariaDB's `max_statement_time`
 * (seconds), each in the form that server understands.
 */
import type { Connection } from 'mysql2';
import { matchName, textOf, textsOf, type ProbeBackend, type ResolvedTable, type TableRef } from './lint-probe';

/**
 * ER_QUERY_TIMEOUT (MySQL's max_execution_time), ER_STATEMENT_TIMEOUT
 * (MariaDB's max_statement_time), ER_QUERY_INTERRUPTED (either, depending
 * on where execution stopped) and ER_LOCK_WAIT_TIMEOUT (lock_wait_timeout).
 */
const TIMEOUT_ERRNOS = new Set([3024, 1969, 1317, 1205]);

export function quoteMySqlIdent(name: string): string {
  return '`' + name.replaceAll('`', '``') + '`';
}

/** The saved session values prepare() changes on MySQL, restored by finish(). */
interface SavedSession {
  readonly lockWait: number;
  readonly maxExecution: number | undefined;
}

export class MySqlProbeBackend implements ProbeBackend {
  private mariadb = false;
  private saved: SavedSession | undefined;

  constructor(
    private readonly conn: Connection,
    private readonly timeoutMs: number,
  ) {}

  /** lock_wait_timeout counts whole seconds (at least 1). */
  private get lockWaitSeconds(): number {
    return Math.max(1, Math.ceil(this.timeoutMs / 1000));
  }

  async prepare(): Promise<void> {
    const [row] = await this.query('SELECT VERSION() AS v, @@SESSION.lock_wait_timeout AS lw', []);
    this.mariadb = /mariadb/i.test(textOf(row?.v) ?? '');
    // MariaDB bounds each SELECT with SET STATEMENT (see select()); MySQL needs session values, restored in finish().
    if (this.mariadb) return;
    const [max] = await this.query('SELECT @@SESSION.max_execution_time AS m', []);
    this.saved = { lockWait: Number(row?.lw), maxExecution: max?.m === undefined ? undefined : Number(max.m) };
    await this.query('SET SESSION max_execution_time = ?, lock_wait_timeout = ?', [Math.max(1, Math.round(this.timeoutMs)), this.lockWaitSeconds]);
  }

  async finish(): Promise<void> {
    const saved = this.saved;
    if (saved === undefined) return;
    this.saved = undefined;
    await this.query('SET SESSION max_execution_time = ?, lock_wait_timeout = ?', [saved.maxExecution ?? 0, saved.lockWait]);
  }

  quote(name: string): string {
    return quoteMySqlIdent(name);
  }

  select(sql: string): Promise<Record<string, unknown>[]> {
    return this.bounded(sql, []);
  }

  isTimeout(error: unknown): boolean {
    return TIMEOUT_ERRNOS.has((error as { errno?: number }).errno ?? 0);
  }

  async findTable(ref: TableRef): Promise<ResolvedTable | undefined> {
    // information_schema compares names by the server's rules; LOWER() on both sides also finds a differently-cased spelling.
    const rows = await this.bounded(
      'SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t FROM information_schema.TABLES ' +
        'WHERE LOWER(TABLE_SCHEMA) = LOWER(COALESCE(?, DATABASE())) AND LOWER(TABLE_NAME) = LOWER(?)',
      [ref.schema ?? null, ref.table],
    );
    const tables = rows.map((r) => ({ schema: textOf(r.s) ?? '', table: textOf(r.t) ?? '' }));
    const exact = tables.find((t) => t.table === ref.table && (ref.schema === undefined || t.schema === ref.schema));
    return exact ?? (tables.length === 1 ? tables[0] : undefined);
  }

  async columnsOf(table: ResolvedTable): Promise<readonly string[]> {
    const rows = await this.bounded('SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [
      table.schema,
      table.table,
    ]);
    return textsOf(rows, 'c');
  }

  async findSchema(schema: string | undefined): Promise<string | undefined> {
    if (schema === undefined) {
      const [row] = await this.bounded('SELECT DATABASE() AS s', []);
      return textOf(row?.s);
    }
    const rows = await this.bounded('SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE LOWER(SCHEMA_NAME) = LOWER(?)', [schema]);
    return matchName(schema, textsOf(rows, 's'));
  }

  async tableCount(schema: string): Promise<number> {
    const [row] = await this.bounded(
      "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'",
      [schema],
    );
    return Number(row?.n ?? 0);
  }

  /** A SELECT within the timeout: MariaDB's per-statement form; on MySQL the session values from prepare(). */
  private bounded(sql: string, values: readonly unknown[]): Promise<Record<string, unknown>[]> {
    if (!this.mariadb) return this.query(sql, values);
    const seconds = Math.max(0.001, this.timeoutMs / 1000);
    return this.query(`SET STATEMENT max_statement_time = ${seconds}, lock_wait_timeout = ${this.lockWaitSeconds} FOR ${sql}`, values);
  }

  private query(sql: string, values: readonly unknown[]): Promise<Record<string, unknown>[]> {
    return new Promise((resolve, reject) => {
      this.conn.query(sql, [...values], (err, rows) => {
        if (err !== null) reject(err);
        else resolve(rows as Record<string, unknown>[]);
      });
    });
  }
}
